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
            return Ok(Selection {
                changed: self.files.clone(),
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
        let changed = crate::git::changed_files(flake_dir, &base, head_rev.as_deref())?;
        let options = super::options_from_git(
            flake_dir,
            &base,
            head_rev.as_deref(),
            &changed,
            self.precise,
        )?;
        Ok(Selection {
            changed,
            head: head_rev.clone().unwrap_or_else(|| "worktree".into()),
            base: Some(base),
            head_rev,
            options,
        })
    }
}
