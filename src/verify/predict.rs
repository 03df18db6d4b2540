//! The static impact prediction checked against Nix: evaluate each host's
//! toplevel drvPath at the base revision (a temporary git worktree) and at
//! head (a worktree of the head revision, or the working tree), and compare.
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rayon::prelude::*;
use serde::Serialize;

use super::VerifyError;
use super::explain::{Explanation, explain};
use super::report::NixInfo;
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

    let base_hosts = nix.list_hosts(&base_flake);
    let head_hosts = nix.list_hosts(&head_flake);
    let mut names: Vec<String> = if hosts.is_empty() {
        let listed =
            |r: &Result<Vec<String>, NixError>| r.as_ref().ok().cloned().unwrap_or_default();
        if let (Err(e), Err(_)) = (&base_hosts, &head_hosts) {
            return Err(VerifyError::HostList {
                flake: head_flake,
                source: NixError::Failed {
                    command: "nix eval …#nixosConfigurations".into(),
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

    let evaluate = |flake: &str, listing: &Result<Vec<String>, NixError>, host: &str| match listing
    {
        Err(e) => Side::Error(e.to_string()),
        Ok(list) if !list.iter().any(|h| h == host) => Side::Absent,
        Ok(_) => match nix.eval_toplevel(flake, host) {
            Ok(d) => Side::Drv(d),
            Err(NixError::Failed { tail, .. }) => Side::Error(tail),
            Err(e) => Side::Error(e.to_string()),
        },
    };
    let jobs = if opts.jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.jobs
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| VerifyError::Io {
            path: flake_dir.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
    let sides: Vec<(Side, Side)> = pool.install(|| {
        names
            .par_iter()
            .map(|h| {
                (
                    evaluate(&base_flake, &base_hosts, h),
                    evaluate(&head_flake, &head_hosts, h),
                )
            })
            .collect()
    });
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
