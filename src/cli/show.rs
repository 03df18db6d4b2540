//! `openspec show`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id or spec id
    pub item: String,
    /// Item type when the name is ambiguous
    #[arg(long = "type", value_parser = ["change", "spec"])]
    pub item_type: Option<String>,
    /// Only the deltas of a change
    #[arg(long)]
    pub deltas_only: bool,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`show` is not implemented yet"))
}
