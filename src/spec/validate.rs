//! Judging loaded items: the format's rules and, for changes with a kind,
//! the kind's required sections. Each finding is an [`Issue`] with a level;
//! an item passes with no error (and, under `--strict`, no warning).
//!
//! Main specs:
//! - `## Purpose` is required (error); under 50 characters is a warning.
//! - `## Requirements` is required and must hold a block (errors).
//! - Structural problems (see `parse`) are errors.
//! - A Purpose that is archive's placeholder or starts with TBD/TODO is a
//!   warning; a requirement without a scenario also gets a warning saying
//!   how scenarios are written (both as OpenSpec 1.13.2).
//!
//! Requirements (of main specs and of ADDED/MODIFIED blocks):
//! - Text is required (error). It must hold a whole-word upper-case SHALL or
//!   MUST: a warning without, an error under `legacy` or for a delta block
//!   whose keyword is only in the header. Over 500 characters is an info.
//! - At least one non-empty `#### Scenario:` (error).
//!
//! Changes:
//! - An unreadable `proposal.md`, `tasks.md`, delta or `.openspec.yaml` is
//!   an error. `spec.md` directly in `specs/` is an error; at the change root
//!   an info; other files under `specs/` are infos.
//! - At least one delta entry, unless `skip_specs` (error); `skip_specs`
//!   with files under `specs/` is an error.
//! - Each delta needs a delta section and an entry (errors); a FROM without
//!   a TO, a name twice in one section, a name both REMOVED and elsewhere,
//!   MODIFIED under a name RENAMED away, RENAMED onto an ADDED name, and a
//!   MODIFIED block that drops a scenario the main spec has are errors
//!   (duplicates and conflicts compare names up to case and spacing).
//! - A `### Requirement:` block outside the four delta sections is a
//!   warning (archive does not apply it); a tasks.md with list items but no
//!   checkbox is a warning; a folder that only wraps nested change folders
//!   is an error (it is not a change); each refusal the archive merge would
//!   meet on the current main spec is an info.
//! - With a kind: each required section (common and the kind's) missing or
//!   still the template is a warning, and so is the lack of a rollback plan
//!   (a filled proposal section, a tasks group or a task mentioning
//!   rollback).
//!
//! `legacy` makes a requirement without SHALL/MUST an error, and lists as
//! changes only directories that hold a `proposal.md` (see `repo`).
use serde::Serialize;

use super::doc::has_normative_keyword;
use super::kind::Kind;
use super::parse::{DeltaNote, MainSpec, Requirement};
use super::repo::{Change, LoadedSpec, MetaState};
use super::templates::is_placeholder;

/// How bad an issue is, worst first (`ERROR`, `WARNING`, `INFO` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// The item fails validation.
    Error,
    /// The item fails only under `--strict`.
    Warning,
    /// Never fails the item.
    Info,
}

/// One finding about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// How bad it is.
    pub level: Level,
    /// The file (or change directory), relative to the repository root.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// 1-based line, when the finding has one (left out of JSON otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

impl Issue {
    fn new(level: Level, path: &str, line: Option<usize>, message: impl Into<String>) -> Issue {
        Issue {
            level,
            path: path.to_string(),
            message: message.into(),
            line,
        }
    }
}

/// Which variant of the rules applies; the default is neither.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules {
    /// `--strict`: warnings fail too (see [`passes`]).
    pub strict: bool,
    /// `--legacy`: a requirement without SHALL/MUST is an error.
    pub legacy: bool,
}

/// Whether a list of issues passes: no error, and no warning under `--strict`.
pub fn passes(issues: &[Issue], strict: bool) -> bool {
    !issues
        .iter()
        .any(|i| i.level == Level::Error || (strict && i.level == Level::Warning))
}

/// Case- and space-folded name for comparisons across sections: runs of
/// whitespace become one space, ends trimmed, lower-cased.
pub fn fold(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

const PURPOSE_MIN: usize = 50;
const TEXT_MAX: usize = 500;

/// Everything about a main spec: one error when its file is unusable, else
/// [`main_spec_issues`].
pub fn validate_spec(loaded: &LoadedSpec, rules: Rules) -> Vec<Issue> {
    let path = loaded.rel.as_str();
    if let Err(p) = &loaded.doc {
        return vec![Issue::new(Level::Error, path, p.line(), p.to_string())];
    }
    main_spec_issues(&loaded.spec, path, rules)
}

/// The main-spec rules over a parsed spec (also used on rebuilt specs in archive).
pub fn main_spec_issues(spec: &MainSpec, path: &str, rules: Rules) -> Vec<Issue> {
    let mut out = Vec::new();
    match &spec.purpose {
        None => out.push(Issue::new(
            Level::Error,
            path,
            None,
            "no `## Purpose` section; add one that says what the capability is for",
        )),
        Some(p) if p.chars().count() < PURPOSE_MIN => out.push(Issue::new(
            Level::Warning,
            path,
            spec.purpose_line,
            format!(
                "Purpose is {} characters; write at least {PURPOSE_MIN}",
                p.chars().count()
            ),
        )),
        Some(p) if is_placeholder_purpose(p) => out.push(Issue::new(
            Level::Warning,
            path,
            spec.purpose_line,
            "Purpose is still a placeholder (the line archive writes for a new capability, or TBD/TODO); write what the capability is for",
        )),
        Some(_) => {}
    }
    match spec.requirements_line {
        None => out.push(Issue::new(
            Level::Error,
            path,
            None,
            "no `## Requirements` section; add it with `### Requirement: <name>` blocks",
        )),
        Some(line) if spec.requirements.is_empty() => out.push(Issue::new(
            Level::Error,
            path,
            Some(line),
            "`## Requirements` holds no requirement; add a `### Requirement: <name>` block",
        )),
        Some(_) => {}
    }
    for r in &spec.requirements {
        requirement_issues(r, path, rules, false, &mut out);
        if r.scenarios.is_empty() {
            // As 1.13.2, a main spec also gets the hint on how to write one.
            out.push(Issue::new(
                Level::Warning,
                path,
                Some(r.line),
                format!("requirement \"{}\": scenarios are `#### Scenario: <name>` headers; turn WHEN/THEN bullet lists into one", r.name),
            ));
        }
    }
    for (line, msg) in &spec.structure {
        out.push(Issue::new(
            Level::Error,
            path,
            Some(*line),
            format!("{msg}; fix the structure of the spec"),
        ));
    }
    out
}

/// Whether a Purpose is the placeholder archive writes for a new capability
/// (`TBD - created by archiving change …`) or starts with `TBD` or `TODO`.
pub fn is_placeholder_purpose(purpose: &str) -> bool {
    let p = purpose.trim_start();
    p.starts_with("TBD") || p.starts_with("TODO")
}

/// Text, scenario and SHALL/MUST rules of one requirement or delta block.
fn requirement_issues(
    r: &Requirement,
    path: &str,
    rules: Rules,
    delta: bool,
    out: &mut Vec<Issue>,
) {
    let name = &r.name;
    let line = Some(r.line);
    if r.text.trim().is_empty() {
        out.push(Issue::new(
            Level::Error,
            path,
            line,
            format!("requirement \"{name}\" has no text; describe it with SHALL or MUST below its header"),
        ));
    } else if !has_normative_keyword(&r.text) {
        let in_header = has_normative_keyword(&r.header);
        let level = if rules.legacy || (delta && in_header) {
            Level::Error
        } else {
            Level::Warning
        };
        let msg = if in_header {
            format!(
                "requirement \"{name}\" has SHALL/MUST only in its header; put it in the requirement text"
            )
        } else {
            format!(
                "requirement \"{name}\" has no SHALL or MUST in its text; state it as \"The system SHALL …\""
            )
        };
        out.push(Issue::new(level, path, line, msg));
    }
    if r.text.chars().count() > TEXT_MAX {
        out.push(Issue::new(
            Level::Info,
            path,
            line,
            format!(
                "requirement \"{name}\" text is {} characters (over {TEXT_MAX}); consider splitting it",
                r.text.chars().count()
            ),
        ));
    }
    if r.scenarios.is_empty() {
        out.push(Issue::new(
            Level::Error,
            path,
            line,
            format!("requirement \"{name}\" has no scenario; add `#### Scenario: <name>` with WHEN/THEN lines"),
        ));
    }
}

/// Why a folder under `changes/` that only wraps nested change folders
/// (`nested`, ids such as `mobile/refresh`) is not a change, and the fix.
pub fn not_a_change(id: &str, nested: &[String]) -> String {
    let flat = nested
        .first()
        .map(|n| n.replace('/', "-"))
        .unwrap_or_default();
    format!(
        "\"{id}\" is not a change: it only wraps nested change folder(s) {}; a change is a directory directly under openspec/changes/, so move each one to a flat name (for example openspec/changes/{flat}/)",
        nested
            .iter()
            .map(|n| format!("openspec/changes/{n}/"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Everything about a change. `main_spec` looks up the current main spec of a capability.
pub fn validate_change<'a>(
    change: &Change,
    main_spec: &dyn Fn(&str) -> Option<&'a MainSpec>,
    rules: Rules,
    kind: Option<Kind>,
) -> Vec<Issue> {
    let mut out = Vec::new();
    let base = change.rel.as_str();
    if let Some(nested) = &change.nested {
        out.push(Issue::new(
            Level::Error,
            base,
            None,
            not_a_change(&change.id, nested),
        ));
        return out;
    }
    let file = |name: &str| format!("{base}/{name}");
    for (name, problem) in [
        (
            "proposal.md",
            change.proposal.as_ref().and_then(|p| p.as_ref().err()),
        ),
        (
            "tasks.md",
            change.tasks.as_ref().and_then(|t| t.as_ref().err()),
        ),
    ] {
        if let Some(p) = problem {
            out.push(Issue::new(
                Level::Error,
                &file(name),
                p.line(),
                p.to_string(),
            ));
        }
    }
    if let Some(Ok(t)) = &change.tasks
        && t.total == 0
        && t.list_items > 0
    {
        out.push(Issue::new(
            Level::Warning,
            &file("tasks.md"),
            None,
            "tasks.md has list items but no checkbox, so it counts as 0 tasks; write each task as `- [ ] 1.1 Do it`",
        ));
    }
    let skip_specs = match &change.meta {
        MetaState::Unusable(msg) => {
            out.push(Issue::new(
                Level::Error,
                &file(".openspec.yaml"),
                None,
                msg.clone(),
            ));
            false
        }
        MetaState::Ok(m) => m.skip_specs,
        MetaState::Absent => false,
    };
    if let Some(p) = &change.root_spec {
        out.push(Issue::new(
            Level::Error,
            p,
            None,
            format!(
                "spec.md directly under {base}/specs/; move it to {base}/specs/<capability>/spec.md"
            ),
        ));
    }
    if let Some(p) = &change.change_root_spec {
        out.push(Issue::new(
            Level::Info,
            p,
            None,
            format!("spec.md at the change root is not a delta and is ignored; move it to {base}/specs/<capability>/spec.md"),
        ));
    }
    if skip_specs && !change.spec_files.is_empty() {
        out.push(Issue::new(
            Level::Error,
            &file(".openspec.yaml"),
            None,
            format!(
                "skip_specs is true but {} file(s) exist under {base}/specs/; remove them or set skip_specs: false",
                change.spec_files.len()
            ),
        ));
    }
    for f in &change.spec_files {
        if !f.ends_with("/spec.md") && has_delta_headers(change, f) {
            out.push(Issue::new(
                Level::Error,
                f,
                None,
                "delta section headers in a file archive does not read (only specs/<capability>/spec.md is merged); move the entries into specs/<capability>/spec.md",
            ));
        } else if !f.ends_with("/spec.md") {
            out.push(Issue::new(
                Level::Info,
                f,
                None,
                "not a delta spec (only specs/<capability>/spec.md files are read); ignored",
            ));
        }
    }
    let entries: usize = change.deltas.iter().map(|d| d.delta.entry_count()).sum();
    if entries == 0 {
        if skip_specs {
            out.push(Issue::new(
                Level::Info,
                &file(".openspec.yaml"),
                None,
                "no delta specs: skip_specs is set, so archive will not touch specs",
            ));
        } else {
            out.push(Issue::new(
                Level::Error,
                base,
                None,
                format!(
                    "change has no delta; add {base}/specs/<capability>/spec.md with `## ADDED Requirements` (or set skip_specs: true in .openspec.yaml)"
                ),
            ));
        }
    }
    for d in &change.deltas {
        delta_issues(d, main_spec, rules, &mut out);
        would_refuse(d, main_spec, &mut out);
    }
    if let Some(kind) = kind {
        kind_issues(change, kind, &mut out);
    }
    out
}

/// Whether a markdown file under a change's `specs/` has a delta section
/// header (`## ADDED Requirements` and the others, any case).
pub fn has_delta_headers(change: &Change, rel: &str) -> bool {
    if !rel.ends_with(".md") {
        return false;
    }
    let Some(inside) = rel.strip_prefix(&format!("{}/", change.rel)) else {
        return false;
    };
    let Ok(text) = std::fs::read_to_string(change.dir.join(inside)) else {
        return false;
    };
    text.lines().any(|l| {
        let Some(rest) = l.strip_prefix("##") else {
            return false;
        };
        if !rest.starts_with(char::is_whitespace) {
            return false;
        }
        let mut words = rest.split_whitespace();
        let op = words.next().unwrap_or("").to_ascii_uppercase();
        let next = words.next().unwrap_or("");
        ["ADDED", "MODIFIED", "REMOVED", "RENAMED"].contains(&op.as_str())
            && next
                .get(..12)
                .is_some_and(|w| w.eq_ignore_ascii_case("requirements"))
    })
}

/// As 1.13.2: the refusals the archive merge of one delta file would meet
/// on the current main spec, as information (the verdict does not change;
/// archive itself refuses). Checked on the loaded main spec, without a
/// merge: a MODIFIED or RENAMED name the spec does not have, and MODIFIED
/// or RENAMED against a capability that does not exist yet.
fn would_refuse<'a>(
    d: &super::repo::DeltaFile,
    main_spec: &dyn Fn(&str) -> Option<&'a MainSpec>,
    out: &mut Vec<Issue>,
) {
    if d.doc.is_err() {
        return;
    }
    let delta = &d.delta;
    let target = format!("openspec/specs/{}/spec.md", d.capability);
    let mut info = |message: String| {
        out.push(Issue::new(
            Level::Info,
            &d.rel,
            None,
            format!("archive would refuse this delta: {message}"),
        ))
    };
    let Some(main) = main_spec(&d.capability) else {
        if !delta.modified.is_empty() || !delta.renamed.is_empty() {
            info(format!(
                "{target} does not exist, and a new capability takes only ADDED requirements"
            ));
        }
        return;
    };
    // Archive reads only `### Requirement:` headers as blocks (`### Topic`
    // counts for validation, not for the merge).
    let has = |name: &str| {
        main.requirements.iter().any(|r| {
            r.name == name && super::doc::strip_keyword(r.header.trim(), "Requirement:").is_some()
        })
    };
    for r in &delta.renamed {
        if !has(&r.from) && !has(&r.to) {
            info(format!("RENAMED \"{}\" is not in {target}", r.from));
        }
    }
    for r in &delta.modified {
        let renamed_here = delta.renamed.iter().any(|x| x.to == r.name && has(&x.from));
        if !has(&r.name) && !renamed_here {
            info(format!("MODIFIED \"{}\" is not in {target}", r.name));
        }
    }
}

fn delta_issues<'a>(
    d: &super::repo::DeltaFile,
    main_spec: &dyn Fn(&str) -> Option<&'a MainSpec>,
    rules: Rules,
    out: &mut Vec<Issue>,
) {
    let path = d.rel.as_str();
    if let Err(p) = &d.doc {
        out.push(Issue::new(Level::Error, path, p.line(), p.to_string()));
        return;
    }
    let delta = &d.delta;
    if delta.sections == 0 {
        out.push(Issue::new(
            Level::Error,
            path,
            None,
            "no delta section header; put requirements under `## ADDED Requirements` (or MODIFIED/REMOVED/RENAMED)",
        ));
        return;
    }
    if delta.entry_count() == 0 {
        out.push(Issue::new(
            Level::Error,
            path,
            None,
            "delta sections hold no entries; add `### Requirement: <name>` blocks (headers like `### Topic` are not requirements)",
        ));
    }
    for note in &delta.notes {
        match note {
            DeltaNote::NotARequirement { line, header } => out.push(Issue::new(
                Level::Info,
                path,
                Some(*line),
                format!("`### {header}` is not a requirement header and belongs to the block before it; write `### Requirement: {header}` to make it one"),
            )),
            DeltaNote::OutsideSections { line, name, section } => out.push(Issue::new(
                Level::Warning,
                path,
                Some(*line),
                format!(
                    "requirement \"{name}\" is {}, not in a delta section, so archive does not apply it; move it under `## ADDED Requirements` (or MODIFIED/REMOVED/RENAMED)",
                    match section {
                        Some(t) => format!("under `## {t}`"),
                        None => "before the first `##` section".to_string(),
                    }
                ),
            )),
            DeltaNote::DanglingTo { line, name } => out.push(Issue::new(
                Level::Error,
                path,
                Some(*line),
                format!("RENAMED `TO: ### Requirement: {name}` has no `FROM:` line before it; write each rename as a FROM: line followed by its TO: line"),
            )),
            DeltaNote::DanglingFrom { line, name } => out.push(Issue::new(
                Level::Error,
                path,
                Some(*line),
                format!("RENAMED `FROM: ### Requirement: {name}` has no `TO:` line; add `- TO: `### Requirement: <new name>``"),
            )),
        }
    }
    for r in delta.added.iter().chain(&delta.modified) {
        requirement_issues(r, path, rules, true, out);
    }
    // As 1.13.2: names in one delta file compare exactly (after the closing
    // `#` run is dropped), except a RENAMED FROM against REMOVED, which
    // compares case- and space-folded; `--legacy` folds them all.
    let exact = |n: &str| n.trim().to_string();
    let key = |n: &str| if rules.legacy { fold(n) } else { exact(n) };
    let dup = |names: Vec<(&str, usize)>, section: &str, out: &mut Vec<Issue>| {
        let mut seen: Vec<String> = Vec::new();
        for (n, line) in names {
            let f = key(n);
            if seen.contains(&f) {
                out.push(Issue::new(
                    Level::Error,
                    path,
                    Some(line),
                    format!("\"{n}\" appears twice in {section}; keep one entry"),
                ));
            } else {
                seen.push(f);
            }
        }
    };
    dup(
        delta
            .added
            .iter()
            .map(|r| (r.name.as_str(), r.line))
            .collect(),
        "ADDED",
        out,
    );
    dup(
        delta
            .modified
            .iter()
            .map(|r| (r.name.as_str(), r.line))
            .collect(),
        "MODIFIED",
        out,
    );
    dup(
        delta
            .removed
            .iter()
            .map(|r| (r.name.as_str(), r.line))
            .collect(),
        "REMOVED",
        out,
    );
    dup(
        delta
            .renamed
            .iter()
            .map(|r| (r.from.as_str(), r.line))
            .collect(),
        "RENAMED (FROM)",
        out,
    );
    dup(
        delta
            .renamed
            .iter()
            .map(|r| (r.to.as_str(), r.line))
            .collect(),
        "RENAMED (TO)",
        out,
    );
    let removed: Vec<String> = delta.removed.iter().map(|r| key(&r.name)).collect();
    let removed_folded: Vec<String> = delta.removed.iter().map(|r| fold(&r.name)).collect();
    let conflict = |name: &str, line: usize, section: &str, out: &mut Vec<Issue>| {
        let hit = if section == "RENAMED" {
            removed_folded.contains(&fold(name))
        } else {
            removed.contains(&key(name))
        };
        if hit {
            out.push(Issue::new(
                Level::Error,
                path,
                Some(line),
                format!("\"{name}\" is both in {section} and in REMOVED; keep it in one section"),
            ));
        }
    };
    for r in &delta.added {
        conflict(&r.name, r.line, "ADDED", out);
    }
    for r in &delta.modified {
        conflict(&r.name, r.line, "MODIFIED", out);
    }
    for r in &delta.renamed {
        conflict(&r.from, r.line, "RENAMED", out);
        if rules.legacy && fold(&r.to) != fold(&r.from) {
            conflict(&r.to, r.line, "RENAMED", out);
        }
    }
    if !rules.legacy {
        for m in &delta.modified {
            if delta.added.iter().any(|a| key(&a.name) == key(&m.name)) {
                out.push(Issue::new(
                    Level::Error,
                    path,
                    Some(m.line),
                    format!(
                        "\"{}\" is both in MODIFIED and in ADDED; keep it in one section",
                        m.name
                    ),
                ));
            }
        }
    }
    for m in &delta.modified {
        if let Some(r) = delta.renamed.iter().find(|r| key(&r.from) == key(&m.name)) {
            out.push(Issue::new(
                Level::Error,
                path,
                Some(m.line),
                format!(
                    "MODIFIED names \"{}\", which RENAMED renames to \"{}\"; use the new name",
                    m.name, r.to
                ),
            ));
        }
    }
    for r in &delta.renamed {
        if let Some(a) = delta.added.iter().find(|a| key(&a.name) == key(&r.to)) {
            out.push(Issue::new(
                Level::Error,
                path,
                Some(a.line),
                format!("RENAMED to \"{}\" collides with an ADDED requirement of the same name; rename one of them", r.to),
            ));
        }
    }
    if let Some(spec) = main_spec(&d.capability) {
        for m in &delta.modified {
            let old = delta
                .renamed
                .iter()
                .find(|r| r.to == m.name)
                .map(|r| r.from.as_str())
                .unwrap_or(&m.name);
            let Some(current) = spec.requirements.iter().find(|r| r.name == old) else {
                continue;
            };
            let have = super::merge::scenario_names(&current.raw);
            let kept = super::merge::scenario_names(&m.raw);
            for s in &have {
                if !kept.contains(s) {
                    out.push(Issue::new(
                        Level::Error,
                        path,
                        Some(m.line),
                        format!(
                            "MODIFIED \"{}\" drops scenario \"{}\" that specs/{}/spec.md still has; copy the whole requirement block and edit it",
                            m.name, s, d.capability
                        ),
                    ));
                }
            }
        }
    }
}

fn mentions_rollback(s: &str) -> bool {
    let l = s.to_lowercase();
    l.contains("rollback") || l.contains("roll back") || l.contains("roll-back")
}

/// The kind's required sections and a rollback plan (warnings; `--strict` fails).
fn kind_issues(change: &Change, kind: Kind, out: &mut Vec<Issue>) {
    let path = format!("{}/proposal.md", change.rel);
    let Some(Ok(proposal)) = &change.proposal else {
        if change.proposal.is_none() {
            out.push(Issue::new(
                Level::Warning,
                &path,
                None,
                format!(
                    "a {kind} change needs a proposal.md; create it with its required sections"
                ),
            ));
        }
        return;
    };
    let required = ["Why", "What Changes"]
        .into_iter()
        .chain(kind.sections().iter().map(|s| s.title))
        .chain(["Impact"]);
    for title in required {
        match proposal.section(title) {
            None => out.push(Issue::new(
                Level::Warning,
                &path,
                None,
                format!("no `## {title}` section, which a {kind} change requires; add it"),
            )),
            Some(s) if is_placeholder(title, &s.body) => out.push(Issue::new(
                Level::Warning,
                &path,
                Some(s.line),
                format!("`## {title}` is empty or still the template text; fill it in"),
            )),
            Some(_) => {}
        }
    }
    let in_proposal = proposal.sections.iter().any(|s| {
        !is_placeholder(&s.title, &s.body)
            && (mentions_rollback(&s.title) || mentions_rollback(&s.body))
    });
    let in_tasks = match &change.tasks {
        Some(Ok(t)) => {
            t.groups
                .iter()
                .any(|(title, filled)| *filled && mentions_rollback(title))
                || t.items.iter().any(|i| mentions_rollback(i))
        }
        _ => false,
    };
    if !in_proposal && !in_tasks {
        out.push(Issue::new(
            Level::Warning,
            &format!("{}/tasks.md", change.rel),
            None,
            "no rollback plan; add a `## Rollback` group to tasks.md (or a rollback section to the proposal)",
        ));
    }
}
