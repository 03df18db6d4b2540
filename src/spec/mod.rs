//! The OpenSpec format: parse, validate, merge (archive), templates.
//!
//! `doc` reads a markdown file (BOM, CRLF, fences), `parse` builds models,
//! `repo` finds and loads changes and specs, `validate` judges them,
//! `merge` rebuilds a main spec from a delta, `archive` writes the result
//! all-or-nothing, `templates` and `kind` hold the pantherOS proposal kinds.
//!
//! The layout this module reads and writes, under the repository root:
//!
//! ```text
//! openspec/
//!   project.md, config.yaml          written by `init`
//!   specs/<capability>/spec.md       main specs; a capability id may nest (`area/cap`)
//!   changes/<id>/proposal.md         why and what (see `kind` for required sections)
//!   changes/<id>/tasks.md            `- [ ]` / `- [x]` task list
//!   changes/<id>/.openspec.yaml      `schema`, `created`, `skip_specs`, `retire_capabilities`
//!   changes/<id>/specs/<capability>/spec.md   delta specs (ADDED/MODIFIED/REMOVED/RENAMED)
//!   changes/archive/<YYYY-MM-DD>-<id>/        archived changes
//!   .archive-journal.json            only while an archive runs or after it was interrupted
//! ```
//!
//! Names: a new change id is kebab-case ([`check_new_id`]); any existing
//! item name must stay inside its directory ([`check_item_name`]). Problems
//! inside an item are [`Issue`]s (reported, item by item); problems that stop
//! a command are [`SpecError`]s.
#![warn(missing_docs)]
pub mod archive;
pub mod diff;
pub mod doc;
pub mod kind;
pub mod merge;
pub mod parse;
pub mod repo;
pub mod schema;
pub mod templates;
pub mod validate;

pub use archive::JournalError;
pub use kind::Kind;
pub use repo::Repo;
pub use validate::{Issue, Level};

/// Errors of the spec layer that stop a command (item-level problems are
/// `Issue`s). Messages name the file or item and the fix; paths in them are
/// relative to the repository root. Variants caused by an I/O or parse error
/// keep it as their `source()`. Each variant has a stable [`SpecError::code`].
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A directory under `openspec/` could not be listed (code `io`).
    #[error("{path}: cannot read the directory ({source})")]
    Io {
        /// The directory, relative to the repository root.
        path: String,
        /// The error of listing it (a walk error is wrapped as `Other`).
        source: std::io::Error,
    },
    /// `openspec/` could not be opened or locked for a reason other than
    /// another holder of the lock (code `write-failed`).
    #[error("{path}: cannot lock ({source})")]
    LockFailed {
        /// `openspec`, relative to the repository root.
        path: String,
        /// The error of opening or locking it.
        source: std::io::Error,
    },
    /// An archive could not write its journal, a staged file or a directory
    /// before its commit point; everything was rolled back (code `write-failed`).
    #[error("{path}: cannot write ({source}); nothing was changed")]
    WriteFailed {
        /// The file or directory that failed, relative to the repository root.
        path: String,
        /// The write's error.
        source: std::io::Error,
    },
    /// No `openspec/` directory under the root given (code `environment`).
    #[error("no openspec/ directory under {0}; run `openspec init` or pass --root DIR")]
    NoOpenspecDir(String),
    /// A change id or item name breaks the naming rules; the message says
    /// which rule and, for new ids, suggests one (code `invalid-id`).
    #[error("{0}")]
    InvalidId(String),
    /// No such change or spec, or a name that is both (code `not-found`).
    #[error("{0}")]
    NotFound(String),
    /// The folder under `changes/` holds no change files itself but wraps
    /// nested change folders (code `archive_change_is_namespace_folder`).
    #[error("{0}")]
    NamespaceFolder(String),
    /// What a command would create already exists (code `exists`).
    #[error("{0}")]
    Exists(String),
    /// Another archive holds the lock on `openspec/` (code `locked`).
    #[error("another openspec archive holds the lock on {0}; wait for it to finish")]
    Locked(String),
    /// Validation of the change found errors; archive wrote nothing (code `invalid`).
    #[error("change \"{id}\" is invalid ({} error(s)); fix them or pass --no-validate", .issues.iter().filter(|i| i.level == Level::Error).count())]
    Invalid {
        /// The change id.
        id: String,
        /// Every issue found (errors and the rest).
        issues: Vec<Issue>,
    },
    /// `changes/archive/<name>` already exists (code `destination-exists`).
    #[error("the destination {0} already exists; rename or remove it first")]
    DestinationExists(String),
    /// One or more main specs cannot be rebuilt from their deltas; each
    /// message names the file and the fix (code `merge-failed`).
    #[error("cannot rebuild the specs; nothing was written:\n  {}", .0.join("\n  "))]
    Merge(Vec<String>),
    /// A rename or the journal removal failed after the commit point; the
    /// journal stays so `--recover` can finish (code `interrupted`).
    #[error(
        "archive interrupted after its commit point ({0}); run `openspec archive --recover` to finish it"
    )]
    Interrupted(#[source] std::io::Error),
    /// The archive journal is unusable or could not be cleaned up (code `journal`).
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl SpecError {
    /// Stable code for JSON `status` entries (given on each variant).
    pub fn code(&self) -> &'static str {
        match self {
            SpecError::Io { .. } => "io",
            SpecError::LockFailed { .. } | SpecError::WriteFailed { .. } => "write-failed",
            SpecError::NoOpenspecDir(_) => "environment",
            SpecError::InvalidId(_) => "invalid-id",
            SpecError::NotFound(_) => "not-found",
            SpecError::Exists(_) => "exists",
            SpecError::NamespaceFolder(_) => "archive_change_is_namespace_folder",
            SpecError::Locked(_) => "locked",
            SpecError::Invalid { .. } => "invalid",
            SpecError::DestinationExists(_) => "destination-exists",
            SpecError::Merge(_) => "merge-failed",
            SpecError::Interrupted(_) => "interrupted",
            SpecError::Journal(_) => "journal",
        }
    }

    /// Problems of the environment rather than of the item (exit 2): `Io`,
    /// `NoOpenspecDir` and `Journal`.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            SpecError::Io { .. } | SpecError::NoOpenspecDir(_) | SpecError::Journal(_)
        )
    }
}

/// Change ids for new changes: kebab-case (lower-case ASCII letters and
/// digits in parts joined by single dashes), at most 200 bytes, not
/// `archive`, and a valid item name ([`check_item_name`]).
///
/// Errors: [`SpecError::InvalidId`]; for a non-kebab id the message
/// suggests one (lower-cased, other characters turned into single dashes).
pub fn check_new_id(id: &str) -> Result<(), SpecError> {
    check_item_name(id)?;
    if id == "archive" {
        return Err(SpecError::InvalidId(
            "\"archive\" is the directory of archived changes; pick another id".into(),
        ));
    }
    let kebab = !id.is_empty()
        && id.len() <= 200
        && id.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if kebab {
        Ok(())
    } else {
        Err(SpecError::InvalidId(format!(
            "change id \"{id}\" is not kebab-case (lower-case letters and digits joined by single dashes, at most 200 characters); try \"{}\"",
            suggest_id(id)
        )))
    }
}

/// Names of existing items (changes, nested spec ids) must stay inside their
/// directory: not empty, no leading `/`, no `\` or NUL, and every
/// `/`-separated part non-empty, not `.` or `..`, and not starting with `.`.
///
/// Errors: [`SpecError::InvalidId`] naming the rule.
pub fn check_item_name(name: &str) -> Result<(), SpecError> {
    let bad = name.is_empty()
        || name.contains('\\')
        || name.contains('\0')
        || name.starts_with('/')
        || name
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == ".." || p.starts_with('.'));
    if bad {
        Err(SpecError::InvalidId(format!(
            "\"{name}\" is not a valid name: it must not be empty, start with `/` or `.`, or contain `..`, `\\` or empty path parts"
        )))
    } else {
        Ok(())
    }
}

fn suggest_id(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let s = out.trim_end_matches('-');
    if s.is_empty() {
        "my-change".into()
    } else {
        s.chars().take(200).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(check_new_id("add-ssh-2").is_ok());
        for bad in [
            "", "Add", "a--b", "-a", "a/b", "..", "../x", "a_b", "archive",
        ] {
            assert!(check_new_id(bad).is_err(), "{bad}");
        }
        assert!(check_item_name("area/cap").is_ok());
        assert!(check_item_name("a/../b").is_err());
    }

    #[test]
    fn errors_keep_their_cause() {
        use std::error::Error;
        let dir = tempfile::tempdir().unwrap();
        let p = repo::read_doc(dir.path()).unwrap_err();
        assert!(p.to_string().starts_with("cannot read the file ("), "{p}");
        assert!(p.source().is_some());
        let f = dir.path().join("bad.md");
        std::fs::write(&f, b"ok\n\xff").unwrap();
        let p = repo::read_doc(&f).unwrap_err();
        assert_eq!(
            p.to_string(),
            "not valid UTF-8 (line 2); re-save the file as UTF-8"
        );
        assert_eq!(p.line(), Some(2));
        assert!(p.source().and_then(Error::source).is_some());
        let e = SpecError::from(JournalError::Read(std::io::Error::other("boom")));
        assert_eq!(e.code(), "journal");
        assert_eq!(
            e.to_string(),
            "cannot read openspec/.archive-journal.json (boom)"
        );
    }
}
