//! Findings about a flake that made an answer approximate or wider, as typed
//! kinds with stable codes.
//!
//! Every diagnostic names a file and line of the repository and says what to
//! do. The kind decides the JSON `kind` string (stable, part of the
//! `hosts --json` and `impact --json` shapes), a stable code for tools that
//! filter findings, and the default severity:
//!
//! | code  | kind                | default level | meaning |
//! |-------|---------------------|---------------|---------|
//! | F001  | `parse-error`       | error         | a `.nix` file that is not Nix; error when a host reaches it (every such host is assumed affected by anything), information otherwise |
//! | F002  | `dangling-path`     | warning       | a path names nothing on disk, or a symlink that resolves to nothing |
//! | F003  | `outside-root`      | warning       | a path climbs above the flake root (Nix refuses it in pure evaluation) |
//! | F004  | `glob`              | info          | an interpolation could not be resolved: every matching path is a dependency |
//! | F005  | `directory`         | info          | a directory is a dependency whole, or its listing is read |
//! | F006  | `whole-source`      | warning       | the host depends on every tracked file (bare `self`, the root as a value, …) |
//! | F007  | `unresolved`        | warning       | something cannot be resolved statically (`getEnv`, absolute paths); an error when host names cannot be (every answer may miss hosts) |
//! | F008  | `unknown-framework` | error         | hosts are placed by a convention the analysis has no rule for, so none could be named |
use std::cmp::Ordering;

use serde::Serialize;

use super::source::SourceTree;
use super::walk::{Ref, Target};

/// How much a diagnostic matters. Ordered from most to least severe.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The answer stands but the repository must be fixed (exit code 1).
    Error,
    /// The answer is wider than it could be, or something looks wrong.
    Warning,
    /// How the answer was reached; shown with `-v`.
    Info,
}

/// What a diagnostic is about. See the module doc for codes and meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiagnosticKind {
    /// A `.nix` file that does not parse.
    ParseError,
    /// A path that names nothing (or a symlink that resolves to nothing).
    DanglingPath,
    /// A path that leaves the flake root.
    OutsideRoot,
    /// An unresolved interpolation, widened to a glob.
    Glob,
    /// A directory taken whole, or a directory listing read.
    Directory,
    /// A dependency on every tracked file.
    WholeSource,
    /// Something the static reading cannot resolve.
    Unresolved,
    /// Hosts placed by a framework convention without a rule here.
    UnknownFramework,
}

impl DiagnosticKind {
    /// Every kind, in code order.
    pub const ALL: [DiagnosticKind; 8] = [
        DiagnosticKind::ParseError,
        DiagnosticKind::DanglingPath,
        DiagnosticKind::OutsideRoot,
        DiagnosticKind::Glob,
        DiagnosticKind::Directory,
        DiagnosticKind::WholeSource,
        DiagnosticKind::Unresolved,
        DiagnosticKind::UnknownFramework,
    ];

    /// The name used in JSON (`"kind": "dangling-path"`) and text output.
    pub fn name(self) -> &'static str {
        match self {
            DiagnosticKind::ParseError => "parse-error",
            DiagnosticKind::DanglingPath => "dangling-path",
            DiagnosticKind::OutsideRoot => "outside-root",
            DiagnosticKind::Glob => "glob",
            DiagnosticKind::Directory => "directory",
            DiagnosticKind::WholeSource => "whole-source",
            DiagnosticKind::Unresolved => "unresolved",
            DiagnosticKind::UnknownFramework => "unknown-framework",
        }
    }

    /// A stable code (`F001`…); never reused for another meaning.
    pub fn code(self) -> &'static str {
        match self {
            DiagnosticKind::ParseError => "F001",
            DiagnosticKind::DanglingPath => "F002",
            DiagnosticKind::OutsideRoot => "F003",
            DiagnosticKind::Glob => "F004",
            DiagnosticKind::Directory => "F005",
            DiagnosticKind::WholeSource => "F006",
            DiagnosticKind::Unresolved => "F007",
            DiagnosticKind::UnknownFramework => "F008",
        }
    }

    /// The level a finding of this kind has unless its context decides
    /// otherwise (a parse error no host reaches is a warning; a flake whose
    /// outputs cannot be read at all is an error).
    pub fn severity(self) -> Level {
        match self {
            DiagnosticKind::ParseError => Level::Error,
            DiagnosticKind::Glob | DiagnosticKind::Directory => Level::Info,
            DiagnosticKind::DanglingPath
            | DiagnosticKind::OutsideRoot
            | DiagnosticKind::WholeSource
            | DiagnosticKind::Unresolved => Level::Warning,
            DiagnosticKind::UnknownFramework => Level::Error,
        }
    }

    /// The kind named `name` (as printed in JSON), if any.
    pub fn from_name(name: &str) -> Option<DiagnosticKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl Serialize for DiagnosticKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl std::fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding: JSON `{"level", "kind", "file", "line", "message"}`, `file`
/// a repository path, `line` 1-based.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Diagnostic {
    /// How much it matters.
    pub level: Level,
    /// What it is about.
    pub kind: DiagnosticKind,
    /// The repository file it is about.
    pub file: String,
    /// The 1-based line in `file`.
    pub line: u32,
    /// What happened and what to do, in one sentence.
    pub message: String,
}

impl Diagnostic {
    /// A finding of `kind` at its default severity.
    pub fn new(kind: DiagnosticKind, file: impl Into<String>, line: u32, message: String) -> Self {
        Diagnostic {
            level: kind.severity(),
            kind,
            file: file.into(),
            line,
            message,
        }
    }

    /// The same finding at another level.
    pub fn at(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// A `.nix` file that does not parse, at `line:col` (1-based) with the
    /// parser's message; an error when a host reaches it, else information.
    pub fn parse_error(file: &str, line: u32, col: u32, msg: &str, reached: bool) -> Self {
        let d = Diagnostic::new(
            DiagnosticKind::ParseError,
            file,
            line,
            if reached {
                format!(
                    "{line}:{col}: {msg}; fix the file (a host reaches it, so every host that does is assumed affected by any change)"
                )
            } else {
                format!("{line}:{col}: {msg} (no host reaches this file)")
            },
        );
        // Nothing is at stake in a file no host reaches: shown with `-v`.
        if reached { d } else { d.at(Level::Info) }
    }

    /// What a reference says about the file that makes it, if anything.
    pub fn of_ref(tree: &SourceTree, r: &Ref) -> Option<Diagnostic> {
        use DiagnosticKind as K;
        let diag =
            |kind: K, message: String| Some(Diagnostic::new(kind, &*r.from, r.line, message));
        match &r.target {
            Target::File(p)
            | Target::FileWalked(p)
            | Target::Machinery(p)
            | Target::Value(p)
            | Target::Read(p) => {
                let exists = |p: &str| tree.is_file(p) || tree.is_dir(p);
                if !exists(p) && !tree.through_link(p).is_some_and(|r| exists(&r)) {
                    diag(
                        K::DanglingPath,
                        format!(
                            "`{p}` does not exist; create it or fix the reference (the host still depends on it)"
                        ),
                    )
                } else if tree.is_broken_link(p.as_str()) {
                    diag(
                        K::DanglingPath,
                        format!(
                            "`{p}` is a symlink that resolves to nothing (dangling or a loop); fix the link"
                        ),
                    )
                } else {
                    None
                }
            }
            Target::Dir(p) | Target::Tree(p) => diag(
                K::Directory,
                format!("every file under `{p}/` is a dependency"),
            ),
            Target::Listing(p) => diag(
                K::Directory,
                format!(
                    "the listing of `{p}/` is read: adding or removing a file there is a change"
                ),
            ),
            Target::Glob(g) => diag(
                K::Glob,
                format!(
                    "an interpolated path could not be resolved; every path matching `{g}` is a dependency"
                ),
            ),
            Target::Outside(p) => diag(
                K::OutsideRoot,
                format!(
                    "`{p}` leaves the flake's root; Nix refuses it in pure evaluation, keep paths inside the repository"
                ),
            ),
            Target::WholeSource(why) => diag(
                K::WholeSource,
                format!("{why}: the host depends on every tracked file"),
            ),
            Target::Revision(why) => diag(
                K::WholeSource,
                format!("{why}: the host changes with every commit"),
            ),
            Target::Unresolved(what) => diag(
                K::Unresolved,
                format!(
                    "{what} cannot be resolved statically: the host is assumed to depend on the whole repository"
                ),
            ),
            Target::Modules(why) => diag(
                K::Unresolved,
                format!(
                    "{why}, which any flake-parts module may define: the host depends on every module of the flake"
                ),
            )
            .map(|d| d.at(Level::Warning)),
            Target::Input(_) => None,
        }
    }
}

// Ordered as the JSON reads (level, kind name, file, line, message), so
// reports list findings in the same order whatever the enum's layout.
impl Ord for Diagnostic {
    fn cmp(&self, other: &Self) -> Ordering {
        self.level
            .cmp(&other.level)
            .then_with(|| self.kind.name().cmp(other.kind.name()))
            .then_with(|| self.file.cmp(&other.file))
            .then_with(|| self.line.cmp(&other.line))
            .then_with(|| self.message.cmp(&other.message))
    }
}

impl PartialOrd for Diagnostic {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_are_unique_and_round_trip() {
        let mut names = std::collections::BTreeSet::new();
        let mut codes = std::collections::BTreeSet::new();
        for k in DiagnosticKind::ALL {
            assert!(names.insert(k.name()), "{k}: name repeated");
            assert!(codes.insert(k.code()), "{k}: code repeated");
            assert_eq!(DiagnosticKind::from_name(k.name()), Some(k));
        }
        assert_eq!(
            serde_json::to_string(&DiagnosticKind::DanglingPath)
                .ok()
                .as_deref(),
            Some("\"dangling-path\"")
        );
    }

    #[test]
    fn a_parse_error_no_host_reaches_is_information() {
        assert_eq!(
            Diagnostic::parse_error("a.nix", 1, 2, "x", true).level,
            Level::Error
        );
        assert_eq!(
            Diagnostic::parse_error("a.nix", 1, 2, "x", false).level,
            Level::Info
        );
    }
}
