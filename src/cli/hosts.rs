//! `openspec hosts`: every host with its dependency set.
use super::{CmdResult, Ctx, Exit};
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_args: Args, ctx: &Ctx) -> CmdResult {
    let model = super::load_model(ctx)?;
    if let Ok(dir) = ctx.flake_dir() {
        super::warn_untracked(ctx, &dir, model);
    }
    if ctx.json {
        ctx.print_with(|out| report::hosts::write_json(model, out));
    } else {
        print!("{}", report::hosts::text(model, ctx.verbose > 0));
    }
    Ok(match super::model_errors(model) {
        Some(why) => ctx.refuse(&why),
        None => Exit::Ok,
    })
}
