//! Parallel evaluation and builds of hosts, progress, reports; and the check
//! of a static impact prediction against what Nix evaluates.
use std::path::PathBuf;

mod check;
pub mod diff;
pub mod explain;
pub mod interrupt;
pub mod junit;
pub mod markdown;
pub mod monitor;
mod predict;
pub mod report;
mod runner;
pub mod security;

pub use check::{CheckRequest, PlannedHost, check, plan, relative_to};
pub use diff::{DiffRequest, DiffSummary};
pub use explain::{Difference, Explanation, explain};
pub use monitor::{Event, JsonLines, Monitor, Silent, Sink};
pub use predict::{HostComparison, PredictOptions, VerifyReport, verify_prediction};
pub use report::{CheckReport, HostResult, HostStatus, Summary};
pub use runner::{RunOptions, run_hosts};

use crate::nix::NixError;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Nix(#[from] NixError),
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("cannot list the hosts of {flake}:\n{source}")]
    HostList { flake: String, source: NixError },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("interrupted")]
    Interrupted,
}

/// The Nix to evaluate and build with: found on PATH, its version known,
/// `settings` passed to every call, stopped by `interrupt` when given.
pub fn find_nix(
    settings: crate::nix::NixSettings,
    interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Result<crate::nix::Nix, NixError> {
    let nix = crate::nix::Nix::find(settings)?;
    Ok(match interrupt {
        Some(flag) => nix.with_interrupt(flag),
        None => nix,
    })
}

/// `check`, run by the command that owns the whole process: builders
/// orphaned by a killed Nix come back to this process (it becomes their
/// subreaper) and are stopped once the run is over, whatever its outcome.
pub fn check_owning_children(
    nix: &crate::nix::Nix,
    req: &CheckRequest,
    sink: &dyn Sink,
) -> Result<CheckReport, VerifyError> {
    crate::nix::process::adopt_orphans();
    let report = check(nix, req, sink);
    crate::nix::process::sweep_orphans();
    report
}

impl VerifyError {
    /// Exit code 2 material: Nix or git missing, unreadable flake.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            VerifyError::Nix(NixError::Missing | NixError::Version { .. } | NixError::Spawn { .. })
                | VerifyError::Git(_)
                | VerifyError::HostList { .. }
        )
    }
}
