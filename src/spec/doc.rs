//! A markdown file as the OpenSpec format reads it: text normalised (BOM and
//! CRLF gone), split into lines, with the header lines that are structure.
//!
//! pulldown-cmark finds the code blocks (fenced with ``` or ~~~, or indented)
//! through its source offsets; header lines inside them are not structure.
//! Headers themselves are matched per line, and only at column 0: a line is
//! a header when it starts with 1 to 6 `#` followed by a space or tab and a
//! non-empty title (see [`header_of`]). Setext underlines, indented `#`
//! lines and headers inside block quotes are not headers, although CommonMark
//! would take them; this keeps the structure of a file visible line by line.
use pulldown_cmark::{Event, Options, Parser, Tag};

/// One header line: `### Requirement: Name` is level 3, title `Requirement: Name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Number of `#` (1 to 6).
    pub level: usize,
    /// The text after the hashes, trimmed.
    pub title: String,
    /// 0-based line index.
    pub line: usize,
}

/// A decoded markdown file: its text, its lines, and its header lines
/// outside code blocks, in order.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Normalised text: no BOM, `\n` line ends.
    pub text: String,
    /// Whether the bytes on disk started with a BOM (kept when rewriting).
    pub bom: bool,
    /// Whether the bytes on disk held a CRLF line end (then every line end is
    /// written as CRLF when rewriting).
    pub crlf: bool,
    line_starts: Vec<usize>,
    code: Vec<bool>,
    /// Header lines outside code blocks, in line order.
    pub headers: Vec<Header>,
}

/// Bytes that are not UTF-8: the 1-based line of the first bad byte, with
/// the decoder's error (byte offsets count from after the BOM) as source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid UTF-8 (line {line})")]
pub struct NotUtf8 {
    /// 1-based line of the first invalid byte.
    pub line: usize,
    /// The decoder's error.
    #[source]
    pub source: std::str::Utf8Error,
}

impl Doc {
    /// Decode file bytes: strip a BOM, refuse invalid UTF-8, normalise CRLF.
    ///
    /// Errors: [`NotUtf8`] with the line of the first invalid byte.
    pub fn from_bytes(bytes: &[u8]) -> Result<Doc, NotUtf8> {
        let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => (true, rest),
            None => (false, bytes),
        };
        let text = std::str::from_utf8(body).map_err(|e| NotUtf8 {
            line: 1 + body[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            source: e,
        })?;
        let crlf = text.contains("\r\n");
        let mut doc = Doc::parse(&text.replace("\r\n", "\n"));
        doc.bom = bom;
        doc.crlf = crlf;
        Ok(doc)
    }

    /// Parse already normalised text (a leading BOM character is dropped;
    /// `bom` and `crlf` are false).
    pub fn parse(text: &str) -> Doc {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).to_string();
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' && i + 1 < text.len() {
                line_starts.push(i + 1);
            }
        }
        if text.is_empty() {
            line_starts.clear();
        }
        let mut code = vec![false; line_starts.len()];
        for (event, range) in Parser::new_ext(&text, Options::empty()).into_offset_iter() {
            if let Event::Start(Tag::CodeBlock(_)) = event {
                let first = line_of(&line_starts, range.start);
                let last = line_of(&line_starts, range.end.saturating_sub(1).max(range.start));
                for c in code.iter_mut().take(last + 1).skip(first) {
                    *c = true;
                }
            }
        }
        let mut doc = Doc {
            text,
            bom: false,
            crlf: false,
            line_starts,
            code,
            headers: Vec::new(),
        };
        doc.headers = (0..doc.line_count())
            .filter(|&i| !doc.code[i])
            .filter_map(|i| {
                header_of(doc.line(i)).map(|(level, title)| Header {
                    level,
                    title,
                    line: i,
                })
            })
            .collect();
        doc
    }

    /// Number of lines (a final line end does not start another; 0 for an
    /// empty text).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Line `i` (0-based) without its line end. Panics when `i` is not below
    /// [`Doc::line_count`].
    pub fn line(&self, i: usize) -> &str {
        let start = self.line_starts[i];
        let end = self
            .line_starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches('\n')
    }

    /// Whether line `i` (0-based) is inside a code block (false past the end).
    pub fn is_code(&self, i: usize) -> bool {
        self.code.get(i).copied().unwrap_or(false)
    }

    /// Lines `from..to` (0-based, `to` clamped to the line count) joined with `\n`.
    pub fn slice(&self, from: usize, to: usize) -> String {
        (from..to.min(self.line_count()))
            .map(|i| self.line(i))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The line where the section opened by header `h` (an index into
    /// `headers`) ends (exclusive): the next header of the same or a higher
    /// level (fewer `#`), or the end.
    pub fn section_end(&self, h: usize) -> usize {
        let level = self.headers[h].level;
        self.headers[h + 1..]
            .iter()
            .find(|x| x.level <= level)
            .map(|x| x.line)
            .unwrap_or(self.line_count())
    }

    /// The index in `headers` of the first header of `level` whose trimmed
    /// title equals `name` (ASCII case-insensitive).
    pub fn find_section(&self, level: usize, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.level == level && h.title.trim().eq_ignore_ascii_case(name))
    }

    /// The text of a section without its header and sub-sections' headers kept:
    /// lines after header `h` up to the next header of any level, trimmed.
    pub fn direct_body(&self, h: usize) -> String {
        let from = self.headers[h].line + 1;
        let to = self
            .headers
            .get(h + 1)
            .map(|x| x.line)
            .unwrap_or(self.line_count());
        self.slice(from, to).trim().to_string()
    }

    /// The whole content of section `h` (sub-sections included), trimmed.
    pub fn section_body(&self, h: usize) -> String {
        self.slice(self.headers[h].line + 1, self.section_end(h))
            .trim()
            .to_string()
    }
}

fn line_of(starts: &[usize], offset: usize) -> usize {
    match starts.binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    }
}

/// `## Title` at column 0 (1-6 hashes, whitespace, text): `(level, title)`
/// with the title trimmed. A level-3 `###Requirement:` without the space also
/// counts, so that such a block is still a requirement when merging.
pub fn header_of(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    let title = rest.trim();
    if title.is_empty() {
        return None;
    }
    if rest.starts_with([' ', '\t'])
        || (level == 3 && strip_keyword(title, "Requirement:").is_some())
    {
        Some((level, title.to_string()))
    } else {
        None
    }
}

/// `Requirement: Name` -> `Name` (keyword ASCII case-insensitive, the rest
/// trimmed); `None` when `title` does not start with `keyword`.
pub fn strip_keyword<'a>(title: &'a str, keyword: &str) -> Option<&'a str> {
    let head = title.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| title[keyword.len()..].trim())
}

/// A whole-word, upper-case SHALL or MUST (`MARSHALL` does not count).
pub fn has_normative_keyword(text: &str) -> bool {
    let bytes = text.as_bytes();
    ["SHALL", "MUST"].iter().any(|kw| {
        text.match_indices(kw).any(|(i, _)| {
            let before = i.checked_sub(1).map(|j| bytes[j]);
            let after = bytes.get(i + kw.len()).copied();
            let word = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            !word(before) && !word(after)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_skip_fences_and_need_column_zero() {
        let d = Doc::parse(
            "# T\n```\n## Not\n```\n~~~\n### No\n~~~\n  ## Indented\n#NoSpace\n## Yes\n###Requirement: X\n",
        );
        let got: Vec<_> = d
            .headers
            .iter()
            .map(|h| (h.level, h.title.as_str(), h.line))
            .collect();
        assert_eq!(
            got,
            vec![(1, "T", 0), (2, "Yes", 9), (3, "Requirement: X", 10)]
        );
    }

    #[test]
    fn bom_crlf_and_bad_utf8() {
        let d = Doc::from_bytes(b"\xEF\xBB\xBF# A\r\n## B\r\n").unwrap();
        assert!(d.bom && d.crlf);
        assert_eq!(d.line(1), "## B");
        assert_eq!(Doc::from_bytes(b"ok\nok\n\xff").unwrap_err().line, 3);
    }

    #[test]
    fn normative_keywords_are_whole_words() {
        assert!(has_normative_keyword("The system SHALL do"));
        assert!(has_normative_keyword("MUST."));
        assert!(!has_normative_keyword("MARSHALL and MUSTARD and shall"));
    }
}
