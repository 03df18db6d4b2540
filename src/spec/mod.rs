//! The OpenSpec format: parse, validate, merge (archive), templates.
//!
//! `doc` reads a markdown file (BOM, CRLF, fences), `parse` builds models,
//! `repo` finds and loads changes and specs, `validate` judges them,
//! `merge` rebuilds a main spec from a delta, `archive` writes the result
//! all-or-nothing, `templates` and `kind` hold the pantherOS proposal kinds.
pub mod archive;
pub mod doc;
pub mod kind;
pub mod merge;
pub mod parse;
pub mod repo;
pub mod templates;
pub mod validate;

pub use kind::Kind;
pub use repo::Repo;
pub use validate::{Issue, Level};

/// Errors of the spec layer that stop a command (item-level problems are
/// `Issue`s). Messages name the file or item and the fix.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: {message}")]
    WriteFailed { path: String, message: String },
    #[error("no openspec/ directory under {0}; run `openspec init` or pass --root DIR")]
    NoOpenspecDir(String),
    #[error("{0}")]
    InvalidId(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Exists(String),
    #[error("another openspec archive holds the lock on {0}; wait for it to finish")]
    Locked(String),
    #[error("change \"{id}\" is invalid ({} error(s)); fix them or pass --no-validate", .issues.iter().filter(|i| i.level == Level::Error).count())]
    Invalid { id: String, issues: Vec<Issue> },
    #[error("the destination {0} already exists; rename or remove it first")]
    DestinationExists(String),
    #[error("cannot rebuild the specs; nothing was written:\n  {}", .0.join("\n  "))]
    Merge(Vec<String>),
    #[error(
        "archive interrupted after its commit point ({0}); run `openspec archive --recover` to finish it"
    )]
    Interrupted(String),
    #[error("{0}")]
    Journal(String),
}

impl SpecError {
    /// Stable code for JSON `status` entries.
    pub fn code(&self) -> &'static str {
        match self {
            SpecError::Io { .. } => "io",
            SpecError::WriteFailed { .. } => "write-failed",
            SpecError::NoOpenspecDir(_) => "environment",
            SpecError::InvalidId(_) => "invalid-id",
            SpecError::NotFound(_) => "not-found",
            SpecError::Exists(_) => "exists",
            SpecError::Locked(_) => "locked",
            SpecError::Invalid { .. } => "invalid",
            SpecError::DestinationExists(_) => "destination-exists",
            SpecError::Merge(_) => "merge-failed",
            SpecError::Interrupted(_) => "interrupted",
            SpecError::Journal(_) => "journal",
        }
    }

    /// Problems of the environment rather than of the item (exit 2).
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            SpecError::Io { .. } | SpecError::NoOpenspecDir(_) | SpecError::Journal(_)
        )
    }
}

/// Change ids for new changes: kebab-case, at most 200 characters.
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

/// Names of existing items (changes, nested spec ids) must stay inside their directory.
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
}
