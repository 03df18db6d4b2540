//! `openspec new`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (kebab-case)
    pub id: String,
    /// Template kind
    #[arg(long, default_value = "change", value_parser = ["change", "hardware", "module", "security", "host", "skill"])]
    pub kind: String,
    /// pantherOS phase (1 hardware, 2 module, 3 host)
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub phase: Option<u8>,
    /// Title for the proposal heading
    #[arg(long)]
    pub title: Option<String>,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`new` is not implemented yet"))
}
