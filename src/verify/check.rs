//! `nixos-check` as a library call: the selected hosts, unknown ones reported
//! per host, the run, and the saved report (JSON, optionally JUnit).
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::VerifyError;
use super::monitor::Sink;
use super::report::{CheckReport, HostResult, HostStatus, NixInfo, Summary};
use super::runner::{RunOptions, chunk_size, chunks_by_kind, run_hosts};
use crate::nix::Nix;

pub struct CheckRequest {
    pub change: Option<String>,
    /// The flake reference Nix evaluates (the flake directory).
    pub flake: String,
    pub hosts: Vec<String>,
    /// Every host of the flake with its kind, when listed; hosts outside it
    /// are unknown.
    pub known: Option<crate::nix::HostList>,
    pub run: RunOptions,
    pub report_path: PathBuf,
    pub junit: Option<PathBuf>,
    /// Compare with a base revision: security facts and closures.
    pub diff: Option<super::diff::DiffRequest>,
    /// Fail a host whose closure grew by more than this many percent.
    pub max_closure_growth: Option<f64>,
}

pub fn check(nix: &Nix, req: &CheckRequest, sink: &dyn Sink) -> Result<CheckReport, VerifyError> {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let start = Instant::now();
    let unknown: Vec<&String> = match &req.known {
        Some(k) => req
            .hosts
            .iter()
            .filter(|h| !k.iter().any(|(n, _)| n == *h))
            .collect(),
        None => Vec::new(),
    };
    let runnable: Vec<String> = req
        .hosts
        .iter()
        .filter(|h| !unknown.contains(h))
        .cloned()
        .collect();
    let mut ran: Vec<HostResult> = if unknown.is_empty() || req.run.keep_going {
        run_hosts(nix, &req.flake, &runnable, &req.run, sink).map_err(|source| VerifyError::Io {
            path: req.run.log_dir.clone(),
            source,
        })?
    } else {
        runnable
            .iter()
            .map(|h| {
                let mut r = HostResult::new(h, HostStatus::Skipped);
                r.reason =
                    Some("not started: --hosts names an unknown host (no --keep-going)".into());
                r
            })
            .collect()
    };
    let known_list = req
        .known
        .iter()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let hosts: Vec<HostResult> = req
        .hosts
        .iter()
        .map(|h| {
            if unknown.contains(&h) {
                let mut r = HostResult::new(h, HostStatus::EvalFailed);
                r.error = Some(format!(
                    "unknown host {h:?}: {} has no nixosConfigurations.{h:?} or darwinConfigurations.{h:?}; known hosts: {known_list}; fix --hosts",
                    req.flake
                ));
                r
            } else {
                let i = ran.iter().position(|r| &r.name == h).unwrap_or(0);
                ran.remove(i)
            }
        })
        .collect();
    let mut hosts = hosts;
    let diff = match &req.diff {
        Some(d)
            if !nix
                .interrupt_flag()
                .load(std::sync::atomic::Ordering::SeqCst) =>
        {
            Some(super::diff::compare(
                nix,
                &req.flake,
                req.known.as_ref(),
                d,
                &mut hosts,
            ))
        }
        _ => None,
    };
    let closure_violations = match req.max_closure_growth {
        Some(max) => growth_violations(&hosts, max),
        None => Vec::new(),
    };
    let categories = if diff.as_ref().is_some_and(|d| d.security_model) {
        vec!["security-model".to_string()]
    } else {
        Vec::new()
    };
    let mut report = CheckReport {
        change: req.change.clone(),
        flake: req.flake.clone(),
        nix: NixInfo::from(&nix.version),
        jobs: req.run.jobs,
        eval_only: req.run.eval_only,
        keep_going: req.run.keep_going,
        started_at,
        wall_seconds: start.elapsed().as_secs_f64(),
        interrupted: nix
            .interrupt_flag()
            .load(std::sync::atomic::Ordering::SeqCst),
        summary: Summary::of(&hosts),
        hosts,
        report: Some(req.report_path.display().to_string()),
        diff,
        categories,
        closure_violations,
    };
    for h in &mut report.hosts {
        if h.status == HostStatus::Pending {
            h.status = HostStatus::Cancelled;
        }
    }
    report
        .save(&req.report_path)
        .map_err(|source| VerifyError::Io {
            path: req.report_path.clone(),
            source,
        })?;
    if let Some(j) = &req.junit {
        super::junit::save(&report, j).map_err(|source| VerifyError::Io {
            path: j.clone(),
            source,
        })?;
    }
    Ok(report)
}

/// Hosts whose closure grew by more than `max` percent, each with its figures.
fn growth_violations(hosts: &[HostResult], max: f64) -> Vec<String> {
    hosts
        .iter()
        .filter_map(|h| {
            let c = h.closure.as_ref()?;
            let pct = c.change_percent?;
            (pct > max).then(|| {
                format!(
                    "{}: closure grew by {pct:.1}% ({} -> {} bytes, {:+} bytes), above --max-closure-growth {max}%",
                    h.name,
                    c.base_bytes.unwrap_or(0),
                    c.head_bytes.unwrap_or(0),
                    c.change_bytes.unwrap_or(0)
                )
            })
        })
        .collect()
}

/// One host of a dry run: its evaluator (shared by the hosts of a chunk) and
/// the commands it would run.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedHost {
    pub name: String,
    /// `nixos` or `darwin`.
    pub kind: crate::nix::HostKind,
    /// Why the host was chosen (set by the caller).
    pub why: Option<String>,
    pub evaluator: usize,
    pub commands: Vec<String>,
}

/// The commands `check` would run per host, with the drvPath as a placeholder.
pub fn plan(nix: &Nix, flake: &str, hosts: &[String], run: &RunOptions) -> Vec<PlannedHost> {
    let size = chunk_size(hosts.len(), run.jobs, run.chunk_size);
    let mut planned = Vec::new();
    for (evaluator, chunk) in chunks_by_kind(hosts, run, size).into_iter().enumerate() {
        let chunk: Vec<String> = chunk.into_iter().map(|i| hosts[i].clone()).collect();
        let kind = run.kind(&chunk[0]);
        let facts = run.facts.then_some(super::security::FACTS_FN);
        let eval = match nix.eval_toplevels_traced_args(flake, kind, &chunk, facts) {
            Ok(a) => nix.display(&a),
            Err(e) => format!("# {e}"),
        };
        for h in &chunk {
            let mut commands = vec![eval.clone()];
            if !run.eval_only {
                let placeholder = format!("<drvPath of {h}>");
                let installable = if nix.features.drv_needs_caret {
                    format!("{placeholder}^*")
                } else {
                    placeholder
                };
                let root = run.gc_root_dir.as_ref().map(|d| d.join(h));
                commands
                    .push(nix.display(&nix.build_installable_args(installable, root.as_deref())));
            }
            planned.push(PlannedHost {
                name: h.clone(),
                kind,
                why: None,
                evaluator,
                commands,
            });
        }
    }
    planned
}

/// `path` relative to `base` when below it.
pub fn relative_to(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}
