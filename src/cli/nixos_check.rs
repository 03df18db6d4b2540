//! `openspec nixos-check`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (its affected hosts are checked)
    pub id: Option<String>,
    /// Comma-separated host names
    #[arg(long, value_delimiter = ',')]
    pub hosts: Vec<String>,
    /// Every host of the flake
    #[arg(long, conflicts_with = "hosts")]
    pub all_hosts: bool,
    /// Base revision for the impact of the change
    #[arg(long)]
    pub base: Option<String>,
    /// Parallel evaluations (default: number of cores)
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Evaluate only, build nothing
    #[arg(long)]
    pub eval_only: bool,
    /// Print the plan, run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Continue with other hosts after a failure
    #[arg(long)]
    pub keep_going: bool,
    /// Per-host timeout in seconds
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Write a JUnit XML report
    #[arg(long)]
    pub junit: Option<std::path::PathBuf>,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`nixos-check` is not implemented yet"))
}
