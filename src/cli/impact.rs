//! `openspec impact`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (its recorded base revision is used)
    pub id: Option<String>,
    /// Base revision (default: merge-base with the default branch)
    #[arg(long)]
    pub base: Option<String>,
    /// Head revision (default: the working tree, untracked files included)
    #[arg(long)]
    pub head: Option<String>,
    /// Changed files (repository-relative); skips git
    #[arg(long, num_args = 1..)]
    pub files: Vec<String>,
    /// Drop hosts that reach a gated module but never enable it
    #[arg(long)]
    pub precise: bool,
    /// Evaluate base and head with Nix and compare with the prediction
    #[arg(long)]
    pub verify: bool,
    /// Explain each changed host from its derivations (with --verify)
    #[arg(long)]
    pub why: bool,
    /// Output format
    #[arg(long, default_value = "text", value_parser = ["text", "json", "markdown", "github-matrix"])]
    pub format: String,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`impact` is not implemented yet"))
}
