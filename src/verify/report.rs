//! The result of a verification run: per host status, paths, times, log and
//! error tail; saved as JSON, the `nixos-check --json` document.
use std::path::Path;

use serde::Serialize;

use crate::nix::NixVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostStatus {
    /// Not finished yet (never in a saved report).
    Pending,
    Evaluated,
    Built,
    EvalFailed,
    BuildFailed,
    Timeout,
    Skipped,
    Cancelled,
}

impl HostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Pending => "pending",
            HostStatus::Evaluated => "evaluated",
            HostStatus::Built => "built",
            HostStatus::EvalFailed => "eval-failed",
            HostStatus::BuildFailed => "build-failed",
            HostStatus::Timeout => "timeout",
            HostStatus::Skipped => "skipped",
            HostStatus::Cancelled => "cancelled",
        }
    }

    pub fn succeeded(self) -> bool {
        matches!(self, HostStatus::Evaluated | HostStatus::Built)
    }

    pub fn failed(self) -> bool {
        matches!(
            self,
            HostStatus::EvalFailed | HostStatus::BuildFailed | HostStatus::Timeout
        )
    }
}

/// Closure of the host's toplevel at base and head (`nix path-info -r -S`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Closure {
    /// None without a base to compare with (or when it failed: `base_error`).
    pub base_bytes: Option<u64>,
    pub head_bytes: Option<u64>,
    /// head minus base, in bytes and in percent of the base.
    pub change_bytes: Option<i64>,
    pub change_percent: Option<f64>,
    /// Store paths in the head closure only, and in the base closure only.
    pub paths_added: Vec<String>,
    pub paths_removed: Vec<String>,
    /// Package names and versions added, removed, changed.
    pub packages: Option<super::diff::PackageDiff>,
    pub base_drv: Option<String>,
    pub base_out: Option<String>,
    /// Time to build (or find in the store) the base toplevel.
    pub base_build_seconds: Option<f64>,
    /// Why the base figures are missing.
    pub base_error: Option<String>,
    /// The host is new at the head: its whole closure is new (base 0 bytes,
    /// every path added, no percentage).
    pub added: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostResult {
    pub name: String,
    /// `nixos` or `darwin`: the flake output the host lives in.
    pub kind: crate::nix::HostKind,
    pub status: HostStatus,
    /// The platform its toplevel is built for (e.g. `x86_64-linux`), once evaluated.
    pub system: Option<String>,
    /// Why the host was skipped (`status: skipped`): another platform, or an
    /// earlier failure without `--keep-going`.
    pub reason: Option<String>,
    pub drv_path: Option<String>,
    pub out_path: Option<String>,
    pub eval_seconds: Option<f64>,
    pub build_seconds: Option<f64>,
    pub log: Option<String>,
    /// The first useful lines of Nix's error.
    pub error: Option<String>,
    /// Derivations the build ran (not already in the store), and store
    /// paths it downloaded from a substituter, as Nix announced them.
    pub derivations_built: Vec<String>,
    pub paths_fetched: Vec<String>,
    /// Base versus head security facts (None without a base revision).
    pub security: Option<super::security::SecurityDiff>,
    pub closure: Option<Closure>,
    /// The head side's security facts, from the evaluator that reported the
    /// drvPath (JSON of `verify::security::Facts`, `null` when they threw),
    /// or why they are missing. Not part of the report.
    #[serde(skip)]
    pub head_facts: Option<Result<serde_json::Value, String>>,
}

impl HostResult {
    pub fn new(name: &str, status: HostStatus) -> HostResult {
        HostResult {
            name: name.to_string(),
            kind: crate::nix::HostKind::Nixos,
            status,
            system: None,
            reason: None,
            head_facts: None,
            derivations_built: Vec::new(),
            paths_fetched: Vec::new(),
            drv_path: None,
            out_path: None,
            eval_seconds: None,
            build_seconds: None,
            log: None,
            error: None,
            security: None,
            closure: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub skipped: usize,
    pub cancelled: usize,
}

impl Summary {
    pub fn of(hosts: &[HostResult]) -> Summary {
        let count = |f: &dyn Fn(HostStatus) -> bool| hosts.iter().filter(|h| f(h.status)).count();
        Summary {
            total: hosts.len(),
            succeeded: count(&|s| s.succeeded()),
            failed: count(&|s| s.failed()),
            skipped: count(&|s| s == HostStatus::Skipped),
            cancelled: count(&|s| s == HostStatus::Cancelled || s == HostStatus::Pending),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NixInfo {
    pub version: String,
    pub flavor: crate::nix::Flavor,
}

impl From<&NixVersion> for NixInfo {
    fn from(v: &NixVersion) -> Self {
        NixInfo {
            version: v.raw.clone(),
            flavor: v.flavor,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub change: Option<String>,
    pub flake: String,
    pub nix: NixInfo,
    pub jobs: usize,
    pub eval_only: bool,
    pub keep_going: bool,
    pub started_at: String,
    pub wall_seconds: f64,
    /// Ctrl-C stopped the run; the report is partial.
    pub interrupted: bool,
    pub hosts: Vec<HostResult>,
    pub summary: Summary,
    /// Where this report is saved.
    pub report: Option<String>,
    /// The comparison with the base revision (None without one).
    pub diff: Option<super::diff::DiffSummary>,
    /// `security-model` when a host's security was loosened.
    pub categories: Vec<String>,
    /// Hosts whose closure grew beyond `--max-closure-growth`, with why.
    pub closure_violations: Vec<String>,
}

impl CheckReport {
    /// True only when every selected host succeeded (or was skipped: it
    /// cannot be built on this platform) and nothing was interrupted.
    pub fn ok(&self) -> bool {
        !self.interrupted
            && self.closure_violations.is_empty()
            && self
                .hosts
                .iter()
                .all(|h| h.status.succeeded() || h.status == HostStatus::Skipped)
    }

    /// Save as pretty JSON, atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes())
    }
}
