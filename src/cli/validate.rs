//! `openspec validate`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id or spec id
    pub item: Option<String>,
    /// Every change and spec
    #[arg(long)]
    pub all: bool,
    /// Every change
    #[arg(long)]
    pub changes: bool,
    /// Every spec
    #[arg(long)]
    pub specs: bool,
    /// Fail on warnings too
    #[arg(long)]
    pub strict: bool,
    /// OpenSpec 0.x rules
    #[arg(long)]
    pub legacy: bool,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`validate` is not implemented yet"))
}
