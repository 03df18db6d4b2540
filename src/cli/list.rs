//! `openspec list`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// List specs instead of changes
    #[arg(long)]
    pub specs: bool,
    /// Sort order
    #[arg(long, default_value = "recent", value_parser = ["recent", "name"])]
    pub sort: String,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`list` is not implemented yet"))
}
