//! The static impact prediction checked against Nix: evaluate each host's
//! toplevel drvPath at the base revision (a temporary git worktree) and at
//! head (a worktree of the head revision, or the working tree), and compare.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::VerifyError;
use super::explain::{Explanation, explain};
use super::monitor::Silent;
use super::report::NixInfo;
use super::runner::{RunOptions, run_hosts};
use crate::git::{self, Worktree};
use crate::nix::{Nix, NixError, NixSettings, StorePath, error_tail, mask_hashes};

#[derive(Debug, Clone, Default)]
pub struct PredictOptions {
    pub settings: NixSettings,
    /// Parallel evaluations (0: number of cores).
    pub jobs: usize,
    /// Explain each changed host from its two derivations (`impact --why`).
    pub why: bool,
    /// Stops the evaluations when set (Ctrl-C).
    pub interrupt: Option<Arc<AtomicBool>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostComparison {
    pub name: String,
    pub predicted: bool,
    /// None when the host does not exist (or failed to evaluate) at that side.
    pub base_drv: Option<String>,
    pub head_drv: Option<String>,
    pub changed: bool,
    pub base_error: Option<String>,
    pub head_error: Option<String>,
    pub why: Option<Explanation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub base: String,
    /// The head commit, or `worktree`.
    pub head: String,
    pub nix: NixInfo,
    pub hosts: Vec<HostComparison>,
    /// Predicted and changed.
    pub confirmed: Vec<String>,
    /// Predicted, but the toplevel derivation is the same.
    pub false_positives: Vec<String>,
    /// Changed, but not predicted: a bug in the static analysis.
    pub missed: Vec<String>,
}

/// What one side evaluated to.
#[derive(Debug, Clone, PartialEq)]
enum Side {
    Absent,
    Drv(StorePath),
    Error(String),
}

/// Check `predicted` (hosts the static analysis says are affected) against
/// evaluation of `hosts` (empty: every host at base or head) of the flake in
/// `flake_dir`, between `base_rev` and `head_rev` (None: the working tree;
/// Nix sees tracked files only, so new files must be `git add`ed).
pub fn verify_prediction(
    flake_dir: &Path,
    base_rev: &str,
    head_rev: Option<&str>,
    hosts: &[String],
    predicted: &[String],
    opts: &PredictOptions,
) -> Result<VerifyReport, VerifyError> {
    let mut nix = Nix::find(opts.settings.clone())?;
    if let Some(flag) = &opts.interrupt {
        nix = nix.with_interrupt(Arc::clone(flag));
    }
    let top = git::toplevel(flake_dir)?;
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let rel: PathBuf = canon(flake_dir)
        .strip_prefix(canon(&top))
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let base = git::rev_parse(flake_dir, base_rev)?;
    let base_tree = Worktree::add(&top, &base)?;
    let head = match head_rev {
        Some(h) => Some(git::rev_parse(flake_dir, h)?),
        None => None,
    };
    let head_tree = match &head {
        Some(h) => Some(Worktree::add(&top, h)?),
        None => None,
    };
    let base_flake = base_tree.path().join(&rel).display().to_string();
    let head_flake = match &head_tree {
        Some(t) => t.path().join(&rel).display().to_string(),
        None => canon(flake_dir).display().to_string(),
    };

    let base_hosts = nix.list_all_hosts(&base_flake);
    let head_hosts = nix.list_all_hosts(&head_flake);
    let mut names: Vec<String> = if hosts.is_empty() {
        let listed = |r: &Result<crate::nix::HostList, NixError>| -> Vec<String> {
            r.as_ref()
                .map(|l| l.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default()
        };
        if let (Err(e), Err(_)) = (&base_hosts, &head_hosts) {
            return Err(VerifyError::HostList {
                flake: head_flake,
                source: NixError::Failed {
                    command: "nix eval …#nixosConfigurations and …#darwinConfigurations".into(),
                    tail: e.to_string(),
                },
            });
        }
        listed(&base_hosts)
            .into_iter()
            .chain(listed(&head_hosts))
            .collect()
    } else {
        hosts.to_vec()
    };
    names.sort();
    names.dedup();

    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let logs = tempfile::Builder::new()
        .prefix("openspec-impact-verify-")
        .tempdir()
        .map_err(|source| VerifyError::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    let base_sides = evaluate_side(
        &nix,
        &base_flake,
        &base_hosts,
        &names,
        jobs,
        &logs.path().join("base"),
    )?;
    let head_sides = evaluate_side(
        &nix,
        &head_flake,
        &head_hosts,
        &names,
        jobs,
        &logs.path().join("head"),
    )?;
    let sides: Vec<(Side, Side)> = base_sides.into_iter().zip(head_sides).collect();
    if nix
        .interrupt_flag()
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return Err(VerifyError::Interrupted);
    }

    let store = nix.store_dir().to_string();
    let mut report = VerifyReport {
        base: base.clone(),
        head: head.clone().unwrap_or_else(|| "worktree".into()),
        nix: NixInfo::from(&nix.version),
        hosts: Vec::new(),
        confirmed: Vec::new(),
        false_positives: Vec::new(),
        missed: Vec::new(),
    };
    for (name, (b, h)) in names.iter().zip(sides) {
        let changed = match (&b, &h) {
            (Side::Drv(x), Side::Drv(y)) => x != y,
            // Failing the same way on both sides is no change; paths in messages differ by copy.
            (Side::Error(x), Side::Error(y)) => mask_hashes(x, &store) != mask_hashes(y, &store),
            (Side::Absent, Side::Absent) => false,
            _ => true,
        };
        let was_predicted = predicted.iter().any(|p| p == name);
        let why = match (&b, &h) {
            (Side::Drv(x), Side::Drv(y)) if opts.why && changed => explain(&nix, x, y).ok(),
            _ => None,
        };
        let drv = |s: &Side| match s {
            Side::Drv(d) => Some(d.to_string()),
            _ => None,
        };
        let err = |s: &Side| match s {
            Side::Error(e) => Some(error_tail(e, 12)),
            _ => None,
        };
        match (was_predicted, changed) {
            (true, true) => report.confirmed.push(name.clone()),
            (true, false) => report.false_positives.push(name.clone()),
            (false, true) => report.missed.push(name.clone()),
            (false, false) => {}
        }
        report.hosts.push(HostComparison {
            name: name.clone(),
            predicted: was_predicted,
            base_drv: drv(&b),
            head_drv: drv(&h),
            changed,
            base_error: err(&b),
            head_error: err(&h),
            why,
        });
    }
    drop(head_tree);
    drop(base_tree);
    Ok(report)
}

/// The toplevel drvPath of each of `names` in one revision's flake (NixOS
/// and darwin hosts), with the parallel chunked evaluators of `nixos-check`
/// (evaluation only).
fn evaluate_side(
    nix: &Nix,
    flake: &str,
    listing: &Result<crate::nix::HostList, NixError>,
    names: &[String],
    jobs: usize,
    log_dir: &Path,
) -> Result<Vec<Side>, VerifyError> {
    let list = match listing {
        Ok(l) => l,
        Err(e) => return Ok(names.iter().map(|_| Side::Error(e.to_string())).collect()),
    };
    let kinds: std::collections::BTreeMap<String, crate::nix::HostKind> =
        list.iter().cloned().collect();
    let present: Vec<String> = names
        .iter()
        .filter(|n| kinds.contains_key(*n))
        .cloned()
        .collect();
    let run = RunOptions {
        jobs,
        eval_only: true,
        keep_going: true,
        timeout: None,
        log_dir: log_dir.to_path_buf(),
        gc_root_dir: None,
        closure_sizes: false,
        display_base: None,
        chunk_size: None,
        kinds,
        facts: false,
    };
    let results =
        run_hosts(nix, flake, &present, &run, &Silent).map_err(|source| VerifyError::Io {
            path: log_dir.to_path_buf(),
            source,
        })?;
    Ok(names
        .iter()
        .map(|n| match results.iter().find(|r| &r.name == n) {
            None => Side::Absent,
            Some(r) => match r
                .drv_path
                .as_deref()
                .map(|d| StorePath::parse(d, nix.store_dir()))
            {
                Some(Ok(d)) => Side::Drv(d),
                _ => Side::Error(
                    r.error
                        .clone()
                        .unwrap_or_else(|| format!("evaluation {}", r.status.as_str())),
                ),
            },
        })
        .collect())
}
