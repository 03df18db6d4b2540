//! `openspec init`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`init` is not implemented yet"))
}
