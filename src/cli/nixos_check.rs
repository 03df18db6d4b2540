//! `openspec nixos-check`: read flags, select hosts, run the verification, print.
use std::path::{Path, PathBuf};
use std::time::Duration;

use console::style;
use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure};
use crate::nix::{HostKind, HostList, Nix, NixError, NixSettings};
use crate::verify::{self, CheckReport, CheckRequest, Monitor, RunOptions};
use crate::workflow::Change;
use crate::workflow::select::{self, HostChoice, Selected};

/// How the result is printed on stdout.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Progress on stderr, a summary on stdout
    Text,
    /// One JSON document at the end (same as --json)
    Json,
    /// A report for a pull-request comment: build status, security and closure diffs per host
    Markdown,
    /// One JSON object per line as events happen (evaluated, finished, compared, summary)
    Jsonl,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format (default: text; --json means json)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Change id (its affected hosts are checked; the report is saved in its folder)
    pub id: Option<String>,
    /// Comma-separated host names (NixOS or darwin; an unknown name stops the check before anything runs)
    #[arg(long, value_delimiter = ',')]
    pub hosts: Vec<String>,
    /// Every host of the flake: nixosConfigurations and darwinConfigurations (a host this machine cannot build is reported skipped, with the reason)
    #[arg(long, conflicts_with = "hosts")]
    pub all_hosts: bool,
    /// Base revision: the impact of the change is computed from it, and the
    /// security facts and closures of the hosts are compared with it (default:
    /// the change's recorded base, else the merge-base with the default branch;
    /// without a change id, no comparison unless given)
    #[arg(long)]
    pub base: Option<String>,
    /// Do not compare with the base revision (no security or closure diff)
    #[arg(long)]
    pub no_diff: bool,
    /// Fail (exit 1) when a host's closure grows by more than PCT percent over the base (PCT >= 0)
    #[arg(long, value_name = "PCT", value_parser = percent, allow_negative_numbers = true)]
    pub max_closure_growth: Option<f64>,
    /// Parallel evaluations (default: number of cores)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Evaluate only, build nothing
    #[arg(long)]
    pub eval_only: bool,
    /// Print the commands that would run, run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Evaluate and print per host what a build would build and download, the
    /// derivation and package diff and the security diff against the base; build nothing
    #[arg(long, conflicts_with = "dry_run")]
    pub plan: bool,
    /// Continue with other hosts after a failure
    #[arg(long)]
    pub keep_going: bool,
    /// Hosts per evaluator process (default: hosts spread evenly over --jobs, at most 8)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub chunk_size: Option<u16>,
    /// Per-host timeout in seconds (evaluation and build)
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Write a JUnit XML report
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the JSON report here (default: the change's verification/report.json, else a new temporary directory). Without a change id the logs go beside it, in a folder named like FILE with the extension .logs (out/check.json -> out/check.logs/); with one, in the change's verification/ folder
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Nix remote builders, passed to Nix as --builders
    #[arg(long, value_name = "SPEC")]
    pub builders: Option<String>,
    /// Nix store to build in (e.g. ssh-ng://ci), passed to Nix as --store
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
    /// Nix store that evaluation writes derivations to, passed as --eval-store
    #[arg(long, value_name = "URL")]
    pub eval_store: Option<String>,
    /// A Nix setting, passed as --option NAME VALUE (repeatable)
    #[arg(long = "option", num_args = 2, value_names = ["NAME", "VALUE"], action = clap::ArgAction::Append)]
    pub option: Vec<String>,
}

/// A percentage for `--max-closure-growth`: a finite number, zero or more.
fn percent(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("{s:?} is not a number; give a percentage such as 10"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!(
            "{s:?} is not a percentage of growth; give a number from 0 up (10 means 10%)"
        ));
    }
    Ok(v)
}

fn settings(a: &Args) -> NixSettings {
    NixSettings {
        builders: a.builders.clone(),
        store: a.store.clone(),
        eval_store: a.eval_store.clone(),
        options: a
            .option
            .chunks(2)
            .filter_map(|c| match c {
                [k, v] => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        config: Vec::new(),
    }
}

/// Where logs, GC roots and the report go.
struct Destination {
    change: Option<String>,
    dir: PathBuf,
    gc_roots: Option<PathBuf>,
    report: PathBuf,
    /// Log paths in the report are shown relative to this.
    display_base: PathBuf,
}

fn destination(
    a: &Args,
    change: Option<&Change>,
    root: Option<PathBuf>,
    flake_dir: &Path,
    dry_run: bool,
) -> Result<Destination, Failure> {
    if let (Some(change), Some(root)) = (change, root) {
        let dir = change.verification();
        return Ok(Destination {
            change: Some(change.id.clone()),
            gc_roots: Some(dir.join("gcroots")),
            report: a.report.clone().unwrap_or_else(|| dir.join("report.json")),
            dir,
            display_base: root,
        });
    }
    let dir = if let Some(r) = &a.report {
        // Logs beside the report: out/check.json -> out/check.logs/ (and
        // out/x.logs -> out/x.logs.logs/, never the report's own path).
        let dir = r.with_extension("logs");
        if dir == *r {
            let mut name = r.clone().into_os_string();
            name.push(".logs");
            PathBuf::from(name)
        } else {
            dir
        }
    } else if dry_run {
        std::env::temp_dir().join("openspec-nixos-check-XXXXXX")
    } else {
        tempfile::Builder::new()
            .prefix("openspec-nixos-check-")
            .tempdir()
            .map_err(|e| {
                Failure::usage(format!("cannot create a temporary directory: {e}")).caused_by(e)
            })?
            .keep()
    };
    Ok(Destination {
        change: None,
        gc_roots: None,
        report: a.report.clone().unwrap_or_else(|| dir.join("report.json")),
        display_base: flake_dir.to_path_buf(),
        dir,
    })
}

/// Environment failures (no nix, unreadable flake) carry an empty host list
/// under `--json`, so a consumer reading `hosts` needs no special case.
fn with_empty_hosts(f: Failure) -> Failure {
    if f.exit != Exit::Usage {
        return f;
    }
    let doc = json!({
        "error": {"message": f.message, "exit_code": Exit::Usage as u8},
        "hosts": [],
    });
    f.with_json(doc)
}

/// The output format: `--json` means JSON; it and a different `--format` disagree.
fn format_of(args: &Args, ctx: &Ctx) -> Result<Format, Failure> {
    match (args.format, ctx.json) {
        (None | Some(Format::Json), true) => Ok(Format::Json),
        (Some(f), true) => Err(Failure::usage(format!(
            "--json and --format {f:?} disagree; give one of them"
        ))),
        (f, false) => Ok(f.unwrap_or(Format::Text)),
    }
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let format = format_of(&args, ctx)?;
    check(args, ctx, format).map_err(|f| match format {
        // A JSON format promises JSON on stdout, also on failure; the message
        // then also goes to stderr, as in text mode.
        Format::Json if !ctx.json => {
            super::output::print_failure_json(&f);
            Failure { json: None, ..f }
        }
        Format::Jsonl => {
            verify::JsonLines::emit(&json!({
                "event": "error", "message": f.message, "exit_code": f.exit as u8,
            }));
            Failure { json: None, ..f }
        }
        _ => f,
    })
}

/// The hosts of the flake as the static model names them, with their kinds;
/// `None` when the model cannot name every host (or cannot be read).
fn model_hosts(flake_dir: &Path) -> Option<HostList> {
    let model = crate::flake::load_lazy(flake_dir).ok()?;
    if model.unnamed_hosts().is_some() {
        return None;
    }
    Some(
        model
            .hosts
            .iter()
            .map(|h| (h.name.clone(), HostKind::parse(&h.kind).unwrap_or_default()))
            .collect(),
    )
}

/// `--hosts` names the flake does not define: a usage error naming each,
/// with the closest known name, before anything is evaluated.
fn check_names(given: &[String], known: &HostList, source: &str) -> Result<(), Failure> {
    let names: Vec<&str> = known.iter().map(|(n, _)| n.as_str()).collect();
    let unknown = select::unknown_hosts(given, &names);
    if unknown.is_empty() {
        return Ok(());
    }
    let each: Vec<String> = unknown
        .iter()
        .map(|(n, hint)| format!("{n:?}{hint}"))
        .collect();
    Err(with_empty_hosts(Failure::usage(format!(
        "unknown host(s) in --hosts: {} ({source} defines {}); nothing was run; fix --hosts or run `openspec hosts`",
        each.join(", "),
        if names.is_empty() {
            "no host".to_string()
        } else {
            super::some_of(names.iter().copied())
        }
    ))))
}

fn check(args: Args, ctx: &Ctx, format: Format) -> CmdResult {
    let flake_dir = ctx.flake_dir()?;
    let (change, root) = match &args.id {
        Some(id) => {
            let root = ctx.root()?;
            (Some(Change::open(&root, id)?), Some(root))
        }
        None => (None, None),
    };
    let dest = destination(&args, change.as_ref(), root, &flake_dir, args.dry_run)?;
    let interrupt = if args.dry_run {
        None
    } else {
        Some(verify::interrupt::install().map_err(|e| {
            Failure::usage(format!("cannot install the Ctrl-C handler: {e}")).caused_by(e)
        })?)
    };
    let nix =
        verify::find_nix(settings(&args), interrupt).map_err(|e| with_empty_hosts(e.into()))?;
    let flake = flake_dir.display().to_string();

    // Which hosts: --hosts, --all-hosts, else the change's affected hosts, else all.
    let choice = HostChoice {
        hosts: &args.hosts,
        all_hosts: args.all_hosts,
        change: change.as_ref(),
        base: args.base.as_deref(),
    };
    let selected = select::hosts_to_check(&flake_dir, &choice);
    if let Selected::Unknown(e) = &selected {
        ctx.warn(&format!("impact unknown ({e}); checking every host"));
    }
    let model = model_hosts(&flake_dir);
    // Names given by hand are checked before anything runs: against the
    // static model under --dry-run, else against what Nix lists.
    if args.dry_run && !args.hosts.is_empty() {
        match &model {
            Some(m) => check_names(&args.hosts, m, "the flake")?,
            None => ctx.warn(
                "cannot check the --hosts names: the static analysis cannot name every host of this flake (run without --dry-run to ask Nix)",
            ),
        }
    }
    let chosen = selected.hosts();
    let known = if args.dry_run && chosen.is_some() {
        None
    } else {
        match nix.list_all_hosts(&flake) {
            Ok(k) => Some(k),
            Err(e) => {
                return Err(with_empty_hosts(
                    Failure::usage(format!("cannot list the hosts of the flake {flake}:\n{e}"))
                        .caused_by(e),
                ));
            }
        }
    };
    if let Some(k) = &known
        && !args.hosts.is_empty()
    {
        check_names(&args.hosts, k, "the flake")?;
    }
    let hosts: Vec<String> = chosen
        .or_else(|| {
            known
                .as_ref()
                .map(|k| k.iter().map(|(n, _)| n.clone()).collect())
        })
        .unwrap_or_default();
    let kinds: std::collections::BTreeMap<String, HostKind> = known
        .iter()
        .chain(model.iter())
        .flatten()
        .rev()
        .cloned()
        .collect();

    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let diff_wanted = !args.no_diff;
    let mut run = RunOptions {
        jobs,
        eval_only: args.eval_only,
        keep_going: args.keep_going,
        timeout: args.timeout.map(Duration::from_secs),
        log_dir: dest.dir.clone(),
        gc_root_dir: dest.gc_roots.clone(),
        closure_sizes: !args.eval_only,
        display_base: Some(dest.display_base.clone()),
        chunk_size: args.chunk_size.map(usize::from),
        kinds,
        facts: false,
    };

    if args.dry_run {
        // The evaluator also reports the security facts when a base is compared.
        run.facts =
            diff_wanted && diff_request(&args, change.as_ref(), &flake_dir, false)?.is_some();
        return print_plan(ctx, &nix, &flake, &hosts, &selected, &run, &dest);
    }
    if args.plan {
        let diff = if diff_wanted {
            diff_request(&args, change.as_ref(), &flake_dir, false)?
        } else {
            None
        };
        let listing = known.clone().ok_or(NixError::Missing);
        return print_build_plan(
            ctx,
            format,
            &nix,
            &flake,
            &listing,
            &hosts,
            &selected,
            diff.as_ref(),
        );
    }

    let monitor = Monitor::new(ctx.progress && format == Format::Text, ctx.quiet);
    let sink: &dyn verify::Sink = if format == Format::Jsonl {
        &verify::JsonLines
    } else {
        &monitor
    };
    let diff = if diff_wanted {
        diff_request(&args, change.as_ref(), &flake_dir, !args.eval_only)?
    } else {
        None
    };
    if args.max_closure_growth.is_some() && (diff.is_none() || args.eval_only) {
        return Err(Failure::usage(
            "--max-closure-growth needs a base revision to compare with (--base, or a change id) and builds (not --eval-only)",
        ));
    }
    // The head's security facts come from the evaluator of the drvPaths.
    run.facts = diff.is_some();
    let req = CheckRequest {
        diff,
        max_closure_growth: args.max_closure_growth,
        change: dest.change.clone(),
        flake,
        hosts,
        known,
        run,
        report_path: dest.report.clone(),
        junit: args.junit.clone(),
    };
    let report =
        verify::check_owning_children(&nix, &req, sink).map_err(|e| with_empty_hosts(e.into()))?;
    if let Some(c) = change.as_ref() {
        record(ctx, c, &report);
        let picked = !args.hosts.is_empty();
        crate::workflow::lifecycle::after_check(
            c,
            &flake_dir,
            args.base.as_deref(),
            picked,
            &report,
        );
    }
    match format {
        Format::Json => ctx.print_json(&report),
        Format::Text => print!("{}", crate::report::check::summary(&report, ctx.quiet)),
        Format::Markdown => print!("{}", verify::markdown::render(&report)),
        Format::Jsonl => {
            for h in report
                .hosts
                .iter()
                .filter(|h| h.security.is_some() || h.closure.is_some())
            {
                verify::JsonLines::emit(&json!({
                    "event": "compared", "host": h.name, "security": h.security, "closure": h.closure,
                }));
            }
            verify::JsonLines::emit(&json!({
                "event": "summary", "ok": report.ok(), "summary": report.summary,
                "diff": report.diff, "categories": report.categories,
                "closure_violations": report.closure_violations, "report": report.report,
            }));
        }
    }
    Ok(match unsuccessful(&report) {
        Some(why) => ctx.refuse(&why),
        None => Exit::Ok,
    })
}

/// The base side of the comparison: `--base`, else the change's recorded
/// base, else (with a change) the merge-base with the default branch. Nix
/// reads that commit from git (`git+file://…?rev=…`); no worktree is touched.
fn diff_request(
    a: &Args,
    change: Option<&Change>,
    flake_dir: &Path,
    closure: bool,
) -> Result<Option<verify::DiffRequest>, Failure> {
    let wanted = match (&a.base, change) {
        (Some(b), _) => Some(b.clone()),
        (None, Some(c)) => c
            .base_revision()
            .or_else(|| crate::git::default_base(flake_dir).ok()),
        (None, None) => None,
    };
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let rev = crate::git::rev_parse(flake_dir, &wanted).map_err(|e| {
        Failure::usage(format!("cannot resolve the base revision {wanted:?}: {e}")).caused_by(e)
    })?;
    let base_flake = super::hosts::flake_at(flake_dir, &rev)?;
    Ok(Some(verify::DiffRequest {
        base_rev: rev,
        base_flake,
        closure,
        jobs: a.jobs.map_or_else(
            || std::thread::available_parallelism().map_or(1, |n| n.get()),
            usize::from,
        ),
    }))
}

/// Record the run in the change's tracking file (when it has one): the
/// verification counts, and `security-model` among its `categories` when a
/// host's security was loosened, so the review gate asks for a security review.
fn record(ctx: &Ctx, change: &Change, r: &CheckReport) {
    let Ok(Some(mut t)) = change.tracking() else {
        return;
    };
    t.verification = Some(crate::workflow::tracking::Verification {
        at: r.started_at.clone(),
        total: r.summary.total,
        succeeded: r.summary.succeeded,
        failed: r.summary.failed,
    });
    if r.categories.iter().any(|c| c == "security-model") {
        let mut cats: Vec<serde_json::Value> = t
            .other
            .get("categories")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        if !cats.iter().any(|c| c == "security-model") {
            cats.push(json!("security-model"));
        }
        t.other.insert("categories".into(), json!(cats));
    }
    if let Err(e) = change.save_tracking(&t) {
        ctx.warn(&format!(
            "cannot record the verification in the change: {e}"
        ));
    }
}

/// Why the check ends with exit 1: an interruption, or the hosts that did not succeed.
fn unsuccessful(r: &CheckReport) -> Option<String> {
    if r.interrupted {
        return Some("interrupted; the report is partial".into());
    }
    let bad: Vec<String> = r
        .hosts
        .iter()
        .filter(|h| !h.status.succeeded() && h.status != verify::HostStatus::Skipped)
        .map(|h| format!("{} ({})", h.name, h.status.as_str()))
        .collect();
    let mut why = Vec::new();
    if !bad.is_empty() {
        why.push(format!(
            "{} of {} host(s) did not succeed: {}",
            bad.len(),
            r.hosts.len(),
            super::some_of(bad.iter().map(String::as_str))
        ));
    }
    why.extend(r.closure_violations.iter().cloned());
    (!why.is_empty()).then(|| why.join("\n"))
}

fn print_plan(
    ctx: &Ctx,
    nix: &Nix,
    flake: &str,
    hosts: &[String],
    selected: &Selected,
    run: &RunOptions,
    dest: &Destination,
) -> CmdResult {
    let mut planned = verify::plan(nix, flake, hosts, run);
    for p in &mut planned {
        p.why = Some(selected.why(&p.name));
    }
    let nix_config = nix.settings.nix_config(None);
    if ctx.json {
        ctx.print_json(&json!({
            "dry_run": true,
            "change": dest.change,
            "flake": flake,
            "nix": verify::report::NixInfo::from(&nix.version),
            "jobs": run.jobs,
            "env": {"NIX_CONFIG": nix_config},
            "hosts": planned,
            "report": dest.change.as_ref().map(|_| dest.report.display().to_string()),
        }));
        return Ok(Exit::Ok);
    }
    println!(
        "plan: {} host(s), {} parallel evaluation(s), {}; nothing was run",
        hosts.len(),
        run.jobs,
        nix.version
    );
    println!("each command runs with NIX_CONFIG += {nix_config:?}");
    for p in &planned {
        println!(
            "{} ({}; {})",
            style(&p.name).bold(),
            p.kind.as_str(),
            p.why.as_deref().unwrap_or("")
        );
        for c in &p.commands {
            println!("  {c}");
        }
    }
    if dest.change.is_some() {
        println!("report: {}", dest.report.display());
    }
    Ok(Exit::Ok)
}

/// `--plan`: what a check would build and fetch per host, and the diffs; builds nothing.
#[allow(clippy::too_many_arguments)]
fn print_build_plan(
    ctx: &Ctx,
    format: Format,
    nix: &Nix,
    flake: &str,
    listing: &Result<HostList, NixError>,
    hosts: &[String],
    selected: &Selected,
    diff: Option<&verify::DiffRequest>,
) -> CmdResult {
    let (mut plans, summary) = verify::diff::plan(nix, flake, listing, diff, hosts);
    for p in &mut plans {
        p.why = Some(selected.why(&p.name));
    }
    let failed: Vec<&str> = plans
        .iter()
        .filter(|p| p.error.is_some())
        .map(|p| p.name.as_str())
        .collect();
    let categories = if summary.as_ref().is_some_and(|s| s.security_model) {
        vec!["security-model"]
    } else {
        vec![]
    };
    let doc = || {
        json!({
            "plan": true,
            "flake": flake,
            "nix": verify::report::NixInfo::from(&nix.version),
            "base": summary.as_ref().map(|s| s.base.clone()),
            "hosts": plans,
            "diff": summary,
            "categories": categories,
        })
    };
    if format == Format::Json {
        ctx.print_json(&doc());
    } else if format == Format::Markdown {
        print!(
            "{}",
            verify::markdown::render_plan(&plans, summary.as_ref())
        );
    } else if format == Format::Jsonl {
        for p in &plans {
            verify::JsonLines::emit(&json!({"event": "planned", "host": p.name, "plan": p}));
        }
        verify::JsonLines::emit(&json!({
            "event": "summary", "plan": true, "ok": failed.is_empty(),
            "base": summary.as_ref().map(|s| s.base.clone()), "diff": summary,
            "categories": categories,
        }));
    } else {
        if let Some(s) = summary.as_ref().filter(|s| s.security_model) {
            println!(
                "{} {} loosening(s) since {}; the change is security-model (security review required)",
                style("SECURITY").red().bold(),
                s.loosened.len(),
                s.base
            );
            for l in &s.loosened {
                println!(
                    "  {}: {} ({})",
                    style(&l.host).bold(),
                    l.finding.message,
                    l.finding.attribute
                );
            }
        }
        println!(
            "plan: {} host(s){}; nothing was built",
            hosts.len(),
            summary
                .as_ref()
                .map_or(String::new(), |s| format!(", compared with {}", s.base))
        );
        for p in &plans {
            println!(
                "{} ({}; {})",
                style(&p.name).bold(),
                p.kind.as_str(),
                p.why.as_deref().unwrap_or("")
            );
            if let Some(e) = &p.error {
                for line in e.lines() {
                    println!("    {line}");
                }
                continue;
            }
            if let Some(why) = &p.reason {
                println!("  skipped by a check: {why}");
            }
            println!(
                "  {} derivation(s) to build, {} path(s) to fetch{}",
                p.will_build.len(),
                p.will_fetch.len(),
                p.fetch_size
                    .as_deref()
                    .map_or(String::new(), |f| format!(" ({f})"))
            );
            for d in &p.will_build {
                println!("    build {d}");
            }
            for d in &p.will_fetch {
                println!("    fetch {d}");
            }
            if let Some(changed) = p.changed {
                println!(
                    "  toplevel {} the base; derivations: +{} -{}",
                    if changed {
                        "differs from"
                    } else {
                        "is the same as"
                    },
                    p.derivations_added.len(),
                    p.derivations_removed.len()
                );
            }
            if let Some(pk) = &p.packages {
                for x in &pk.added {
                    println!("    + {} {}", x.name, x.head.join(", "));
                }
                for x in &pk.removed {
                    println!("    - {} {}", x.name, x.base.join(", "));
                }
                for x in &pk.changed {
                    println!(
                        "    ~ {} {} -> {}",
                        x.name,
                        x.base.join(", "),
                        x.head.join(", ")
                    );
                }
            }
            if let Some(sec) = &p.security {
                for c in &sec.changes {
                    println!(
                        "  security: {} {} ({})",
                        c.judgement.as_str(),
                        c.message,
                        c.attribute
                    );
                }
            }
        }
    }
    Ok(if failed.is_empty() {
        Exit::Ok
    } else {
        ctx.refuse(&format!(
            "{} host(s) cannot be planned: {}",
            failed.len(),
            super::some_of(failed.iter().copied())
        ))
    })
}
