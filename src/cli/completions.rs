//! `openspec completions`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Shell
    pub shell: clap_complete::Shell,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`completions` is not implemented yet"))
}
