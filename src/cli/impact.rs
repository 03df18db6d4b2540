//! `openspec impact`: which hosts and modules a change affects, and why.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::impact::{self, ImpactReport};
use crate::report;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (its recorded base revision is used)
    pub id: Option<String>,
    /// Base revision (default: merge-base with the default branch)
    #[arg(long)]
    pub base: Option<String>,
    /// Head revision (default: the working tree, untracked files included)
    #[arg(long)]
    pub head: Option<String>,
    /// Changed files (relative to the flake); skips git
    #[arg(long, num_args = 1..)]
    pub files: Vec<String>,
    /// Drop hosts that reach a gated module but never enable it
    #[arg(long)]
    pub precise: bool,
    /// Evaluate base and head with Nix and compare with the prediction
    #[arg(long)]
    pub verify: bool,
    /// Explain each changed host from its derivations (with --verify)
    #[arg(long, requires = "verify")]
    pub why: bool,
    /// Output format (`--json` is the same as `--format json`)
    #[arg(long, value_parser = ["text", "json", "markdown", "github-matrix"])]
    pub format: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    // `--json` wins over a non-JSON `--format`: one JSON document, as promised.
    let format = match (&args.format, ctx.json) {
        (Some(f), true) if f != "github-matrix" => "json".into(),
        (Some(f), _) => f.clone(),
        (None, true) => "json".into(),
        (None, false) => "text".into(),
    };
    let json_doc = format == "json" || format == "github-matrix";
    let fail = |f: Failure| {
        if json_doc && !ctx.json {
            print_failure(&f);
            Failure { json: None, ..f }
        } else {
            f
        }
    };
    let flake_dir = ctx.flake_dir().map_err(fail)?;
    if let Some(id) = &args.id {
        let known = ctx
            .root()
            .ok()
            .is_some_and(|r| r.join("openspec/changes").join(id).is_dir());
        if id.is_empty() || id.contains('/') || id.contains("..") || !known {
            return Err(fail(Failure::refused(format!(
                "no change named {id:?} under openspec/changes/; run `openspec list` for the ids"
            ))));
        }
    }
    let model = super::hosts::load_model(ctx).map_err(fail)?;

    let (changed, base, head, opts) = if !args.files.is_empty() {
        let opts = impact::Options {
            precise: args.precise,
            ..Default::default()
        };
        (args.files.clone(), None, "files".to_string(), opts)
    } else {
        let base = match (&args.base, &args.id) {
            (Some(b), _) => crate::git::rev_parse(&flake_dir, b),
            (None, Some(id)) => change_base(ctx, id).map_or_else(
                || crate::git::default_base(&flake_dir),
                |b| crate::git::rev_parse(&flake_dir, &b),
            ),
            (None, None) => crate::git::default_base(&flake_dir),
        }
        .map_err(|e| fail(Failure::usage(e.to_string())))?;
        let head = match &args.head {
            Some(h) => Some(
                crate::git::rev_parse(&flake_dir, h)
                    .map_err(|e| fail(Failure::usage(e.to_string())))?,
            ),
            None => None,
        };
        let changed = crate::git::changed_files(&flake_dir, &base, head.as_deref())
            .map_err(|e| fail(Failure::usage(e.to_string())))?;
        let opts =
            impact::options_from_git(&flake_dir, &base, head.as_deref(), &changed, args.precise)
                .map_err(|e| fail(Failure::usage(e.to_string())))?;
        (
            changed,
            Some(base),
            head.unwrap_or_else(|| "worktree".into()),
            opts,
        )
    };
    let mut rep: ImpactReport = impact::analyze(model, &changed, &opts);
    crate::timing::phase("impact analysis");
    rep.base = base;
    rep.head = head;
    let mut exit = Exit::Ok;
    let mut verified = None;
    if args.verify {
        let Some(base) = rep.base.clone() else {
            return Err(fail(Failure::usage(
                "--verify compares two revisions: pass --base (and optionally --head) instead of --files",
            )));
        };
        let head = args.head.as_ref().map(|_| rep.head.clone());
        let opts = crate::verify::PredictOptions {
            why: args.why,
            interrupt: crate::verify::interrupt::install().ok(),
            ..Default::default()
        };
        let v = crate::verify::verify_prediction(
            &flake_dir,
            &base,
            head.as_deref(),
            &[],
            &rep.affected_hosts,
            &opts,
        )
        .map_err(|e| {
            let f = if e.is_environment() {
                Failure::usage(e.to_string())
            } else {
                Failure::refused(e.to_string())
            };
            fail(f)
        })?;
        if !v.missed.is_empty() {
            // A host Nix says changed that the static analysis did not predict: a bug.
            exit = Exit::Refused;
        }
        rep.verify = serde_json::to_value(&v).ok();
        verified = Some(v);
    }
    match format.as_str() {
        "json" => ctx.print_json(&rep),
        "github-matrix" => println!("{}", report::impact::github_matrix(&rep)),
        "markdown" => print!("{}", report::impact::markdown(&rep)),
        _ => {
            print!("{}", report::impact::text(&rep, ctx.verbose > 0));
            if let Some(v) = &verified {
                print!("{}", verify_text(v));
            }
        }
    }
    if model.has_errors() && exit == Exit::Ok {
        // A reached file is not Nix: the answer stands (those hosts count as
        // affected), but the repository needs fixing.
        exit = Exit::Refused;
    }
    Ok(exit)
}

fn verify_text(v: &crate::verify::VerifyReport) -> String {
    let list = |l: &[String]| {
        if l.is_empty() {
            "none".to_string()
        } else {
            l.join(", ")
        }
    };
    let mut out = format!(
        "verified with Nix {}: confirmed {}; false positives {}; missed {}\n",
        v.nix.version,
        list(&v.confirmed),
        list(&v.false_positives),
        list(&v.missed)
    );
    for h in &v.hosts {
        if let Some(why) = &h.why {
            out.push_str(&format!("why {} changed:\n{why}\n", h.name));
        }
    }
    out
}

fn print_failure(f: &Failure) {
    super::output::print_failure_json(f);
}

/// The base revision recorded for a change (`openspec/changes/<id>/tracking.json`).
pub(super) fn change_base(ctx: &Ctx, id: &str) -> Option<String> {
    let root = ctx.root().ok()?;
    let text =
        std::fs::read_to_string(root.join("openspec/changes").join(id).join("tracking.json"))
            .ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["base_revision", "base"]
        .iter()
        .find_map(|k| doc.get(*k).and_then(|v| v.as_str()).map(str::to_string))
}
