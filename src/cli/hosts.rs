//! `openspec hosts`: every host with its dependency set.
use std::path::Path;

use super::{CmdResult, Ctx, Exit, Failure};
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also ask Nix for the names of `nixosConfigurations` and
    /// `darwinConfigurations` (one lazy evaluation; it needs the flake's
    /// inputs): a host Nix names that the static reading cannot place is
    /// added with rule `nix` and depends on the whole source
    #[arg(long)]
    pub eval: bool,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let model = if args.eval {
        let dir = ctx.flake_dir()?;
        let mut m = crate::flake::load(&dir)?;
        name_hosts_with_nix(ctx, &dir.display().to_string(), &mut m)?;
        &*Box::leak(Box::new(m))
    } else {
        super::load_model(ctx)?
    };
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

/// `--eval` / `--eval-hosts`: the host names of `flake` (a directory or a
/// flake reference) from Nix, added to `model` where the static reading
/// missed them. Errors: no Nix, or an evaluation that fails (exit 2).
pub(crate) fn name_hosts_with_nix(
    ctx: &Ctx,
    flake: &str,
    model: &mut crate::flake::FlakeModel,
) -> Result<(), Failure> {
    if !ctx.quiet {
        eprintln!(
            "asking Nix for the host names of {flake} (this evaluates the flake and needs its inputs)"
        );
    }
    let nix = crate::nix::Nix::find(Default::default())
        .map_err(|e| Failure::usage(format!("--eval needs Nix: {e}")).caused_by(e))?;
    let named = nix.host_names(flake).map_err(|e| {
        Failure::usage(format!(
            "Nix could not list the hosts of {flake} (are its inputs available?):\n{e}"
        ))
        .caused_by(e)
    })?;
    let added = model.name_hosts_with_nix(&named);
    if !added.is_empty() {
        ctx.warn(&format!(
            "{} host(s) named by Nix only, each depending on the whole source: {}",
            added.len(),
            super::some_of(added.iter().map(String::as_str))
        ));
    }
    Ok(())
}

/// The flake reference Nix reads for the flake in `flake_dir` at commit
/// `rev` (`git+file://<top>?rev=<rev>[&dir=<sub>][&ref=<ref>]`, paths
/// percent-encoded: `verify::diff::git_flake_url`). Errors: not in git.
pub(crate) fn flake_at(flake_dir: &Path, rev: &str) -> Result<String, Failure> {
    let top = crate::git::toplevel(flake_dir).map_err(|e| {
        Failure::usage(format!("the flake is not in a git repository: {e}")).caused_by(e)
    })?;
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let top = canon(&top);
    let rel = canon(flake_dir)
        .strip_prefix(&top)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let git_ref = crate::git::ref_containing(flake_dir, rev).ok().flatten();
    Ok(crate::verify::diff::git_flake_url(
        &top,
        &rel,
        rev,
        git_ref.as_deref(),
    ))
}
