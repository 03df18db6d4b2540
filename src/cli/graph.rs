//! `openspec graph`
use super::{CmdResult, Ctx, Failure};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this host
    #[arg(long)]
    pub host: Option<String>,
    /// Output format
    #[arg(long, default_value = "dot", value_parser = ["dot", "mermaid", "json"])]
    pub format: String,
}

pub fn run(_args: Args, _ctx: &Ctx) -> CmdResult {
    Err(Failure::usage("`graph` is not implemented yet"))
}
