//! `openspec archive`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id
    pub id: String,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
    /// Move the change without touching specs
    #[arg(long)]
    pub skip_specs: bool,
    /// Do not validate first
    #[arg(long)]
    pub no_validate: bool,
    /// Lessons-learned entry stored in the archived change
    #[arg(long)]
    pub lessons: Option<String>,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`archive` is not implemented yet"))
}
