//! `openspec impact`: which hosts and modules a change affects, and why.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::report::impact::{self as render, Format};
use crate::workflow::{Change, select};
use crate::{impact, verify};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id: its declared scope (the proposal's `## Impact`) and its
    /// computed one (since its recorded base revision, or --base)
    pub id: Option<String>,
    /// Base revision; the changes are those since its merge-base with the
    /// head, as a pull request shows them (default: the default branch)
    #[arg(long)]
    pub base: Option<String>,
    /// Head revision (default: the working tree, untracked files included)
    #[arg(long)]
    pub head: Option<String>,
    /// Changed files (absolute, relative to the current directory, or to
    /// the flake); skips git
    #[arg(long, num_args = 1..)]
    pub files: Vec<String>,
    /// Every active change: its hosts and modules, and the changes that overlap
    #[arg(long, conflicts_with_all = ["id", "files", "verify"])]
    pub changes: bool,
    /// Drop hosts that reach a gated module but never enable it
    #[arg(long)]
    pub precise: bool,
    /// Evaluate base and head with Nix and compare with the prediction
    #[arg(long)]
    pub verify: bool,
    /// Explain each changed host from its derivations (with --verify)
    #[arg(long, requires = "verify")]
    pub why: bool,
    /// Ask Nix for the host names of both sides (one lazy evaluation each;
    /// it needs the flake's inputs): hosts the static reading cannot place
    /// count as depending on the whole source
    #[arg(long, conflicts_with = "changes")]
    pub eval_hosts: bool,
    /// Output format (`--json` is the same as `--format json`)
    #[arg(long)]
    pub format: Option<Format>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    // `--json` wins over a non-JSON `--format`: one JSON document, as promised.
    let format = match (args.format, ctx.json) {
        (Some(f), true) if f != Format::GithubMatrix => Format::Json,
        (Some(f), _) => f,
        (None, true) => Format::Json,
        (None, false) => Format::Text,
    };
    report(&args, ctx, format).map_err(|f| {
        // A JSON format promises one document on stdout, also on failure;
        // the message then also goes to stderr, as without `--json`.
        if format.is_json() && !ctx.json {
            super::output::print_failure_json(&f);
            Failure { json: None, ..f }
        } else {
            f
        }
    })
}

fn report(args: &Args, ctx: &Ctx, format: Format) -> CmdResult {
    let flake_dir = ctx.flake_dir()?;
    if args.changes {
        return every_change(ctx, format, &flake_dir);
    }
    let change = match &args.id {
        Some(id) => Some(Change::lookup(ctx.root().ok().as_deref(), id)?),
        None => None,
    };
    // A change with no recorded base and no --base has no computed side:
    // its answer is what its proposal declares.
    if let Some(c) = &change
        && args.base.is_none()
        && args.files.is_empty()
        && c.base_revision().is_none()
    {
        return declared_only(c, args, ctx, format, &flake_dir);
    }
    let selection = select::impact_request(
        change.as_ref(),
        &args.files,
        args.base.as_deref(),
        args.head.as_deref(),
        args.precise,
    )
    .resolve(&flake_dir)?;
    // Each side as it was: the head revision (or the working tree) and the base.
    let model: &crate::flake::FlakeModel = match impact::load_head(&flake_dir, &selection)? {
        Some(mut m) => {
            if args.eval_hosts {
                let rev = selection.head_rev.clone().unwrap_or_default();
                let head = super::hosts::flake_at(&flake_dir, &rev)?;
                super::hosts::name_hosts_with_nix(ctx, &head, &mut m)?;
            }
            Box::leak(Box::new(m))
        }
        None if args.eval_hosts => {
            let mut m = crate::flake::load_lazy(&flake_dir)?;
            super::hosts::name_hosts_with_nix(ctx, &flake_dir.display().to_string(), &mut m)?;
            Box::leak(Box::new(m))
        }
        None => super::load_model_lazy(ctx)?,
    };
    // Kept to the end of the process, as the head's: freeing a large model
    // costs time and buys nothing.
    let base_model: Option<&crate::flake::FlakeModel> =
        match impact::load_base(&flake_dir, &selection, model)? {
            Some(mut m) => {
                if args.eval_hosts
                    && let Some(rev) = &selection.base
                {
                    let base = super::hosts::flake_at(&flake_dir, rev)?;
                    super::hosts::name_hosts_with_nix(ctx, &base, &mut m)?;
                }
                Some(&*Box::leak(Box::new(m)))
            }
            None => None,
        };
    crate::timing::phase("models of both sides");
    for w in &selection.warnings {
        ctx.warn(w);
    }
    if selection.head_rev.is_none() && selection.base.is_some() {
        super::warn_untracked(ctx, &flake_dir, model);
    }
    let mut rep = impact::analyze(model, base_model, &selection.changed, &selection.options);
    crate::timing::phase("impact analysis");
    rep.base = selection.base.clone();
    rep.head = selection.head.clone();
    if let Some(c) = &change {
        let (declared, _) = impact::change::declared_scope(model, &flake_dir, &c.dir);
        rep.change = Some(impact::change::combine(&c.id, declared, Some(&mut rep)));
    }
    let mut verified = None;
    if args.verify {
        let Some(base) = rep.base.clone() else {
            return Err(Failure::usage(
                "--verify compares two revisions: pass --base (and optionally --head) instead of --files",
            ));
        };
        let opts = verify::PredictOptions {
            why: args.why,
            interrupt: verify::interrupt::install().ok(),
            ..Default::default()
        };
        let v = verify::verify_prediction(
            &flake_dir,
            &base,
            selection.head_rev.as_deref(),
            &[],
            &rep.affected_hosts,
            &opts,
        )?;
        rep.verify = serde_json::to_value(&v).ok();
        verified = Some(v);
    }
    print_report(&rep, verified.as_ref(), model, base_model, ctx, format);
    // A host Nix says changed that the static analysis did not predict: a bug.
    let missed = verified.as_ref().filter(|v| !v.missed.is_empty()).map(|v| {
        format!(
            "{} host(s) changed that the prediction missed: {}; the static analysis is wrong for them",
            v.missed.len(),
            super::some_of(v.missed.iter().map(String::as_str))
        )
    });
    // A reached file is not Nix: the answer stands (those hosts count as
    // affected), but the repository needs fixing.
    Ok(match missed.or_else(|| super::model_errors(model)) {
        Some(why) => ctx.refuse(&why),
        None => Exit::Ok,
    })
}

fn print_report(
    rep: &impact::ImpactReport,
    verified: Option<&verify::VerifyReport>,
    model: &crate::flake::FlakeModel,
    base_model: Option<&crate::flake::FlakeModel>,
    ctx: &Ctx,
    format: Format,
) {
    match format {
        Format::Json => ctx.print_json(rep),
        // A matrix that may miss hosts would check too few and stay green:
        // nothing on stdout, and the exit code says why.
        Format::GithubMatrix
            if model.unnamed_hosts().is_some()
                || base_model.is_some_and(|b| b.unnamed_hosts().is_some()) => {}
        Format::GithubMatrix => println!("{}", render::github_matrix(rep)),
        Format::Markdown => print!("{}", render::markdown(rep)),
        Format::Text => {
            print!("{}", render::text(rep, ctx.verbose > 0, ctx.quiet));
            if let Some(v) = verified {
                print!("{}", render::verify_text(v));
            }
        }
    }
}

/// `impact <id>` for a change without a base revision: the declared scope.
fn declared_only(
    c: &crate::workflow::Change,
    _args: &Args,
    ctx: &Ctx,
    format: Format,
    flake_dir: &std::path::Path,
) -> CmdResult {
    let model = super::load_model_lazy(ctx)?;
    let (declared, mut rep) = impact::change::declared_scope(model, flake_dir, &c.dir);
    rep.base = None;
    rep.head = "declared".into();
    let change = impact::change::combine(&c.id, declared, None);
    let nothing = change.declared.paths.is_empty();
    let note = change.note.clone();
    rep.change = Some(change);
    print_report(&rep, None, model, None, ctx, format);
    match note {
        // Neither source: say so, never "0 hosts" as if that were an answer.
        Some(why) if nothing => Ok(ctx.refuse(&why)),
        Some(why) => {
            ctx.warn(&why);
            Ok(match super::model_errors(model) {
                Some(e) => ctx.refuse(&e),
                None => Exit::Ok,
            })
        }
        None => Ok(Exit::Ok),
    }
}

/// `impact --changes`: every active change and the pairs that overlap.
fn every_change(ctx: &Ctx, format: Format, flake_dir: &std::path::Path) -> CmdResult {
    use impact::changes::{ChangeInput, all_changes, requirement_key};
    let repo = super::open_repo(ctx)?;
    let root = ctx.root()?;
    let model = super::load_model_lazy(ctx)?;
    let mut inputs = vec![];
    for id in repo.change_ids(false)? {
        let loaded = repo.load_change(&id);
        let mut requirements = vec![];
        for d in &loaded.deltas {
            let delta = &d.delta;
            let names = delta
                .added
                .iter()
                .chain(&delta.modified)
                .map(|r| r.name.as_str())
                .chain(delta.removed.iter().map(|r| r.name.as_str()))
                .chain(
                    delta
                        .renamed
                        .iter()
                        .flat_map(|r| [r.from.as_str(), r.to.as_str()]),
                );
            requirements.extend(names.map(|n| requirement_key(&d.capability, n)));
        }
        requirements.sort();
        requirements.dedup();
        let change = crate::workflow::Change::at(&root, &id);
        inputs.push(ChangeInput {
            base: change.base_revision(),
            dir: change.dir,
            id,
            requirements,
        });
    }
    let rep = all_changes(model, flake_dir, &inputs)?;
    crate::timing::phase("impact of every change");
    match format {
        Format::Json => ctx.print_json(&rep),
        Format::GithubMatrix if model.unnamed_hosts().is_some() => {}
        Format::GithubMatrix => {
            let hosts: std::collections::BTreeSet<&String> =
                rep.changes.iter().flat_map(|c| &c.hosts).collect();
            let include: Vec<serde_json::Value> = hosts
                .iter()
                .map(|h| serde_json::json!({ "host": h }))
                .collect();
            println!("{}", serde_json::json!({ "include": include }));
        }
        Format::Markdown => print!("{}", render::changes_markdown(&rep)),
        Format::Text => print!("{}", render::changes_text(&rep, ctx.quiet)),
    }
    Ok(match super::model_errors(model) {
        Some(why) => ctx.refuse(&why),
        None => Exit::Ok,
    })
}
