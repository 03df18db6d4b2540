//! `openspec hosts`: every host with its dependency set.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> CmdResult {
    let model = load_model(ctx)?;
    if ctx.json {
        ctx.print_with(|out| report::hosts::write_json(model, out));
    } else {
        print!("{}", report::hosts::text(model, ctx.verbose > 0));
    }
    Ok(if model.has_errors() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}

/// The static model of the flake at `--flake` (default: the root). It lives
/// until the process exits: freeing the syntax trees of a large flake one
/// by one costs about 100 ms (10,000 files) and buys nothing.
pub fn load_model(ctx: &Ctx) -> Result<&'static crate::flake::FlakeModel, Failure> {
    let dir = ctx.flake_dir()?;
    let model = crate::flake::load(&dir).map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Box::leak(Box::new(model)))
}
