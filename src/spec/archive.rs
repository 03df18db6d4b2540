//! Archiving a change all-or-nothing: plan every rebuilt spec in memory,
//! then stage, commit through a journal, rename, and move the change.
//!
//! Crash safety: the journal `openspec/.archive-journal.json` is written
//! (atomically) before anything else is touched, with phase `staging`; new
//! contents are written to hidden staged files beside their targets; the
//! journal is rewritten with phase `commit`, which is the commit point; then
//! the staged files are renamed over their targets and the change directory
//! is moved; the journal is deleted last. `recover` (run by every archive,
//! and by `openspec archive --recover`) rolls a `staging` journal back and a
//! `commit` journal forward, so after it the tree is wholly old or wholly new.
//!
//! Rules of an archive:
//! - The change is validated first (unless `--no-validate`); any error stops
//!   it before anything is written.
//! - It moves to `changes/archive/<YYYY-MM-DD>-<id>/`, or to
//!   `changes/archive/<id>/` when the id already starts with a date
//!   (`YYYY-MM-DD-` and more); an existing destination stops it.
//! - Each delta with entries rebuilds its capability's `specs/<cap>/spec.md`
//!   (see `merge`); with `skip_specs` (flag or `.openspec.yaml`) no spec is
//!   touched. Any rebuild error stops the whole archive.
//! - A rewritten spec keeps its BOM and CRLF line ends; an unchanged spec is
//!   not rewritten.
//! - Paths in the journal are relative to `openspec/` and must stay inside
//!   it; a journal naming anything else is refused, not followed.
use std::collections::HashMap;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

use fs2::FileExt;
use serde::{Deserialize, Serialize};

use super::SpecError;
use super::doc::Doc;
use super::kind::Kind;
use super::merge::{Counts, encode, rebuild};
use super::parse::MainSpec;
use super::repo::{Change, Repo, read_doc};
use super::validate::{Level, Rules, validate_change};
use crate::fsutil;

/// The journal's file name, directly inside `openspec/`.
pub const JOURNAL: &str = ".archive-journal.json";
/// Staged files are `<this><target file name>` beside their targets.
const STAGED_PREFIX: &str = ".openspec-archive-";

/// The archive journal cannot be trusted or cleaned up. Messages name the
/// journal as `openspec/.archive-journal.json` and say what to do by hand.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The journal names a path that is empty or leaves `openspec/` (an
    /// absolute path, `..`, `.`); nothing it names was touched.
    #[error(
        "openspec/{journal} names the path \"{0}\" outside openspec/; inspect and delete the journal",
        journal = JOURNAL
    )]
    PathOutside(String),
    /// The journal exists but could not be read.
    #[error("cannot read openspec/{journal} ({0})", journal = JOURNAL)]
    Read(#[source] std::io::Error),
    /// The journal is not the JSON an archive writes.
    #[error(
        "openspec/{journal} is unreadable ({0}); inspect the staged `{staged}*` files and delete the journal",
        journal = JOURNAL,
        staged = STAGED_PREFIX
    )]
    Parse(#[source] serde_json::Error),
    /// A staged file could not be removed while rolling back.
    #[error("cannot remove staged file {path} ({source}); remove it by hand")]
    RemoveStaged {
        /// The staged file, relative to the repository root.
        path: String,
        /// The removal's error.
        source: std::io::Error,
    },
    /// The journal could not be removed after rolling back.
    #[error("cannot remove openspec/{journal} ({0})", journal = JOURNAL)]
    Remove(#[source] std::io::Error),
}

/// An exclusive lock on `openspec/` itself (flock on the directory), so no
/// lock file is ever left behind; the kernel drops it when the process dies.
/// Held while it lives; dropping it (or exiting) releases the lock.
pub struct Lock(#[allow(dead_code)] File);

/// Take the archive lock on `openspec/` without waiting.
///
/// Errors: [`SpecError::Locked`] when another process holds it,
/// [`SpecError::LockFailed`] when the directory cannot be opened or locked.
pub fn lock(repo: &Repo) -> Result<Lock, SpecError> {
    let io = |source: std::io::Error| SpecError::LockFailed {
        path: repo.rel(&repo.dir),
        source,
    };
    let f = File::open(&repo.dir).map_err(io)?;
    match f.try_lock_exclusive() {
        Ok(()) => Ok(Lock(f)),
        Err(e) if e.kind() == fs2::lock_contended_error().kind() => {
            Err(SpecError::Locked(repo.rel(&repo.dir)))
        }
        Err(e) => Err(io(e)),
    }
}

/// What archiving does to one main spec (JSON: the fields, counts flattened).
#[derive(Debug, Clone, Serialize)]
pub struct SpecUpdate {
    /// The capability id.
    pub spec: String,
    /// `openspec/specs/<cap>/spec.md`, relative to the repository root.
    pub path: String,
    /// The spec did not exist and is created.
    pub created: bool,
    /// The file's text changes (false: it is left as it is).
    pub changed: bool,
    /// Requirements added, modified, removed and renamed.
    #[serde(flatten)]
    pub counts: Counts,
}

/// Everything an archive will do, computed by [`plan`] without writing.
pub struct Plan {
    /// The change as loaded.
    pub change: Change,
    /// The directory name under `changes/archive/`.
    pub archived_as: String,
    /// `changes/archive/<archived_as>` (absolute).
    pub destination: PathBuf,
    /// One entry per delta with entries, in the order of the delta files.
    pub updates: Vec<SpecUpdate>,
    writes: Vec<(PathBuf, Vec<u8>)>,
    /// The sum of the updates' counts.
    pub totals: Counts,
    /// Validation warnings and proposal problems (`path: message`) and merge
    /// warnings; none stops the archive.
    pub warnings: Vec<String>,
}

impl Plan {
    /// `(done, total)` when some tasks are not done.
    pub fn incomplete_tasks(&self) -> Option<(usize, usize)> {
        let (done, total) = self.change.task_counts();
        (done < total).then_some((done, total))
    }
}

/// How to archive.
pub struct PlanOptions {
    /// Move the change without touching any spec.
    pub skip_specs: bool,
    /// Do not validate first.
    pub no_validate: bool,
    /// Also check the proposal against this kind's sections when validating.
    pub kind: Option<Kind>,
    /// The archive date, `YYYY-MM-DD`.
    pub date: String,
}

fn starts_with_date(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() > 11
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && b[10] == b'-'
}

/// Everything archive will do, computed without writing.
///
/// Errors: [`SpecError::NotFound`] (no such active change),
/// [`SpecError::Invalid`] (validation errors), [`SpecError::DestinationExists`],
/// [`SpecError::Merge`] (a target spec unreadable or not rebuildable; every
/// such problem is listed).
pub fn plan(repo: &Repo, id: &str, opts: &PlanOptions) -> Result<Plan, SpecError> {
    if !repo.change_exists(id) {
        return Err(SpecError::NotFound(format!(
            "no change \"{id}\" under openspec/changes/{}; run `openspec list` to see the ids",
            repo.did_you_mean(id, true, false)
        )));
    }
    if let Some(nested) = repo.nested_changes(id) {
        return Err(SpecError::NamespaceFolder(format!(
            "cannot archive \"{id}\": it is not a change but a folder wrapping nested change folder(s) {}; move openspec/changes/{}/ to a flat change directory, then archive it",
            nested.join(", "),
            nested[0]
        )));
    }
    let change = repo.load_change(id);
    let caps: Vec<String> = change.deltas.iter().map(|d| d.capability.clone()).collect();
    let specs: HashMap<String, MainSpec> = caps
        .iter()
        .filter(|c| repo.spec_exists(c))
        .map(|c| (c.clone(), repo.load_spec(c).spec))
        .collect();
    let mut warnings = Vec::new();
    if !opts.no_validate {
        let mut issues = validate_change(&change, &|c| specs.get(c), Rules::default(), opts.kind);
        // As in OpenSpec 1.13.2, archive blocks only on the delta specs:
        // proposal and tasks problems are warnings, and a change with no
        // delta file archive would read archives with nothing to merge.
        let proposal = format!("{}/proposal.md", change.rel);
        let tasks = format!("{}/tasks.md", change.rel);
        let gated = has_delta_specs(&change);
        for i in issues.iter_mut() {
            if i.level == Level::Error
                && (i.path == proposal || i.path == tasks || (!gated && i.path == change.rel))
            {
                i.level = Level::Warning;
            }
        }
        if issues.iter().any(|i| i.level == Level::Error) {
            return Err(SpecError::Invalid {
                id: id.to_string(),
                issues,
            });
        }
        warnings.extend(
            issues
                .iter()
                .filter(|i| i.level == Level::Warning)
                .map(|i| format!("{}: {}", i.path, i.message)),
        );
    }
    warnings.extend(proposal_warnings(&change));
    let archived_as = if starts_with_date(id) {
        id.to_string()
    } else {
        format!("{}-{id}", opts.date)
    };
    let destination = repo.archive_dir().join(&archived_as);
    if destination.exists() {
        return Err(SpecError::DestinationExists(repo.rel(&destination)));
    }
    let skip =
        opts.skip_specs || matches!(&change.meta, super::repo::MetaState::Ok(m) if m.skip_specs);
    let mut updates = Vec::new();
    let mut writes = Vec::new();
    let mut totals = Counts::default();
    let mut errors = Vec::new();
    if !skip {
        for d in change.deltas.iter().filter(|d| d.delta.entry_count() > 0) {
            let target = repo.spec_path(&d.capability);
            let rel = repo.rel(&target);
            let current: Option<Doc> = match read_doc(&target) {
                Ok(doc) => doc,
                Err(p) => {
                    errors.push(format!("{rel}: {p}"));
                    continue;
                }
            };
            match rebuild(&d.capability, &rel, current.as_ref(), &d.delta, id) {
                Ok(r) => {
                    warnings.extend(r.warnings.iter().cloned());
                    if r.changed {
                        let (bom, crlf) = current
                            .as_ref()
                            .map(|c| (c.bom, c.crlf))
                            .unwrap_or((false, false));
                        writes.push((target.clone(), encode(&r.text, bom, crlf)));
                    }
                    totals.add(r.counts);
                    updates.push(SpecUpdate {
                        spec: d.capability.clone(),
                        path: rel,
                        created: r.created,
                        changed: r.changed,
                        counts: r.counts,
                    });
                }
                Err(e) => errors.extend(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(SpecError::Merge(errors));
    }
    Ok(Plan {
        change,
        archived_as,
        destination,
        updates,
        writes,
        totals,
        warnings,
    })
}

/// Whether archive validates the change's deltas (1.13.2's rule): a
/// `specs/spec.md`, a delta file that cannot be read or has a section
/// header, delta headers in a file archive does not read, an unusable
/// `.openspec.yaml`, or `skip_specs` with files under `specs/`.
fn has_delta_specs(change: &Change) -> bool {
    if change.root_spec.is_some() {
        return true;
    }
    match &change.meta {
        super::repo::MetaState::Unusable(_) => return true,
        super::repo::MetaState::Ok(m) if m.skip_specs && !change.spec_files.is_empty() => {
            return true;
        }
        _ => {}
    }
    change
        .deltas
        .iter()
        .any(|d| d.doc.is_err() || d.delta.sections > 0)
        || change
            .spec_files
            .iter()
            .any(|f| super::validate::has_delta_headers(change, f))
}

/// Proposal problems archive reports without stopping.
fn proposal_warnings(change: &Change) -> Vec<String> {
    let path = format!("{}/proposal.md", change.rel);
    let Some(Ok(p)) = &change.proposal else {
        return vec![format!("{path}: missing or unreadable")];
    };
    let mut out = Vec::new();
    match p.section("Why") {
        None => out.push(format!("{path}: no `## Why` section")),
        Some(s) => {
            let n = s.body.chars().count();
            if !(50..=1000).contains(&n) {
                out.push(format!(
                    "{path}: `## Why` is {n} characters (50 to 1000 expected)"
                ));
            }
        }
    }
    if p.section("What Changes").is_none() {
        out.push(format!("{path}: no `## What Changes` section"));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Phase {
    Staging,
    Commit,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    version: u32,
    phase: Phase,
    change: String,
    /// Paths relative to `openspec/`.
    source: String,
    destination: String,
    writes: Vec<JournalWrite>,
    created_dirs: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalWrite {
    staged: String,
    target: String,
}

fn staged_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    target.with_file_name(format!("{STAGED_PREFIX}{name}"))
}

fn rel_to(base: &Path, p: &Path) -> String {
    crate::flake::path::os_relative_text(p.strip_prefix(base).unwrap_or(p))
}

/// A journal path back to an absolute one, refusing anything that escapes.
fn resolve(repo: &Repo, rel: &str) -> Result<PathBuf, SpecError> {
    let p = Path::new(rel);
    if rel.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(JournalError::PathOutside(rel.to_string()).into());
    }
    Ok(repo.dir.join(p))
}

fn write_journal(repo: &Repo, j: &Journal) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(j).map_err(std::io::Error::other)?;
    fsutil::write_atomic(&repo.dir.join(JOURNAL), &bytes)
}

/// A finished archive (the JSON result of `openspec archive`).
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    /// The change id.
    pub change: String,
    /// The directory name under `changes/archive/`.
    #[serde(rename = "archivedAs")]
    pub archived_as: String,
    /// Where the change now is, relative to the repository root.
    pub path: String,
    /// The plan's spec updates.
    #[serde(rename = "specsUpdated")]
    pub specs_updated: Vec<SpecUpdate>,
    /// The sum of their counts.
    pub totals: Counts,
    /// The plan's warnings.
    pub warnings: Vec<String>,
}

/// Carry out a plan. `extra` are files written inside the change directory
/// (lessons, tracking) as part of the same all-or-nothing step. Call with
/// the lock held.
///
/// Errors: [`SpecError::DestinationExists`] (nothing done);
/// [`SpecError::WriteFailed`] when staging failed and was rolled back;
/// [`SpecError::Interrupted`] when a rename failed after the commit point
/// (the journal stays for `--recover`); [`SpecError::Journal`] when a
/// rollback could not clean up.
pub fn execute(repo: &Repo, plan: Plan, extra: Vec<(PathBuf, Vec<u8>)>) -> Result<Done, SpecError> {
    if plan.destination.exists() {
        return Err(SpecError::DestinationExists(repo.rel(&plan.destination)));
    }
    let writes: Vec<(PathBuf, Vec<u8>)> = plan.writes.into_iter().chain(extra).collect();
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let parents = writes
        .iter()
        .filter_map(|(t, _)| t.parent().map(Path::to_path_buf))
        .chain(plan.destination.parent().map(Path::to_path_buf));
    for parent in parents {
        let mut missing: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|a| !a.exists() && a.starts_with(&repo.dir))
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        for m in missing {
            if !created_dirs.contains(&m) {
                created_dirs.push(m);
            }
        }
    }
    let mut journal = Journal {
        version: 1,
        phase: Phase::Staging,
        change: plan.change.id.clone(),
        source: rel_to(&repo.dir, &plan.change.dir),
        destination: rel_to(&repo.dir, &plan.destination),
        writes: writes
            .iter()
            .map(|(t, _)| JournalWrite {
                staged: rel_to(&repo.dir, &staged_path(t)),
                target: rel_to(&repo.dir, t),
            })
            .collect(),
        created_dirs: created_dirs.iter().map(|d| rel_to(&repo.dir, d)).collect(),
    };
    let io = |path: &Path, source: std::io::Error| SpecError::WriteFailed {
        path: repo.rel(path),
        source,
    };
    write_journal(repo, &journal).map_err(|e| io(&repo.dir.join(JOURNAL), e))?;
    let staged = (|| {
        for d in &created_dirs {
            std::fs::create_dir(d).map_err(|e| (d.clone(), e))?;
        }
        for (target, bytes) in &writes {
            let s = staged_path(target);
            fsutil::write_synced(&s, bytes).map_err(|e| (s.clone(), e))?;
        }
        journal.phase = Phase::Commit;
        write_journal(repo, &journal).map_err(|e| (repo.dir.join(JOURNAL), e))
    })();
    if let Err((path, e)) = staged {
        journal.phase = Phase::Staging;
        roll_back(repo, &journal)?;
        return Err(io(&path, e));
    }
    roll_forward(repo, &journal)?;
    Ok(Done {
        change: plan.change.id,
        archived_as: plan.archived_as,
        path: repo.rel(&plan.destination),
        specs_updated: plan.updates,
        totals: plan.totals,
        warnings: plan.warnings,
    })
}

fn roll_back(repo: &Repo, j: &Journal) -> Result<(), SpecError> {
    for w in &j.writes {
        let s = resolve(repo, &w.staged)?;
        // Staged files are created exclusively, so a file here is ours; anything
        // else (a directory in the way) is not, and stays.
        if !std::fs::symlink_metadata(&s).is_ok_and(|m| m.is_file()) {
            continue;
        }
        if let Err(e) = std::fs::remove_file(&s)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(JournalError::RemoveStaged {
                path: repo.rel(&s),
                source: e,
            }
            .into());
        }
    }
    for d in j.created_dirs.iter().rev() {
        let d = resolve(repo, d)?;
        // Only empty directories we made; anything else is left to the user.
        let _ = std::fs::remove_dir(&d);
    }
    remove_journal(repo).map_err(|e| JournalError::Remove(e).into())
}

fn roll_forward(repo: &Repo, j: &Journal) -> Result<(), SpecError> {
    let interrupted = SpecError::Interrupted;
    for w in &j.writes {
        let s = resolve(repo, &w.staged)?;
        let t = resolve(repo, &w.target)?;
        if s.exists() {
            std::fs::rename(&s, &t).map_err(interrupted)?;
            if let Some(p) = t.parent() {
                fsutil::sync_dir(p);
            }
        }
    }
    let source = resolve(repo, &j.source)?;
    let dest = resolve(repo, &j.destination)?;
    if source.exists() && !dest.exists() {
        std::fs::rename(&source, &dest).map_err(interrupted)?;
        for p in [source.parent(), dest.parent()].into_iter().flatten() {
            fsutil::sync_dir(p);
        }
    }
    remove_journal(repo).map_err(interrupted)
}

fn remove_journal(repo: &Repo) -> std::io::Result<()> {
    match std::fs::remove_file(repo.dir.join(JOURNAL)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fsutil::sync_dir(&repo.dir);
    Ok(())
}

/// What [`recover`] did with an interrupted archive.
#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    /// The change the journal was for.
    pub change: String,
    /// `rolled-back` (nothing had been committed) or `completed`.
    pub action: &'static str,
}

/// Whether an interrupted archive left its journal.
pub fn pending(repo: &Repo) -> bool {
    repo.dir.join(JOURNAL).exists()
}

/// Finish or undo an interrupted archive. Call with the lock held. Removes
/// leftover `.openspec-tmp-*` files in `openspec/` first; `Ok(None)` when
/// there is no journal.
///
/// Errors: [`SpecError::Journal`] when the journal cannot be read or parsed,
/// names a path outside `openspec/`, or cannot be cleaned up after a
/// rollback; [`SpecError::Interrupted`] when rolling forward fails again.
pub fn recover(repo: &Repo) -> Result<Option<Recovered>, SpecError> {
    // A journal write killed before its rename leaves a temp file.
    if let Ok(entries) = std::fs::read_dir(&repo.dir) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(".openspec-tmp-")
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let path = repo.dir.join(JOURNAL);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(JournalError::Read(e).into()),
    };
    let j: Journal = serde_json::from_slice(&bytes).map_err(JournalError::Parse)?;
    let paths = j.writes.iter().flat_map(|w| [&w.staged, &w.target]);
    for p in paths
        .chain(&j.created_dirs)
        .chain([&j.source, &j.destination])
    {
        resolve(repo, p)?;
    }
    match j.phase {
        Phase::Staging => {
            roll_back(repo, &j)?;
            Ok(Some(Recovered {
                change: j.change,
                action: "rolled-back",
            }))
        }
        Phase::Commit => {
            roll_forward(repo, &j)?;
            Ok(Some(Recovered {
                change: j.change,
                action: "completed",
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_ids() {
        assert!(starts_with_date("2025-01-02-x"));
        assert!(!starts_with_date("2025-01-02"));
        assert!(!starts_with_date("20250-1-02-x"));
    }
}
