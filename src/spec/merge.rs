//! Applying one delta spec to its main spec, in memory: RENAMED, then
//! REMOVED, then MODIFIED, then ADDED. Text around the Requirements section
//! and inside untouched blocks is kept as written.
//!
//! The rules (requirement names compare exactly unless said otherwise):
//! - A main spec with structural errors is not merged into.
//! - A new spec (no file yet) takes only ADDED entries: MODIFIED or RENAMED
//!   entries are errors, REMOVED ones are ignored with a warning. It starts
//!   as `# <cap> Specification`, `## Purpose` (the delta's purpose, else a
//!   TBD line naming the change) and `## Requirements`.
//! - An existing spec without `## Requirements` gets one appended.
//! - RENAMED: the `FROM` block gets the `TO` header, body kept. `TO` already
//!   there without `FROM` is a warning (already renamed); neither, or both,
//!   is an error.
//! - REMOVED: the block goes. A name that matches only up to case and
//!   spacing is an error; no match at all is a warning (already removed).
//! - MODIFIED: the block is replaced by the delta's; the name must exist and
//!   every scenario of the current block must still be there. An identical
//!   block (trailing spaces ignored) is not counted.
//! - ADDED: the block is appended after the others. The same name with the
//!   same text is a no-op; with other text it is an error.
//! - The result must pass the main-spec rules of `validate` (errors only).
//! - Blocks are separated by one blank line; a spec nothing changed in keeps
//!   its text byte for byte.
use serde::Serialize;

use super::doc::Doc;
use super::parse::{DeltaSpec, parse_main_spec, requirement_name};
use super::validate::{Level, Rules, fold, main_spec_issues};

/// How many requirements a merge added, modified, removed and renamed
/// (entries that were no-ops are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Blocks appended.
    pub added: usize,
    /// Blocks replaced with different text.
    pub modified: usize,
    /// Blocks dropped.
    pub removed: usize,
    /// Headers renamed.
    pub renamed: usize,
}

impl Counts {
    /// Add `o` field by field.
    pub fn add(&mut self, o: Counts) {
        self.added += o.added;
        self.modified += o.modified;
        self.removed += o.removed;
        self.renamed += o.renamed;
    }
    /// Whether nothing was counted.
    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

/// A main spec rebuilt from a delta.
#[derive(Debug, Clone)]
pub struct Rebuilt {
    /// The new text (normalised line ends).
    pub text: String,
    /// False when nothing changed: the file is not rewritten.
    pub changed: bool,
    /// The spec did not exist before.
    pub created: bool,
    /// What changed.
    pub counts: Counts,
    /// Entries ignored or already applied, each message naming the target file.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
struct Block {
    name: String,
    raw: String,
}

/// A main spec cut around its Requirements section.
struct Parts {
    before: String,
    preamble: String,
    blocks: Vec<Block>,
    after: String,
}

fn is_req_header(doc: &Doc, h: usize) -> bool {
    let x = &doc.headers[h];
    x.level == 3 && super::doc::strip_keyword(x.title.trim(), "Requirement:").is_some()
}

fn trim_blank_end(lines: &str) -> String {
    lines.trim_end().to_string()
}

fn split(doc: &Doc) -> Parts {
    let Some(r) = doc.find_section(2, "Requirements") else {
        let mut before = doc.text.trim_end().to_string();
        if !before.is_empty() {
            before.push_str("\n\n");
        }
        before.push_str("## Requirements");
        return Parts {
            before,
            preamble: String::new(),
            blocks: Vec::new(),
            after: String::new(),
        };
    };
    let start = doc.headers[r].line;
    let end = doc.section_end(r);
    let starts: Vec<usize> = (r + 1..doc.headers.len())
        .filter(|&h| doc.headers[h].line < end && is_req_header(doc, h))
        .map(|h| doc.headers[h].line)
        .collect();
    let first = starts.first().copied().unwrap_or(end);
    let blocks = starts
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let e = starts.get(i + 1).copied().unwrap_or(end);
            Block {
                name: requirement_name(doc.line(s).trim_start_matches('#')),
                raw: trim_blank_end(&doc.slice(s, e)),
            }
        })
        .collect();
    // One blank line before `## Requirements`, as 1.13.2 writes it.
    let head = doc.slice(0, start);
    let before = if head.trim().is_empty() {
        doc.slice(0, start + 1)
    } else {
        format!("{}\n\n{}", head.trim_end(), doc.line(start))
    };
    Parts {
        before,
        preamble: doc.slice(start + 1, first).trim().to_string(),
        blocks,
        after: doc.slice(end, doc.line_count()).trim_end().to_string(),
    }
}

fn join(parts: &Parts) -> String {
    let mut out = parts.before.clone();
    out.push('\n');
    if !parts.preamble.is_empty() {
        out.push('\n');
        out.push_str(&parts.preamble);
        out.push('\n');
    }
    for b in &parts.blocks {
        out.push('\n');
        out.push_str(&b.raw);
        out.push('\n');
    }
    if !parts.after.trim().is_empty() {
        out.push('\n');
        out.push_str(&parts.after);
        out.push('\n');
    }
    out
}

/// Scenario names of a block: every `####` child, an empty one too (1.13.2
/// refuses a MODIFIED block that drops either).
pub(crate) fn scenario_names(raw: &str) -> Vec<String> {
    let doc = Doc::parse(raw);
    (0..doc.headers.len())
        .filter(|&h| doc.headers[h].level == 4)
        .map(|h| {
            let t = doc.headers[h].title.trim();
            super::doc::strip_keyword(t, "Scenario:")
                .unwrap_or(t)
                .to_string()
        })
        .collect()
}

fn same_block(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    };
    norm(a) == norm(b)
}

/// Rebuild capability `cap` (file `target_rel`) from `current` (None: a new
/// capability) and `delta`; `change_id` names the change in a new spec's TBD
/// purpose.
///
/// Errors: every rule broken (see the module doc), each message starting
/// with `target_rel` (and a line where known) and naming the fix.
pub fn rebuild(
    cap: &str,
    target_rel: &str,
    current: Option<&Doc>,
    delta: &DeltaSpec,
    change_id: &str,
) -> Result<Rebuilt, Vec<String>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for note in &delta.notes {
        if let super::parse::DeltaNote::OutsideSections { line, name, .. } = note {
            warnings.push(format!(
                "{target_rel}: requirement \"{name}\" (delta line {line}) is outside the delta sections and was not applied"
            ));
        }
    }
    let mut counts = Counts::default();
    let created = current.is_none();
    let mut parts = match current {
        Some(doc) => {
            let structure = parse_main_spec(doc).structure;
            if !structure.is_empty() {
                return Err(structure
                    .iter()
                    .map(|(line, m)| {
                        format!("{target_rel}:{line}: {m}; fix the main spec before archiving")
                    })
                    .collect());
            }
            split(doc)
        }
        None => {
            if !delta.renamed.is_empty() || !delta.modified.is_empty() {
                return Err(vec![format!(
                    "{target_rel} does not exist, so only ADDED requirements can create it; move the MODIFIED/RENAMED entries to ADDED"
                )]);
            }
            if !delta.removed.is_empty() {
                warnings.push(format!(
                    "{target_rel} is new: REMOVED entries ({}) ignored",
                    delta.removed.len()
                ));
            }
            let purpose = delta.purpose.clone().unwrap_or_else(|| {
                format!(
                    "TBD - created by archiving change {change_id}. Update Purpose after archive."
                )
            });
            Parts {
                before: format!(
                    "# {cap} Specification\n\n## Purpose\n{purpose}\n\n## Requirements"
                ),
                preamble: String::new(),
                blocks: Vec::new(),
                after: String::new(),
            }
        }
    };
    let find = |blocks: &[Block], name: &str| blocks.iter().position(|b| b.name == name);

    for r in &delta.renamed {
        match (find(&parts.blocks, &r.from), find(&parts.blocks, &r.to)) {
            (None, Some(_)) => warnings.push(format!(
                "{target_rel}: \"{}\" is already renamed to \"{}\"",
                r.from, r.to
            )),
            (None, None) => errors.push(format!(
                "{target_rel}: RENAMED \"{}\" -> \"{}\": neither requirement exists; check the names",
                r.from, r.to
            )),
            (Some(_), Some(_)) => errors.push(format!(
                "{target_rel}: RENAMED \"{}\" -> \"{}\": \"{}\" already exists; pick another name",
                r.from, r.to, r.to
            )),
            (Some(i), None) if let Some(b) = parts.blocks.iter().enumerate().find(|(k, b)| *k != i && fold(&b.name) == fold(&r.to)).map(|(_, b)| b) => errors.push(format!(
                "{target_rel}: RENAMED \"{}\" -> \"{}\": \"{}\" differs from the existing \"{}\" only in case or spacing; pick another name",
                r.from, r.to, r.to, b.name
            )),
            (Some(i), None) => {
                let block = &mut parts.blocks[i];
                let body = block.raw.split_once('\n').map(|(_, b)| b).unwrap_or("");
                block.raw = if body.is_empty() {
                    format!("### Requirement: {}", r.to)
                } else {
                    format!("### Requirement: {}\n{body}", r.to)
                };
                block.name = r.to.clone();
                counts.renamed += 1;
            }
        }
    }
    for r in &delta.removed {
        if created {
            break;
        }
        if let Some(i) = find(&parts.blocks, &r.name) {
            parts.blocks.remove(i);
            counts.removed += 1;
        } else if let Some(b) = parts.blocks.iter().find(|b| fold(&b.name) == fold(&r.name)) {
            errors.push(format!(
                "{target_rel}: REMOVED \"{}\" only matches \"{}\" up to case or spaces; write the exact name",
                r.name, b.name
            ));
        } else {
            warnings.push(format!("{target_rel}: \"{}\" is already removed", r.name));
        }
    }
    for m in &delta.modified {
        let Some(i) = find(&parts.blocks, &m.name) else {
            errors.push(format!(
                "{target_rel}: MODIFIED \"{}\" is not in the spec; use ADDED or fix the name",
                m.name
            ));
            continue;
        };
        let have = scenario_names(&parts.blocks[i].raw);
        let kept: Vec<&str> = m.scenarios.iter().map(|s| s.name.as_str()).collect();
        let dropped: Vec<&String> = have
            .iter()
            .filter(|s| !kept.contains(&s.as_str()))
            .collect();
        if !dropped.is_empty() {
            errors.push(format!(
                "{target_rel}: MODIFIED \"{}\" drops scenario(s) {:?}; copy the whole requirement block into the delta",
                m.name, dropped
            ));
            continue;
        }
        if !same_block(&parts.blocks[i].raw, &m.raw) {
            parts.blocks[i].raw = trim_blank_end(&m.raw);
            counts.modified += 1;
        }
    }
    for a in &delta.added {
        match find(&parts.blocks, &a.name) {
            Some(i) if same_block(&parts.blocks[i].raw, &a.raw) => {}
            Some(_) => errors.push(format!(
                "{target_rel}: ADDED \"{}\" already exists with different text; use MODIFIED",
                a.name
            )),
            None if let Some(b) = parts.blocks.iter().find(|b| fold(&b.name) == fold(&a.name)) => errors.push(format!(
                "{target_rel}: ADDED \"{}\" differs from the existing \"{}\" only in case or spacing; use the existing name (MODIFIED) or pick another",
                a.name, b.name
            )),
            None => {
                parts.blocks.push(Block {
                    name: a.name.clone(),
                    raw: trim_blank_end(&a.raw),
                });
                counts.added += 1;
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let changed = created || !counts.is_zero();
    let text = if changed {
        join(&parts)
    } else {
        current.map(|d| d.text.clone()).unwrap_or_default()
    };
    if changed {
        let spec = parse_main_spec(&Doc::parse(&text));
        let issues = main_spec_issues(&spec, target_rel, Rules::default());
        let errs: Vec<String> = issues
            .iter()
            .filter(|i| i.level == Level::Error)
            .map(|i| match i.line {
                Some(l) => format!("{}:{l}: rebuilt spec is invalid: {}", i.path, i.message),
                None => format!("{}: rebuilt spec is invalid: {}", i.path, i.message),
            })
            .collect();
        if !errs.is_empty() {
            return Err(errs);
        }
    }
    Ok(Rebuilt {
        text,
        changed,
        created,
        counts,
        warnings,
    })
}

/// Bytes for disk: `text` (with `\n` line ends) with a UTF-8 BOM prepended
/// when `bom`, and every `\n` written as `\r\n` when `crlf`.
pub fn encode(text: &str, bom: bool, crlf: bool) -> Vec<u8> {
    let body = if crlf {
        text.replace('\n', "\r\n")
    } else {
        text.to_string()
    };
    let mut out = Vec::with_capacity(body.len() + 3);
    if bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    out.extend_from_slice(body.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse::parse_delta;

    const MAIN: &str = "# c Specification\n\n## Purpose\nThe purpose of this capability is long enough to pass.\n\n## Requirements\n\n### Requirement: A\nThe system SHALL a.\n\n#### Scenario: a1\n- ok\n\n### Requirement: B\nThe system SHALL b.\n\n#### Scenario: b1\n- ok\n\n## Notes\nkept\n";

    #[test]
    fn order_rename_remove_modify_add() {
        let delta = parse_delta(&Doc::parse(
            "## ADDED Requirements\n### Requirement: C\nThe system SHALL c.\n#### Scenario: c1\n- ok\n## MODIFIED Requirements\n### Requirement: A2\nThe system SHALL a2.\n#### Scenario: a1\n- changed\n## REMOVED Requirements\n- `### Requirement: B`\n## RENAMED Requirements\n- FROM: `### Requirement: A`\n- TO: `### Requirement: A2`\n",
        ));
        let r = rebuild("c", "s", Some(&Doc::parse(MAIN)), &delta, "x").unwrap();
        assert_eq!(
            r.counts,
            Counts {
                added: 1,
                modified: 1,
                removed: 1,
                renamed: 1
            }
        );
        assert_eq!(
            r.text,
            "# c Specification\n\n## Purpose\nThe purpose of this capability is long enough to pass.\n\n## Requirements\n\n### Requirement: A2\nThe system SHALL a2.\n#### Scenario: a1\n- changed\n\n### Requirement: C\nThe system SHALL c.\n#### Scenario: c1\n- ok\n\n## Notes\nkept\n"
        );
        let again = rebuild("c", "s", Some(&Doc::parse(&r.text)), &delta, "x").unwrap();
        assert!(!again.changed, "{:?}", again);
    }

    #[test]
    fn preamble_kept_and_missing_requirements_section_appended() {
        let main = "# c\n\n## Purpose\nThe purpose of this capability is long enough to pass.\n\n## Requirements\nIntro paragraph.\n\n### Requirement: A\nThe system SHALL a.\n\n#### Scenario: s\n- ok\n";
        let delta = parse_delta(&Doc::parse(
            "## ADDED Requirements\n### Requirement: B\nThe system SHALL b.\n#### Scenario: s\n- ok\n",
        ));
        let r = rebuild("c", "s", Some(&Doc::parse(main)), &delta, "x").unwrap();
        assert!(
            r.text
                .contains("## Requirements\n\nIntro paragraph.\n\n### Requirement: A"),
            "{}",
            r.text
        );
        let bare = "# c\n\n## Purpose\nThe purpose of this capability is long enough to pass.\n";
        let r = rebuild("c", "s", Some(&Doc::parse(bare)), &delta, "x").unwrap();
        assert!(
            r.text.ends_with("## Requirements\n\n### Requirement: B\nThe system SHALL b.\n#### Scenario: s\n- ok\n"),
            "{}",
            r.text
        );
    }

    #[test]
    fn crlf_and_bom_are_restored_on_encode() {
        assert_eq!(encode("a\nb\n", true, true), b"\xEF\xBB\xBFa\r\nb\r\n");
        assert_eq!(encode("a\n", false, false), b"a\n");
    }
}
