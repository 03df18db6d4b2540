//! One change in the repository: where its files live
//! (`openspec/changes/<id>/…`), finding it by id, and its tracking file.
//! Every command that names a change goes through here, so the id checks and
//! the layout are written once.
use std::path::{Path, PathBuf};

use super::tracking::{self, Tracking, TrackingError};
use crate::spec::{Kind, Repo, templates};

/// The proposal, relative to the change's directory.
pub const PROPOSAL: &str = "proposal.md";
/// The task list, relative to the change's directory.
pub const TASKS: &str = "tasks.md";
/// The optional design document, relative to the change's directory.
pub const DESIGN: &str = "design.md";
/// The delta specs' directory, relative to the change's directory.
pub const SPECS: &str = "specs";
/// Lessons learned, written when the change is archived.
pub const LESSONS: &str = "lessons.md";
/// Verification logs, GC roots and the check report, relative to the change's directory.
pub const VERIFICATION: &str = "verification";

/// A change id that names no active change.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// Where the change's directory is needed (its report and logs go there).
    #[error("no change {id:?}: {} is not a directory; see `openspec list`", dir.display())]
    NotADirectory { id: String, dir: PathBuf },
    /// Where only the id matters (its recorded base revision).
    #[error("no change named {id:?} under openspec/changes/; run `openspec list` for the ids")]
    Unknown { id: String },
}

/// A new change could not be created; nothing was.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("change \"{id}\" already exists ({rel}); pick another id")]
    Exists { id: String, rel: String },
    /// Another process created it while its files were being written.
    #[error("change \"{id}\" appeared meanwhile; pick another id")]
    Appeared { id: String },
    #[error("cannot write {rel} ({source}); nothing was created")]
    Write { rel: String, source: std::io::Error },
}

/// What a new change starts with: its template files for a kind.
#[derive(Debug, Clone)]
pub struct Draft<'a> {
    pub id: &'a str,
    pub kind: Kind,
    pub phase: Option<u8>,
    /// The proposal heading's title.
    pub title: &'a str,
    /// The capability of the delta spec skeleton.
    pub capability: &'a str,
    pub now: chrono::DateTime<chrono::Local>,
}

impl Draft<'_> {
    /// The files of the new change, relative to its directory, with their bytes.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        let tracking = Tracking::new(
            self.kind,
            self.phase,
            self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        vec![
            (
                PROPOSAL.into(),
                templates::proposal(self.kind, self.title).into_bytes(),
            ),
            (
                TASKS.into(),
                templates::tasks(self.kind, self.id).into_bytes(),
            ),
            (
                format!("{SPECS}/{}/spec.md", self.capability),
                templates::delta_skeleton(self.capability).into_bytes(),
            ),
            (
                ".openspec.yaml".into(),
                templates::openspec_yaml(&self.now.format("%Y-%m-%d").to_string()).into_bytes(),
            ),
            (tracking::FILE.into(), tracking.to_bytes()),
        ]
    }
}

/// A change's place in the repository. Constructing one checks nothing
/// (`at`); `open` and `lookup` also check that the id names an active change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: String,
    /// `<root>/openspec/changes/<id>`
    pub dir: PathBuf,
}

impl Change {
    /// The change `id` of the repository at `root`, whether or not it exists
    /// (for a change about to be created, or one the spec layer checks itself).
    pub fn at(root: &Path, id: &str) -> Change {
        Change {
            id: id.to_string(),
            dir: Repo::new(root).changes_dir().join(id),
        }
    }

    /// Create the change `id` in `repo` with `files` (relative to its
    /// directory), all or nothing: they are written into a hidden directory
    /// beside it, which is renamed into place once every file is written.
    pub fn create(
        repo: &Repo,
        id: &str,
        files: &[(String, Vec<u8>)],
    ) -> Result<Change, CreateError> {
        let change = Change::at(&repo.root, id);
        let dest = &change.dir;
        if dest.exists() {
            return Err(CreateError::Exists {
                id: id.to_string(),
                rel: repo.rel(dest),
            });
        }
        let changes = repo.changes_dir();
        let write = |p: &Path, source| CreateError::Write {
            rel: repo.rel(p),
            source,
        };
        std::fs::create_dir_all(&changes).map_err(|e| write(&changes, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".openspec-new-")
            .tempdir_in(&changes)
            .map_err(|e| write(&changes, e))?;
        for (rel, bytes) in files {
            let path = staging.path().join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| write(&dest.join(rel), e))?;
            }
            crate::fsutil::write_atomic(&path, bytes).map_err(|e| write(&dest.join(rel), e))?;
        }
        if dest.exists() {
            return Err(CreateError::Appeared { id: id.to_string() });
        }
        let staged = staging.keep();
        if let Err(e) = std::fs::rename(&staged, dest) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(write(dest, e));
        }
        crate::fsutil::sync_dir(&changes);
        Ok(change)
    }

    /// The active change `id` of the repository at `root`.
    pub fn open(root: &Path, id: &str) -> Result<Change, ChangeError> {
        let change = Change::at(root, id);
        if acceptable(id) && change.dir.is_dir() {
            Ok(change)
        } else {
            Err(ChangeError::NotADirectory {
                id: id.to_string(),
                dir: change.dir,
            })
        }
    }

    /// `open`, for commands that take a change id only for what is recorded
    /// about it; `root` is `None` when no repository root was found, and then
    /// no id names a change.
    pub fn lookup(root: Option<&Path>, id: &str) -> Result<Change, ChangeError> {
        root.and_then(|r| Change::open(r, id).ok())
            .ok_or_else(|| ChangeError::Unknown { id: id.to_string() })
    }

    pub fn proposal(&self) -> PathBuf {
        self.dir.join(PROPOSAL)
    }

    pub fn tasks(&self) -> PathBuf {
        self.dir.join(TASKS)
    }

    pub fn design(&self) -> PathBuf {
        self.dir.join(DESIGN)
    }

    pub fn specs(&self) -> PathBuf {
        self.dir.join(SPECS)
    }

    pub fn lessons(&self) -> PathBuf {
        self.dir.join(LESSONS)
    }

    pub fn verification(&self) -> PathBuf {
        self.dir.join(VERIFICATION)
    }

    /// `tracking.json` beside the proposal.
    pub fn tracking_path(&self) -> PathBuf {
        Tracking::path(&self.dir)
    }

    /// The change's tracking file; `Ok(None)` for a change made by another
    /// tool (a plain OpenSpec change has none).
    pub fn tracking(&self) -> Result<Option<Tracking>, TrackingError> {
        Tracking::load(&self.dir)
    }

    /// Write the tracking file atomically; keys this version does not know are kept.
    pub fn save_tracking(&self, t: &Tracking) -> Result<(), TrackingError> {
        t.save(&self.dir)
    }

    /// The base revision recorded for the change (`base_revision`, or the
    /// older key `base`), as written; `None` when nothing readable is recorded.
    pub fn base_revision(&self) -> Option<String> {
        match self.tracking() {
            Ok(Some(t)) => t.recorded_base(),
            // A tracking file another tool wrote may hold only the base: read
            // what it records rather than ignore it.
            _ => tracking::RecordedBase::load(&self.dir).and_then(|b| b.revision()),
        }
    }
}

/// Ids that can name an active change: a plain directory name under
/// `changes/` (not empty, no `/`, no `..`, not hidden).
fn acceptable(id: &str) -> bool {
    crate::spec::check_item_name(id).is_ok() && !id.contains('/') && !id.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_paths_follow_the_layout() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("openspec/changes/c1")).unwrap();
        let c = Change::open(root.path(), "c1").unwrap();
        assert_eq!(
            c.proposal(),
            root.path().join("openspec/changes/c1/proposal.md")
        );
        assert_eq!(
            c.tracking_path(),
            root.path().join("openspec/changes/c1/tracking.json")
        );
        for bad in ["", "a/b", "..", "x/../c1", ".c1", "nope"] {
            assert!(Change::open(root.path(), bad).is_err(), "{bad:?}");
            assert!(Change::lookup(Some(root.path()), bad).is_err(), "{bad:?}");
        }
        assert!(Change::lookup(None, "c1").is_err());
        let msg = Change::open(root.path(), "nope").unwrap_err().to_string();
        assert!(msg.starts_with("no change \"nope\": "), "{msg}");
    }

    #[test]
    fn base_revision_reads_either_key_of_any_tracking_file() {
        let root = tempfile::tempdir().unwrap();
        let c = Change::at(root.path(), "c");
        std::fs::create_dir_all(&c.dir).unwrap();
        assert_eq!(c.base_revision(), None);
        let full = r#"{"kind":"host","state":"implementing","created":"2026-01-01","reviews":[],"base_revision":"abc"}"#;
        std::fs::write(c.tracking_path(), full).unwrap();
        assert_eq!(c.base_revision().as_deref(), Some("abc"));
        std::fs::write(c.tracking_path(), r#"{"base":"def"}"#).unwrap();
        assert_eq!(c.base_revision().as_deref(), Some("def"));
        std::fs::write(c.tracking_path(), r#"{"base_revision":1,"base":"ghi"}"#).unwrap();
        assert_eq!(c.base_revision().as_deref(), Some("ghi"));
        std::fs::write(c.tracking_path(), "{").unwrap();
        assert_eq!(c.base_revision(), None);
    }
}
