//! Declared versus computed: what a change's commits affect (hosts and
//! categories, from its recorded base revision to the working tree) that
//! its proposal's `## Impact` section does not name.
//!
//! Rules (the proposal template states the same convention):
//! - A host is named by its attribute name as a word of the section
//!   (`yoga`, `` `hetzner-vps` ``), by `all hosts` / `every host`, or by a
//!   path the section names that the host depends on (the declared scope).
//! - A category is named by its name, with a hyphen or a space
//!   (`security-model`, `security model`), in any case.
//! - HTML comments (the template's guidance) name nothing.
//! - Files under `openspec/` (the proposal itself) are not part of the
//!   computed impact.
use std::path::Path;

use super::category::Finding;
use super::declared::{declared_paths, impact_text};
use super::{ImpactError, Options, Request, analyze, load_base};
use crate::flake::FlakeModel;

/// What the computed impact has that `## Impact` does not name.
#[derive(Debug, Default)]
pub struct Undeclared {
    /// The base revision the impact was computed from (the merge-base).
    pub base: String,
    /// The line of `## Impact` in proposal.md; `None` when it has none.
    pub impact_line: Option<usize>,
    /// Affected hosts not named.
    pub hosts: Vec<String>,
    /// Categories not named, each with the finding that put the change in it.
    pub categories: Vec<(String, Finding)>,
}

impl Undeclared {
    /// Nothing missing.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.categories.is_empty()
    }
}

/// The impact of the change at `change_dir` since `base` (its recorded
/// base revision) in the flake at `flake_dir`, whose working tree `head`
/// models, against what its proposal's `## Impact` section names.
///
/// Errors: `base` is not a revision of this repository, git fails.
pub fn undeclared(
    flake_dir: &Path,
    head: &FlakeModel,
    change_dir: &Path,
    base: &str,
) -> Result<Undeclared, ImpactError> {
    let mut selection = Request {
        recorded_base: Some(base.to_string()),
        ..Default::default()
    }
    .resolve(flake_dir)?;
    // The proposal's own files are bookkeeping, not code to declare (a host
    // that reads the whole source would otherwise be affected by them).
    selection.changed.retain(|f| !f.starts_with("openspec/"));
    let mut out = Undeclared {
        base: selection.base.clone().unwrap_or_else(|| base.to_string()),
        ..Default::default()
    };
    let (impact_line, text) = match impact_text(change_dir) {
        Some((line, text)) => (Some(line), text),
        None => (None, String::new()),
    };
    out.impact_line = impact_line;
    if selection.changed.is_empty() {
        return Ok(out);
    }
    let base_model = load_base(flake_dir, &selection, head)?;
    let rep = analyze(
        head,
        base_model.as_ref(),
        &selection.changed,
        &selection.options,
    );
    let words = words_of(&text);
    let lower = text.to_lowercase();
    let all = ["all hosts", "every host", "each host"]
        .iter()
        .any(|p| lower.contains(p));
    // Hosts the section's paths reach, as `impact <id>` predicts them.
    let paths: Vec<String> = declared_paths(change_dir)
        .into_iter()
        .filter(|d| d.named_at.starts_with("proposal.md:"))
        .map(|d| d.path.trim_end_matches('/').to_string())
        .collect();
    let by_paths = if paths.is_empty() {
        vec![]
    } else {
        let tree = head.tree.as_deref();
        let mut files: Vec<String> = vec![];
        for p in &paths {
            match tree.filter(|t| t.is_dir(p)) {
                Some(t) => files.extend(t.files_under(p).cloned()),
                None => files.push(p.clone()),
            }
        }
        let opts = Options {
            no_categories: true,
            ..Default::default()
        };
        analyze(head, None, &files, &opts).affected_hosts
    };
    if !all {
        out.hosts = rep
            .affected_hosts
            .iter()
            .filter(|h| !words.contains(&h.to_lowercase()) && !by_paths.contains(h))
            .cloned()
            .collect();
    }
    let folded = fold(&text);
    for name in &rep.categories {
        if !folded.contains(&fold(name))
            && let Some(f) = rep
                .category_findings
                .iter()
                .find(|f| f.category == name.as_str())
        {
            out.categories.push((name.clone(), f.clone()));
        }
    }
    Ok(out)
}

/// The words of a text as host names are spelled (letters, digits, `-`,
/// `_`, `.`), lower-cased, without a sentence's final dot.
fn words_of(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || "-_.".contains(c)))
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Lower case, hyphens as spaces, runs of spaces as one.
fn fold(s: &str) -> String {
    s.to_lowercase()
        .replace(['-', '_'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_categories_are_told_as_words() {
        let w = words_of("- Hosts: `yoga`, hetzner-vps.\n- Categories: security-model");
        assert!(w.contains("yoga") && w.contains("hetzner-vps"));
        assert!(!w.contains("yog"));
        assert!(fold("Security Model changes").contains(&fold("security-model")));
        assert!(!fold("performance").contains(&fold("breaking")));
    }
}
