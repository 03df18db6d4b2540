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

pub const JOURNAL: &str = ".archive-journal.json";
const STAGED_PREFIX: &str = ".openspec-archive-";

/// An exclusive lock on `openspec/` itself (flock on the directory), so no
/// lock file is ever left behind; the kernel drops it when the process dies.
pub struct Lock(#[allow(dead_code)] File);

pub fn lock(repo: &Repo) -> Result<Lock, SpecError> {
    let io = |e: std::io::Error| SpecError::WriteFailed {
        path: repo.rel(&repo.dir),
        message: format!("cannot lock ({e})"),
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

#[derive(Debug, Clone, Serialize)]
pub struct SpecUpdate {
    pub spec: String,
    pub path: String,
    pub created: bool,
    pub changed: bool,
    #[serde(flatten)]
    pub counts: Counts,
}

pub struct Plan {
    pub change: Change,
    pub archived_as: String,
    pub destination: PathBuf,
    pub updates: Vec<SpecUpdate>,
    writes: Vec<(PathBuf, Vec<u8>)>,
    pub totals: Counts,
    pub warnings: Vec<String>,
}

impl Plan {
    /// `(done, total)` when some tasks are not done.
    pub fn incomplete_tasks(&self) -> Option<(usize, usize)> {
        let (done, total) = self.change.task_counts();
        (done < total).then_some((done, total))
    }
}

pub struct PlanOptions {
    pub skip_specs: bool,
    pub no_validate: bool,
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
pub fn plan(repo: &Repo, id: &str, opts: &PlanOptions) -> Result<Plan, SpecError> {
    if !repo.change_exists(id) {
        return Err(SpecError::NotFound(format!(
            "no change \"{id}\" under openspec/changes/; run `openspec list` to see the ids"
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
        let issues = validate_change(&change, &|c| specs.get(c), Rules::default(), opts.kind);
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
                    errors.push(format!("{rel}: {}", p.message));
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
    p.strip_prefix(base)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A journal path back to an absolute one, refusing anything that escapes.
fn resolve(repo: &Repo, rel: &str) -> Result<PathBuf, SpecError> {
    let p = Path::new(rel);
    if rel.is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(SpecError::Journal(format!(
            "openspec/{JOURNAL} names the path \"{rel}\" outside openspec/; inspect and delete the journal"
        )));
    }
    Ok(repo.dir.join(p))
}

fn write_journal(repo: &Repo, j: &Journal) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(j).map_err(std::io::Error::other)?;
    fsutil::write_atomic(&repo.dir.join(JOURNAL), &bytes)
}

#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub change: String,
    #[serde(rename = "archivedAs")]
    pub archived_as: String,
    pub path: String,
    #[serde(rename = "specsUpdated")]
    pub specs_updated: Vec<SpecUpdate>,
    pub totals: Counts,
    pub warnings: Vec<String>,
}

/// Carry out a plan. `extra` are files written inside the change directory
/// (lessons, tracking) as part of the same all-or-nothing step.
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
    let io = |path: &Path, e: std::io::Error| SpecError::WriteFailed {
        path: repo.rel(path),
        message: format!("cannot write ({e}); nothing was changed"),
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
            return Err(SpecError::Journal(format!(
                "cannot remove staged file {} ({e}); remove it by hand",
                repo.rel(&s)
            )));
        }
    }
    for d in j.created_dirs.iter().rev() {
        let d = resolve(repo, d)?;
        // Only empty directories we made; anything else is left to the user.
        let _ = std::fs::remove_dir(&d);
    }
    remove_journal(repo)
        .map_err(|e| SpecError::Journal(format!("cannot remove openspec/{JOURNAL} ({e})")))
}

fn roll_forward(repo: &Repo, j: &Journal) -> Result<(), SpecError> {
    let interrupted = |e: std::io::Error| SpecError::Interrupted(e.to_string());
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

#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    pub change: String,
    /// `rolled-back` (nothing had been committed) or `completed`.
    pub action: &'static str,
}

/// Whether an interrupted archive left its journal.
pub fn pending(repo: &Repo) -> bool {
    repo.dir.join(JOURNAL).exists()
}

/// Finish or undo an interrupted archive. Call with the lock held.
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
        Err(e) => {
            return Err(SpecError::Journal(format!(
                "cannot read openspec/{JOURNAL} ({e})"
            )));
        }
    };
    let j: Journal = serde_json::from_slice(&bytes).map_err(|e| {
        SpecError::Journal(format!(
            "openspec/{JOURNAL} is unreadable ({e}); inspect the staged `{STAGED_PREFIX}*` files and delete the journal"
        ))
    })?;
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
