//! A proposal's own statement of scope: the repository paths it names.
//!
//! Rules:
//! - In proposal.md, the `## Impact` section (up to the next heading of
//!   level 2 or less) is read whole: backticked spans and plain words alike.
//!   In tasks.md and design.md only backticked spans count, since their prose
//!   names too much in passing.
//! - A word is a path when it has no spaces, no `://`, does not start with
//!   `-` or `/`, and either holds a `/` or ends in a file extension
//!   (`flake.nix`, `hosts/yoga/default.nix`, `modules/security/`). Trailing
//!   punctuation and a leading `./` are dropped. Option names
//!   (`services.openssh.enable`) are not paths: no `/`, no known extension.
//! - A `New:`, `Modified:` or `Removed:` prefix on the line is kept.
//! - Each path keeps where it was named (`proposal.md:12`).
use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// How a proposal says it touches a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Declared {
    /// `New:` on its line.
    New,
    /// `Modified:` on its line.
    Modified,
    /// `Removed:` on its line.
    Removed,
    /// Named without a prefix.
    Named,
}

/// One path a proposal names.
#[derive(Debug, Clone, Serialize)]
pub struct DeclaredPath {
    /// The repository path, relative to the flake (directories end in `/`).
    pub path: String,
    /// How it was declared.
    pub declared: Declared,
    /// Where it was named first: `proposal.md:12`.
    pub named_at: String,
}

/// The paths the proposal at `change_dir` names, in the order first named,
/// each once.
pub fn declared_paths(change_dir: &Path) -> Vec<DeclaredPath> {
    let mut out: BTreeMap<String, (usize, DeclaredPath)> = BTreeMap::new();
    let mut order = 0usize;
    let mut add = |path: String, declared: Declared, named_at: String| {
        order += 1;
        out.entry(path.clone()).or_insert((
            order,
            DeclaredPath {
                path,
                declared,
                named_at,
            },
        ));
    };
    if let Ok(text) = std::fs::read_to_string(change_dir.join("proposal.md")) {
        for (line_no, line) in impact_section(&text) {
            let declared = prefix_of(line);
            for word in words(line, false) {
                add(word, declared, format!("proposal.md:{line_no}"));
            }
        }
    }
    for name in ["tasks.md", "design.md"] {
        if let Ok(text) = std::fs::read_to_string(change_dir.join(name)) {
            for (i, line) in text.lines().enumerate() {
                for word in words(line, true) {
                    add(word, Declared::Named, format!("{name}:{}", i + 1));
                }
            }
        }
    }
    let mut v: Vec<(usize, DeclaredPath)> = out.into_values().collect();
    v.sort_by_key(|(o, _)| *o);
    v.into_iter().map(|(_, d)| d).collect()
}

/// Whether the proposal has an `## Impact` section at all.
pub fn has_impact_section(change_dir: &Path) -> bool {
    std::fs::read_to_string(change_dir.join("proposal.md"))
        .is_ok_and(|t| t.lines().any(is_impact_heading))
}

fn is_impact_heading(line: &str) -> bool {
    let t = line.trim_end();
    let hashes = t.chars().take_while(|c| *c == '#').count();
    let title = t[hashes..].trim().to_ascii_lowercase();
    // `## Impact`, `## Impact:`, `## Impact Analysis`; not `## Impacted teams`.
    (1..=2).contains(&hashes)
        && title
            .strip_prefix("impact")
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
}

/// The `## Impact` section of the proposal at `change_dir`: the 1-based
/// line of its heading and its text, HTML comments (template guidance)
/// left out; `None` when proposal.md is missing or has no such section.
pub fn impact_text(change_dir: &Path) -> Option<(usize, String)> {
    let text = std::fs::read_to_string(change_dir.join("proposal.md")).ok()?;
    let heading = text.lines().position(is_impact_heading)? + 1;
    let body: Vec<&str> = impact_section(&text).into_iter().map(|(_, l)| l).collect();
    Some((heading, strip_comments(&body.join("\n"))))
}

fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The lines of the `## Impact` section with their 1-based numbers.
fn impact_section(text: &str) -> Vec<(usize, &str)> {
    let mut out = vec![];
    let mut inside = false;
    let mut fence = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = !fence;
        }
        if !fence && t.starts_with('#') {
            let hashes = t.chars().take_while(|c| *c == '#').count();
            if is_impact_heading(t) {
                inside = true;
                continue;
            }
            if hashes <= 2 {
                inside = false;
            }
        }
        if inside {
            out.push((i + 1, line));
        }
    }
    out
}

fn prefix_of(line: &str) -> Declared {
    let t = line
        .trim_start()
        .trim_start_matches(['-', '*', '+', ' '])
        .trim_start_matches("**")
        .to_ascii_lowercase();
    let word = |w: &str| {
        t.strip_prefix(w)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
    };
    if word("new") {
        Declared::New
    } else if word("modified") {
        Declared::Modified
    } else if word("removed") || word("deleted") {
        Declared::Removed
    } else {
        Declared::Named
    }
}

/// The path-like words of a line; with `backticked_only`, only those inside
/// backticks.
fn words(line: &str, backticked_only: bool) -> Vec<String> {
    let mut candidates: Vec<&str> = vec![];
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 1 {
            candidates.push(part.trim());
        } else if !backticked_only {
            candidates.extend(part.split(|c: char| c.is_whitespace() || c == ','));
        }
    }
    candidates.into_iter().filter_map(as_path).collect()
}

const EXTENSIONS: &[&str] = &[
    "nix", "json", "lock", "sh", "bash", "toml", "yaml", "yml", "kdl", "pub", "conf", "age", "txt",
    "el", "lua", "py", "rs", "md",
];

fn as_path(word: &str) -> Option<String> {
    let w = word
        .trim_matches(|c: char| matches!(c, '(' | ')' | '[' | ']' | '"' | '\'' | '*'))
        .trim_end_matches(['.', ',', ';', ':', '!', '?']);
    let w = w.strip_prefix("./").unwrap_or(w);
    if w.is_empty()
        || w.contains(char::is_whitespace)
        || w.contains("://")
        || w.starts_with(['-', '/', '~', '$', '<', '@'])
        || w.contains(['<', '>', '{', '}', '=', '|'])
        || w.split('/').any(|seg| seg == "..")
    {
        return None;
    }
    let last = w.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let has_ext = last
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext));
    let is_dir = w.contains('/') && !last.contains('.');
    // A path of the repository: a file with an extension, or a directory
    // spelled with a `/` (`hosts/servers/contabo-vps/`).
    if has_ext
        || (is_dir
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)))
    {
        Some(w.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_told_from_other_words() {
        let got = words(
            "- Affected code: hosts/zephyrus/default.nix and hosts/yoga/default.nix (add ghostty), flake.nix.",
            false,
        );
        assert_eq!(
            got,
            [
                "hosts/zephyrus/default.nix",
                "hosts/yoga/default.nix",
                "flake.nix"
            ]
        );
        assert!(
            words(
                "- Affected specs: terminal-emulator (new capability)",
                false
            )
            .is_empty()
        );
        assert!(
            words(
                "uses `services.openssh.enable` and https://example.org/a.nix",
                false
            )
            .is_empty()
        );
        assert_eq!(
            words(
                "  - New: `hosts/servers/contabo-vps/` (disko.nix, hardware.nix)",
                false
            ),
            ["hosts/servers/contabo-vps/", "disko.nix", "hardware.nix"]
        );
        assert_eq!(
            words("edit ./modules/a.nix then `lib/b.nix`", true),
            ["lib/b.nix"]
        );
        assert_eq!(prefix_of("  - New: `x/`"), Declared::New);
        assert_eq!(prefix_of("- **Modified**: `flake.nix`"), Declared::Modified);
        assert_eq!(prefix_of("- Newer hosts: `x/`"), Declared::Named);
        assert!(is_impact_heading("## Impact Analysis") && is_impact_heading("## Impact:"));
        assert!(!is_impact_heading("## Impacted teams"));
    }

    #[test]
    fn only_the_impact_section_of_a_proposal_counts() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("proposal.md"),
            "# P\n\n## Why\nflake.nix is old.\n\n## Impact\n- Modified: `flake.nix`\n- hosts/yoga/default.nix\n\n### Detail\n- lib/a.nix\n\n## Notes\n- notes.nix\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            dir.path().join("tasks.md"),
            "- [ ] edit `modules/b.nix` and c.nix\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got: Vec<(String, String)> = declared_paths(dir.path())
            .into_iter()
            .map(|d| (d.path, d.named_at))
            .collect();
        assert_eq!(
            got,
            [
                ("flake.nix".to_string(), "proposal.md:7".to_string()),
                ("hosts/yoga/default.nix".into(), "proposal.md:8".into()),
                ("lib/a.nix".into(), "proposal.md:11".into()),
                ("modules/b.nix".into(), "tasks.md:1".into()),
            ]
        );
        assert!(has_impact_section(dir.path()));
    }
}
