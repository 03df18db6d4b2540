//! What to compare: turns a request (`--files`, or `--base`/`--head`, or a
//! change's recorded base) into the changed files, the resolved revisions
//! and the analysis options, asking git for what it knows.
use std::path::Path;

use super::{ImpactError, Options};

/// What a command asks the impact of.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Changed files given by hand (relative to the flake); when not empty,
    /// git is not asked at all.
    pub files: Vec<String>,
    /// The base revision asked for (`--base`).
    pub base: Option<String>,
    /// The base revision recorded for a change; used when `base` is `None`.
    pub recorded_base: Option<String>,
    /// The head revision (`--head`); `None` means the working tree.
    pub head: Option<String>,
    /// Drop hosts that reach a gated module but never enable it.
    pub precise: bool,
}

/// A request resolved against the repository.
#[derive(Debug, Clone)]
pub struct Selection {
    pub changed: Vec<String>,
    /// What the user should know about the request (a `--files` path that
    /// names nothing, a likely typo).
    pub warnings: Vec<String>,
    /// The base commit; `None` for files given by hand.
    pub base: Option<String>,
    /// The head commit when one was asked for.
    pub head_rev: Option<String>,
    /// The head as reports name it: the commit, `worktree` or `files`.
    pub head: String,
    pub options: Options,
}

impl Request {
    /// The changed files and revisions this request means for the flake in
    /// `flake_dir`. The base is the merge-base of the head with `--base`,
    /// else with the recorded base, else with the default branch: the
    /// changes a pull request from the head would show.
    ///
    /// Errors: unknown revisions, revisions with no common history in this
    /// clone (a shallow clone says how to fetch it), no git.
    pub fn resolve(&self, flake_dir: &Path) -> Result<Selection, ImpactError> {
        if !self.files.is_empty() {
            let (changed, warnings) = files_in_flake(flake_dir, &self.files)?;
            return Ok(Selection {
                changed,
                warnings,
                base: None,
                head_rev: None,
                head: "files".to_string(),
                options: Options {
                    precise: self.precise,
                    ..Default::default()
                },
            });
        }
        let head_rev = match &self.head {
            Some(h) => Some(crate::git::rev_parse(flake_dir, h)?),
            None => None,
        };
        // As a pull request shows it: from the merge-base of the base asked
        // for and the head, so commits that landed on the base branch after
        // the branch point are not this change's.
        let base = match self.base.as_deref().or(self.recorded_base.as_deref()) {
            Some(b) => crate::git::merge_base(flake_dir, b, head_rev.as_deref())?,
            None => match &head_rev {
                Some(h) => crate::git::merge_base(
                    flake_dir,
                    &crate::git::default_base(flake_dir)?,
                    Some(h),
                )?,
                None => crate::git::default_base(flake_dir)?,
            },
        };
        crate::timing::phase("resolve revisions");
        let changed = crate::git::changed_files(flake_dir, &base, head_rev.as_deref())?;
        crate::timing::phase("changed files");
        let options = super::options_from_git(
            flake_dir,
            &base,
            head_rev.as_deref(),
            &changed,
            self.precise,
        )?;
        Ok(Selection {
            changed,
            warnings: vec![],
            head: head_rev.clone().unwrap_or_else(|| "worktree".into()),
            base: Some(base),
            head_rev,
            options,
        })
    }
}

/// `--files` as repository paths of the flake at `flake_dir`: absolute
/// paths, paths relative to the current directory and `./`-prefixed paths
/// alike. A relative path is read from the current directory when that is
/// inside the flake (unless only the flake's root holds it, on disk or, for
/// a deleted file, in git), else from the flake's root. A path that is
/// neither on disk nor in git (the index or the last commit, so a file
/// removed with `git rm` counts) gets a warning (a typo; a deleted file is
/// fine).
///
/// Errors: [`ImpactError::OutsideFlake`] for a path outside the flake.
fn files_in_flake(
    flake_dir: &Path,
    files: &[String],
) -> Result<(Vec<String>, Vec<String>), ImpactError> {
    use crate::flake::RepoPath;
    let cwd = std::env::current_dir().ok();
    let root = fold(flake_dir);
    let canonical_root = flake_dir.canonicalize().ok();
    // Asked of git only when a path is not on disk (a process costs ms).
    let mut in_git: Option<std::collections::BTreeSet<String>> = None;
    let mut known_to_git = |rel: &RepoPath| {
        in_git
            .get_or_insert_with(|| tracked_or_committed(flake_dir))
            .contains(rel.as_str())
    };
    let mut out = vec![];
    let mut warnings = vec![];
    for f in files {
        let p = Path::new(f);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            // From the current directory only when it is inside the flake.
            let from_cwd = cwd
                .as_ref()
                .filter(|d| fold(d).starts_with(&root))
                .map(|c| c.join(p));
            let from_root = flake_dir.join(p);
            let mut deleted_from_root = |c: &Path| {
                !c.exists()
                    && !from_root.exists()
                    && RepoPath::from_os(&root, &fold(c)).is_none_or(|r| !known_to_git(&r))
                    && RepoPath::from_os(&root, &fold(&from_root)).is_some_and(|r| known_to_git(&r))
            };
            match from_cwd {
                Some(c) if (c.exists() || !from_root.exists()) && !deleted_from_root(&c) => c,
                _ => from_root,
            }
        };
        let abs = fold(&abs);
        let rel = RepoPath::from_os(&root, &abs).or_else(|| {
            // The flake given through a symbolic link: compare resolved paths.
            let real_root = canonical_root.as_ref()?;
            let real = abs
                .parent()
                .and_then(|d| d.canonicalize().ok())
                .map(|d| d.join(abs.file_name().unwrap_or_default()))?;
            RepoPath::from_os(real_root, &real)
        });
        let Some(rel) = rel else {
            return Err(ImpactError::OutsideFlake {
                path: f.clone(),
                flake: flake_dir.to_path_buf(),
            });
        };
        let known = abs.exists() || known_to_git(&rel);
        if !known {
            warnings.push(format!(
                "--files {f}: `{rel}` is neither in the flake nor in git; check the path"
            ));
        }
        out.push(rel.into_string());
    }
    Ok((out, warnings))
}

/// Paths below `flake_dir` that git knows: in the index or in `HEAD`'s
/// tree (empty when git cannot say, so every missing path is warned about).
fn tracked_or_committed(flake_dir: &Path) -> std::collections::BTreeSet<String> {
    let mut known: std::collections::BTreeSet<String> = crate::git::ls_files(flake_dir)
        .unwrap_or_default()
        .into_iter()
        .collect();
    if let Ok(entries) = crate::git::ls_tree(flake_dir, "HEAD") {
        known.extend(entries.into_iter().map(|e| e.path));
    }
    known
}

/// `.` and `..` folded without touching the file system.
fn fold(p: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
