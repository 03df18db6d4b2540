//! Reading the two sides of a change: the head's model (a revision, or the
//! working tree), the base's model from git objects sharing the head's
//! parses, what git knows beyond the file list (locked inputs, base texts),
//! and the files hosts depend on that git does not track.
use std::collections::BTreeSet;
use std::path::Path;

use super::{ImpactError, Options, Request, Selection, analyze};
use crate::flake::FlakeModel;

/// Names of the hosts affected by the changes between `base` (default: the
/// merge-base with the default branch) and the working tree of `flake_dir`.
/// `Ok(None)` when the static model cannot tell (or nothing changed); callers
/// then take every host.
pub fn affected_hosts(
    flake_dir: &Path,
    base: Option<&str>,
) -> Result<Option<Vec<String>>, ImpactError> {
    let selection = Request {
        base: base.map(str::to_string),
        ..Default::default()
    }
    .resolve(flake_dir)?;
    if selection.changed.is_empty() {
        // Nothing changed yet (a proposal before implementation): nothing to
        // narrow by, so the caller checks every host.
        return Ok(None);
    }
    let model = crate::flake::load_lazy(flake_dir)?;
    let base_model = load_base(flake_dir, &selection, &model)?;
    let report = analyze(
        &model,
        base_model.as_ref(),
        &selection.changed,
        &selection.options,
    );
    Ok(Some(report.affected_hosts))
}

/// Files some host depends on that git does not track, with those hosts:
/// a flake in a git repository is copied without them, so Nix will not see
/// them. Empty outside a git repository.
pub fn untracked_dependencies(flake_dir: &Path, model: &FlakeModel) -> Vec<(String, Vec<String>)> {
    let Ok(untracked) = crate::git::untracked(flake_dir) else {
        return vec![];
    };
    untracked
        .into_iter()
        .filter_map(|f| {
            let hosts: Vec<String> = model
                .hosts
                .iter()
                .filter(|h| h.deps.files.contains(&f))
                .map(|h| h.name.clone())
                .collect();
            (!hosts.is_empty()).then_some((f, hosts))
        })
        .collect()
}

/// The model of the head side of a selection: its revision read from git,
/// or `None` when the head is the working tree (or files given by hand).
pub fn load_head(
    flake_dir: &Path,
    selection: &Selection,
) -> Result<Option<FlakeModel>, ImpactError> {
    Ok(match &selection.head_rev {
        Some(rev) => Some(crate::flake::load_revision(flake_dir, rev, None)?),
        None => None,
    })
}

/// The model of the base side of a selection, read from git objects and
/// sharing the head's parses of unchanged files; `None` for files given by
/// hand, and when the base revision has no flake.nix (then every host of
/// the head is new).
pub fn load_base(
    flake_dir: &Path,
    selection: &Selection,
    head: &FlakeModel,
) -> Result<Option<FlakeModel>, ImpactError> {
    let Some(base) = &selection.base else {
        return Ok(None);
    };
    let changed: BTreeSet<String> = selection.changed.iter().cloned().collect();
    match crate::flake::load_revision(flake_dir, base, Some((head, &changed))) {
        Ok(m) => Ok(Some(m)),
        Err(crate::flake::FlakeError::NoFlakeAt { .. }) => Ok(Some(FlakeModel::default())),
        Err(e) => Err(e.into()),
    }
}

/// What git can tell about the change beyond the file list: which locked
/// inputs changed, and the base text of changed files (for `--precise`).
pub fn options_from_git(
    flake_dir: &Path,
    base: &str,
    head: Option<&str>,
    changed: &[String],
    precise: bool,
) -> Result<Options, ImpactError> {
    let mut opts = Options {
        precise,
        ..Default::default()
    };
    if changed.iter().any(|c| c == "flake.lock") {
        let old = crate::git::show_file(flake_dir, base, "flake.lock")?;
        let new = match head {
            Some(h) => crate::git::show_file(flake_dir, h, "flake.lock")?,
            None => std::fs::read_to_string(flake_dir.join("flake.lock")).ok(),
        };
        let parse = |t: Option<&String>| t.map(|t| crate::flake::lock::Lock::parse(t));
        opts.lock_changes = match (parse(old.as_ref()), parse(new.as_ref())) {
            (Some(Ok(a)), Some(Ok(b))) => Some(crate::flake::lock::changed_inputs(&a, &b)),
            // Added, removed or unreadable: every input may have changed.
            _ => None,
        };
        opts.lock_texts = Some((old, new));
    }
    if precise {
        for c in changed.iter().filter(|c| c.ends_with(".nix")) {
            opts.base_text
                .insert(c.clone(), crate::git::show_file(flake_dir, base, c)?);
        }
    }
    Ok(opts)
}
