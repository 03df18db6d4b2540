//! `openspec hosts`: every host with its dependency set.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> CmdResult {
    let model = load_model(ctx)?;
    if ctx.json {
        ctx.print_json(&report::hosts::json(&model));
    } else {
        print!("{}", report::hosts::text(&model, ctx.verbose > 0));
    }
    Ok(if model.has_errors() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}

/// The static model of the flake at `--flake` (default: the root).
pub fn load_model(ctx: &Ctx) -> Result<crate::flake::FlakeModel, Failure> {
    let dir = ctx.flake_dir()?;
    crate::flake::load(&dir).map_err(|e| Failure::usage(e.to_string()))
}
