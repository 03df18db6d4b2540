//! The OpenSpec documents as models: main specs, delta specs, proposals and
//! task lists. Parsing never fails: what a document lacks is judged by
//! `validate`, so a messy repository is read whole.
//!
//! The shapes read (headers as `doc` finds them; section titles and the
//! `Requirement:` / `Scenario:` / `FROM:` / `TO:` keywords match without
//! regard to ASCII case; requirement names are kept as written):
//!
//! ```text
//! # <cap> Specification            main spec: first `#` header is the title
//! ## Purpose                       its whole section is the purpose
//! ## Requirements
//! ### Requirement: <name>          a block: text, then scenarios
//! <text with SHALL or MUST>
//! #### Scenario: <name>            a scenario with an empty body is not kept
//! - **WHEN** … / - **THEN** …
//!
//! ## ADDED Requirements            delta spec: `### Requirement:` blocks
//! ## MODIFIED Requirements         the whole new block, scenarios included
//! ## REMOVED Requirements          one `### Requirement: <name>` per line,
//!                                  optionally as a list item and in backticks
//! ## RENAMED Requirements          `- FROM: `### Requirement: A``
//!                                  `- TO: `### Requirement: B`` pairs
//! ```
//!
//! In a main spec every `###` header inside `## Requirements` opens a block
//! (a `### Topic` without the keyword too, named by its title). In ADDED and
//! MODIFIED only `### Requirement:` headers open blocks; another `###` header
//! stays inside the block before it and is noted. Requirement text is the
//! body before the first sub-header (in a delta block: before the first
//! `####` header, absorbed `###` header lines left out), lines trimmed and
//! blank ones dropped, with leading `**Key**: value` metadata lines skipped
//! unless they are all there is.
use super::doc::{Doc, header_of, strip_keyword};

/// A `#### Scenario:` of a requirement (any non-empty level-4 section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The title without the `Scenario:` keyword.
    pub name: String,
    /// Its body up to the next header of level 4 or less, trimmed.
    pub raw_text: String,
    /// 1-based.
    pub line: usize,
}

/// A requirement of a main spec or a block of a delta spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The header title without the `Requirement:` keyword.
    pub name: String,
    /// The whole header title (`Requirement: Name`, or `Topic`).
    pub header: String,
    /// 1-based line of the header.
    pub line: usize,
    /// The requirement text (see the module doc).
    pub text: String,
    /// Its non-empty `####` sections, in order.
    pub scenarios: Vec<Scenario>,
    /// The block as written: header line to the end of its body.
    pub raw: String,
}

/// A main spec (`specs/<cap>/spec.md`) as a model.
#[derive(Debug, Clone, Default)]
pub struct MainSpec {
    /// The first `#` header's title.
    pub title: Option<String>,
    /// The `## Purpose` section, trimmed (sub-sections included).
    pub purpose: Option<String>,
    /// 1-based line of `## Purpose`.
    pub purpose_line: Option<usize>,
    /// 1-based line of `## Requirements`.
    pub requirements_line: Option<usize>,
    /// The blocks of `## Requirements`, in order.
    pub requirements: Vec<Requirement>,
    /// Structural errors (1-based line, message): what makes a target
    /// unmergeable: a delta section header, a `### Requirement:` outside
    /// `## Requirements`, a requirement name used twice.
    pub structure: Vec<(usize, String)>,
}

/// A requirement name as RENAMED/REMOVED entries give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameRef {
    /// The name without the `Requirement:` keyword.
    pub name: String,
    /// 1-based line of the entry.
    pub line: usize,
}

/// A `FROM:` / `TO:` pair of a RENAMED section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The current name.
    pub from: String,
    /// The new name.
    pub to: String,
    /// 1-based line of the `FROM:` entry.
    pub line: usize,
}

/// Things noticed while reading a delta that are not entries (1-based line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaNote {
    /// A `###` header that is not `### Requirement:` inside ADDED/MODIFIED.
    NotARequirement {
        /// 1-based line of the header.
        line: usize,
        /// Its title.
        header: String,
    },
    /// A `FROM:` without its `TO:`.
    DanglingFrom {
        /// 1-based line of the `FROM:` entry.
        line: usize,
        /// The name it gives.
        name: String,
    },
    /// A `### Requirement:` block under a `##` section that is not one of the
    /// four delta sections (or before any): archive does not apply it.
    OutsideSections {
        /// 1-based line of the header.
        line: usize,
        /// The requirement name.
        name: String,
        /// The `##` section it is under, if any.
        section: Option<String>,
    },
    /// A `TO:` without a `FROM:` before it.
    DanglingTo {
        /// 1-based line of the `TO:` entry.
        line: usize,
        /// The name it gives.
        name: String,
    },
}

/// A delta spec (`changes/<id>/specs/<cap>/spec.md`) as a model. Entries of
/// repeated sections are collected in document order.
#[derive(Debug, Clone, Default)]
pub struct DeltaSpec {
    /// A non-empty `## Purpose` section (used when the delta creates the spec).
    pub purpose: Option<String>,
    /// Blocks of `## ADDED Requirements`.
    pub added: Vec<Requirement>,
    /// Blocks of `## MODIFIED Requirements`.
    pub modified: Vec<Requirement>,
    /// Entries of `## REMOVED Requirements`.
    pub removed: Vec<NameRef>,
    /// Pairs of `## RENAMED Requirements`.
    pub renamed: Vec<Rename>,
    /// How many `## ADDED|MODIFIED|REMOVED|RENAMED Requirements` headers.
    pub sections: usize,
    /// What was noticed on the way, in document order.
    pub notes: Vec<DeltaNote>,
}

impl DeltaSpec {
    /// Added, modified, removed and renamed entries together.
    pub fn entry_count(&self) -> usize {
        self.added.len() + self.modified.len() + self.removed.len() + self.renamed.len()
    }
}

/// The four delta operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `## ADDED Requirements`: new blocks.
    Added,
    /// `## MODIFIED Requirements`: replacement blocks.
    Modified,
    /// `## REMOVED Requirements`: names to drop.
    Removed,
    /// `## RENAMED Requirements`: FROM/TO pairs.
    Renamed,
}

impl Operation {
    /// The `##` section title, e.g. `ADDED Requirements`.
    pub fn section_title(self) -> &'static str {
        match self {
            Operation::Added => "ADDED Requirements",
            Operation::Modified => "MODIFIED Requirements",
            Operation::Removed => "REMOVED Requirements",
            Operation::Renamed => "RENAMED Requirements",
        }
    }
    /// The upper-case keyword, e.g. `ADDED`.
    pub fn keyword(self) -> &'static str {
        match self {
            Operation::Added => "ADDED",
            Operation::Modified => "MODIFIED",
            Operation::Removed => "REMOVED",
            Operation::Renamed => "RENAMED",
        }
    }
    fn from_title(title: &str) -> Option<Operation> {
        [
            Operation::Added,
            Operation::Modified,
            Operation::Removed,
            Operation::Renamed,
        ]
        .into_iter()
        .find(|op| title.trim().eq_ignore_ascii_case(op.section_title()))
    }
}

/// Whether a header title is a delta section (`ADDED Requirements` …).
pub fn is_delta_section(title: &str) -> bool {
    Operation::from_title(title).is_some()
}

/// `**Key**: value` metadata lines.
fn is_metadata(line: &str) -> bool {
    let t = line.trim();
    t.strip_prefix("**")
        .and_then(|r| r.find("**").map(|i| &r[i + 2..]))
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Requirement text: the body lines up to the next header, blank lines
/// skipped; leading metadata lines skipped unless they are the whole body.
fn requirement_text(doc: &Doc, from: usize, to: usize) -> String {
    let lines: Vec<&str> = (from..to)
        .map(|i| doc.line(i).trim())
        .filter(|l| !l.is_empty())
        .collect();
    let meta = lines.iter().take_while(|l| is_metadata(l)).count();
    let body = if meta == lines.len() {
        &lines[..]
    } else {
        &lines[meta..]
    };
    body.join("\n")
}

/// The requirement whose header is header `h`, its block ending at line `end`.
fn requirement_at(doc: &Doc, h: usize, end: usize) -> Requirement {
    let header = &doc.headers[h];
    let first_child = doc.headers[h + 1..]
        .iter()
        .find(|x| x.line < end)
        .map(|x| x.line)
        .unwrap_or(end);
    let text = requirement_text(doc, header.line + 1, first_child);
    let scenarios = doc.headers[h + 1..]
        .iter()
        .enumerate()
        .take_while(|(_, x)| x.line < end)
        .filter(|(_, x)| x.level == 4)
        .filter_map(|(k, x)| {
            let idx = h + 1 + k;
            let stop = doc.headers[idx + 1..]
                .iter()
                .find(|y| y.level <= 4)
                .map(|y| y.line)
                .unwrap_or(doc.line_count())
                .min(end);
            let raw = doc.slice(x.line + 1, stop).trim().to_string();
            (!raw.is_empty()).then(|| Scenario {
                name: strip_keyword(&x.title, "Scenario:")
                    .unwrap_or(&x.title)
                    .to_string(),
                raw_text: raw,
                line: x.line + 1,
            })
        })
        .collect();
    let mut raw_end = end;
    while raw_end > header.line + 1 && doc.line(raw_end - 1).trim().is_empty() {
        raw_end -= 1;
    }
    Requirement {
        name: requirement_name(&header.title),
        header: header.title.clone(),
        line: header.line + 1,
        text,
        scenarios,
        raw: doc.slice(header.line, raw_end),
    }
}

/// A header title without its `Requirement:` keyword (the whole trimmed
/// title when it has none).
/// A trailing run of `#` after a space (a closing sequence) is not part of
/// the name.
pub fn requirement_name(title: &str) -> String {
    strip_closing(strip_keyword(title.trim(), "Requirement:").unwrap_or(title.trim()))
}

/// A name without its closing run of `#`.
fn strip_closing(name: &str) -> String {
    let name = name.trim();
    let bare = name.trim_end_matches('#');
    if bare.len() < name.len() && (bare.is_empty() || bare.ends_with(char::is_whitespace)) {
        bare.trim_end().to_string()
    } else {
        name.to_string()
    }
}

fn is_requirement_header(title: &str) -> bool {
    strip_keyword(title.trim(), "Requirement:").is_some()
}

/// Read a main spec; problems of structure go to [`MainSpec::structure`].
pub fn parse_main_spec(doc: &Doc) -> MainSpec {
    let mut spec = MainSpec {
        title: doc
            .headers
            .iter()
            .find(|h| h.level == 1)
            .map(|h| h.title.clone()),
        ..MainSpec::default()
    };
    if let Some(p) = doc.find_section(2, "Purpose") {
        spec.purpose = Some(doc.section_body(p));
        spec.purpose_line = Some(doc.headers[p].line + 1);
    }
    let req = doc.find_section(2, "Requirements");
    let req_range = req.map(|r| (doc.headers[r].line, doc.section_end(r)));
    if let Some(r) = req {
        spec.requirements_line = Some(doc.headers[r].line + 1);
        let end = doc.section_end(r);
        let kids: Vec<usize> = (r + 1..doc.headers.len())
            .take_while(|&i| doc.headers[i].line < end)
            .filter(|&i| doc.headers[i].level == 3)
            .collect();
        for (n, &h) in kids.iter().enumerate() {
            let block_end = kids.get(n + 1).map(|&k| doc.headers[k].line).unwrap_or(end);
            spec.requirements.push(requirement_at(doc, h, block_end));
        }
    }
    for h in &doc.headers {
        if h.level == 2 && is_delta_section(&h.title) {
            spec.structure.push((
                h.line + 1,
                format!("delta header `## {}` in a main spec", h.title),
            ));
        }
        let inside = req_range.is_some_and(|(a, b)| h.line > a && h.line < b);
        if h.level == 3 && is_requirement_header(&h.title) && !inside {
            spec.structure.push((
                h.line + 1,
                format!("`### {}` outside the `## Requirements` section", h.title),
            ));
        }
    }
    let mut seen: Vec<&Requirement> = Vec::new();
    for r in &spec.requirements {
        if let Some(first) = seen.iter().find(|s| s.name == r.name) {
            spec.structure.push((
                r.line,
                format!(
                    "requirement \"{}\" appears twice (lines {} and {})",
                    r.name, first.line, r.line
                ),
            ));
        } else {
            seen.push(r);
        }
    }
    spec
}

/// `- FROM: `### Requirement: X`` -> `X` (dash, backticks optional).
fn named_entry(line: &str, label: &str) -> Option<String> {
    let t = line.trim().trim_start_matches(['-', '*', '+']).trim();
    let t = if label.is_empty() {
        t
    } else {
        strip_keyword(t, label)?
    };
    let (level, title) = header_of(t.trim().trim_matches('`').trim())?;
    if level != 3 {
        return None;
    }
    strip_keyword(&title, "Requirement:")
        .map(|n| strip_closing(n.trim_end_matches('`')))
        .filter(|n| !n.is_empty())
}

/// Read a delta spec: every `##` delta section, in order. Entries inside
/// code blocks of REMOVED and RENAMED are not read.
pub fn parse_delta(doc: &Doc) -> DeltaSpec {
    let mut delta = DeltaSpec::default();
    if let Some(p) = doc.find_section(2, "Purpose") {
        let body = doc.section_body(p);
        delta.purpose = (!body.is_empty()).then_some(body);
    }
    let sections: Vec<(usize, Operation)> = doc
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.level == 2)
        .filter_map(|(i, h)| Operation::from_title(&h.title).map(|op| (i, op)))
        .collect();
    delta.sections = sections.len();
    if delta.sections > 0 {
        let mut section: Option<&str> = None;
        for h in &doc.headers {
            match h.level {
                1 | 2 => section = (h.level == 2).then_some(h.title.as_str()),
                3 if is_requirement_header(&h.title)
                    && section.is_none_or(|t| Operation::from_title(t).is_none()) =>
                {
                    delta.notes.push(DeltaNote::OutsideSections {
                        line: h.line + 1,
                        name: requirement_name(&h.title),
                        section: section.map(str::to_string),
                    });
                }
                _ => {}
            }
        }
    }
    for (s, op) in sections {
        let start = doc.headers[s].line;
        let end = doc.section_end(s);
        match op {
            Operation::Added | Operation::Modified => {
                let heads: Vec<usize> = (s + 1..doc.headers.len())
                    .take_while(|&i| doc.headers[i].line < end)
                    .filter(|&i| doc.headers[i].level == 3)
                    .collect();
                let reqs: Vec<usize> = heads
                    .iter()
                    .copied()
                    .filter(|&i| is_requirement_header(&doc.headers[i].title))
                    .collect();
                for &i in heads.iter().filter(|i| !reqs.contains(i)) {
                    delta.notes.push(DeltaNote::NotARequirement {
                        line: doc.headers[i].line + 1,
                        header: doc.headers[i].title.clone(),
                    });
                }
                for (n, &h) in reqs.iter().enumerate() {
                    let block_end = reqs.get(n + 1).map(|&k| doc.headers[k].line).unwrap_or(end);
                    let mut r = requirement_at(doc, h, block_end);
                    // The requirement text stops at the first header; an absorbed
                    // `### Topic` header must not end it, so recompute over the block.
                    r.text = requirement_text_until_scenario(doc, h, block_end);
                    if op == Operation::Added {
                        delta.added.push(r);
                    } else {
                        delta.modified.push(r);
                    }
                }
            }
            Operation::Removed => {
                for i in start + 1..end {
                    if doc.is_code(i) {
                        continue;
                    }
                    if let Some(name) = named_entry(doc.line(i), "") {
                        delta.removed.push(NameRef { name, line: i + 1 });
                    }
                }
            }
            Operation::Renamed => {
                let mut from: Option<NameRef> = None;
                for i in start + 1..end {
                    if doc.is_code(i) {
                        continue;
                    }
                    let line = doc.line(i);
                    if let Some(name) = named_entry(line, "FROM:") {
                        if let Some(f) = from.take() {
                            delta.notes.push(DeltaNote::DanglingFrom {
                                line: f.line,
                                name: f.name,
                            });
                        }
                        from = Some(NameRef { name, line: i + 1 });
                    } else if let Some(name) = named_entry(line, "TO:") {
                        match from.take() {
                            Some(f) => delta.renamed.push(Rename {
                                from: f.name,
                                to: name,
                                line: f.line,
                            }),
                            None => delta
                                .notes
                                .push(DeltaNote::DanglingTo { line: i + 1, name }),
                        }
                    }
                }
                if let Some(f) = from {
                    delta.notes.push(DeltaNote::DanglingFrom {
                        line: f.line,
                        name: f.name,
                    });
                }
            }
        }
    }
    delta
}

/// Text of a delta block: body lines up to its first `####` header.
fn requirement_text_until_scenario(doc: &Doc, h: usize, end: usize) -> String {
    let from = doc.headers[h].line + 1;
    let to = doc.headers[h + 1..]
        .iter()
        .find(|x| x.line < end && x.level >= 4)
        .map(|x| x.line)
        .unwrap_or(end)
        .min(end);
    let lines: Vec<usize> = (from..to)
        .filter(|&i| header_of(doc.line(i)).is_none() || doc.is_code(i))
        .collect();
    let body: Vec<&str> = lines
        .iter()
        .map(|&i| doc.line(i).trim())
        .filter(|l| !l.is_empty())
        .collect();
    let meta = body.iter().take_while(|l| is_metadata(l)).count();
    if meta == body.len() {
        body.join("\n")
    } else {
        body[meta..].join("\n")
    }
}

/// A top-level `##` section of a proposal.
#[derive(Debug, Clone)]
pub struct Section {
    /// The header title.
    pub title: String,
    /// 1-based line of the header.
    pub line: usize,
    /// The section's content (sub-sections included), trimmed.
    pub body: String,
}

/// A `proposal.md` as a model.
#[derive(Debug, Clone, Default)]
pub struct Proposal {
    /// The first `#` header's text after its first `:` (`# Change: Add x`
    /// gives `Add x`), or the whole title when it has no `:` or nothing
    /// after it.
    pub title: Option<String>,
    /// Every `##` section, in order.
    pub sections: Vec<Section>,
}

impl Proposal {
    /// The first section whose trimmed title equals `name` (ASCII case-insensitive).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.title.trim().eq_ignore_ascii_case(name))
    }
}

/// Read a proposal.
pub fn parse_proposal(doc: &Doc) -> Proposal {
    let title = doc
        .headers
        .iter()
        .find(|h| h.level == 1)
        .map(|h| match h.title.split_once(':') {
            Some((_, t)) if !t.trim().is_empty() => t.trim().to_string(),
            _ => h.title.clone(),
        });
    let sections = doc
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.level == 2)
        .map(|(i, h)| Section {
            title: h.title.clone(),
            line: h.line + 1,
            body: doc.section_body(i),
        })
        .collect();
    Proposal { title, sections }
}

/// A `tasks.md` as counts and texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tasks {
    /// Checkbox lines.
    pub total: usize,
    /// Those checked (`[x]` or `[X]`).
    pub done: usize,
    /// Task texts (checkbox removed), for rules that look for a topic.
    pub items: Vec<String>,
    /// Per task in `items`, whether it is done.
    pub checked: Vec<bool>,
    /// List items (`-`, `*`, `+`, `1.`, `1)` and a space), tasks or not.
    pub list_items: usize,
    /// Headers of level 1 to 3 with whether their section holds anything.
    pub groups: Vec<(String, bool)>,
}

/// A task is a line, at any indent and also inside code blocks, that is a
/// list item (`-`, `*`, `+`, or `1.`/`1)` with up to nine digits) whose text
/// starts with a one-character box (`[ ]`, `[x]`, `[]`, `[~]`, `[ x ]`, …);
/// a box followed by `(` or `[` is a link unless it holds only spaces. Only
/// `x`/`X` means done (OpenSpec 1.13.2's reading).
pub fn parse_tasks(doc: &Doc) -> Tasks {
    let mut t = Tasks::default();
    for i in 0..doc.line_count() {
        t.list_items += usize::from(is_list_item(doc.line(i)));
        let Some((done, item)) = task_line(doc.line(i)) else {
            continue;
        };
        t.total += 1;
        t.done += usize::from(done);
        t.items.push(item.trim().to_string());
        t.checked.push(done);
    }
    t.groups = doc
        .headers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.level <= 3)
        .map(|(i, h)| (h.title.clone(), !doc.section_body(i).is_empty()))
        .collect();
    t
}

/// Whether a line is a list item: a marker (`-`, `*`, `+`, or up to nine
/// digits and `.` or `)`) followed by a space or the end of the line.
fn is_list_item(line: &str) -> bool {
    let rest = line.trim_start();
    let rest = match rest.strip_prefix(['-', '*', '+']) {
        Some(r) => r,
        None => {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return false;
            }
            match rest[digits..].strip_prefix(['.', ')']) {
                Some(r) => r,
                None => return false,
            }
        }
    };
    rest.is_empty() || rest.starts_with([' ', '\t'])
}

/// One task line: whether it is done, and its text.
fn task_line(line: &str) -> Option<(bool, &str)> {
    let rest = line.trim_start();
    let rest = if let Some(r) = rest.strip_prefix(['-', '*', '+']) {
        r
    } else {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        rest[digits..].strip_prefix(['.', ')'])?
    };
    let rest = rest.trim_start().strip_prefix('[')?;
    let close = rest.find(']')?;
    let (inner, after) = (&rest[..close], &rest[close + 1..]);
    let link = after.starts_with(['(', '[']);
    let mark = inner.trim();
    let done = match mark.chars().count() {
        0 if !inner.is_empty() => false,
        0 if !link => false,
        1 if !link => mark.eq_ignore_ascii_case("x"),
        _ => return None,
    };
    Some((done, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_spec_requirements_and_scenarios() {
        let doc = Doc::parse(
            "# a Specification\n## Purpose\nP.\n## Requirements\n### Requirement: One\n**ID**: 1\nThe system SHALL x.\n\n#### Scenario: S\n- **WHEN** a\n#### Scenario: Empty\n### Topic\n**Only**: meta\n",
        );
        let s = parse_main_spec(&doc);
        assert_eq!(s.requirements.len(), 2);
        assert_eq!(s.requirements[0].text, "The system SHALL x.");
        assert_eq!(s.requirements[0].scenarios.len(), 1);
        assert_eq!(s.requirements[1].name, "Topic");
        assert_eq!(s.requirements[1].text, "**Only**: meta");
        assert!(s.structure.is_empty());
    }

    #[test]
    fn delta_sections() {
        let doc = Doc::parse(
            "## RENAMED Requirements\n- FROM: `### Requirement: Old`\n- TO: `### Requirement: New`\n## REMOVED Requirements\n- `### Requirement: Gone`\n**Reason**: x\n### Requirement: Also\n## added requirements\n###Requirement: A\nText SHALL.\n### Note\nmore\n#### Scenario: s\nok\n",
        );
        let d = parse_delta(&doc);
        assert_eq!(
            d.renamed,
            vec![Rename {
                from: "Old".into(),
                to: "New".into(),
                line: 2
            }]
        );
        let removed: Vec<_> = d.removed.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(removed, ["Gone", "Also"]);
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.added[0].scenarios.len(), 1);
        assert!(d.added[0].raw.contains("### Note"));
        assert_eq!(d.notes.len(), 1);
    }

    #[test]
    fn tasks_any_indent() {
        let doc = Doc::parse(
            "## 1. G\n- [ ] 1.1 a\n  * [x] b\n- [X] c\n- [] empty\n```\n- [ ] code\n```\n1. [x] n\n2) [~] p\n+ [ x ] q\n- [A](link)\n- [ ](x)\n- [ab] no\n1234567890. [ ] long\n",
        );
        let t = parse_tasks(&doc);
        assert_eq!((t.done, t.total), (4, 9));
    }
}
