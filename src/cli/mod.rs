//! Command line: one file per command. Each reads its flags, calls the domain
//! and prints; this file holds the global flags, the dispatch, and what
//! several commands share (the repository, the flake model). `error` maps
//! outcomes to exit codes (0 ok, 1 invalid/refused/failed, 2 usage/environment).
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod error;
pub mod output;

mod archive;
mod code_impl;
mod compat;
mod completions;
mod emergency;
mod graph;
mod hosts;
mod impact;
mod init;
mod instructions;
mod list;
mod man;
mod new;
mod nixos_check;
mod review;
mod schemas;
mod show;
mod status;
mod validate;
mod view;

pub use error::{Exit, Failure};
pub use output::Ctx;

/// The result of one command: the exit status after it printed its report,
/// or a failure that `main` prints (as one JSON document under `--json`).
pub type CmdResult = Result<Exit, Failure>;

#[derive(Parser, Debug)]
#[command(
    name = "openspec",
    version,
    about = "OpenSpec change proposals, static impact analysis and parallel host verification for NixOS flakes",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every command takes.
#[derive(clap::Args, Debug)]
pub struct Globals {
    /// Repository root (default: nearest ancestor holding openspec/ or flake.nix)
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Flake directory (default: the root)
    #[arg(long, global = true, value_name = "DIR")]
    pub flake: Option<PathBuf>,
    /// Print exactly one JSON document on stdout, also on failure
    #[arg(long, global = true)]
    pub json: bool,
    /// Never colour the output
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print less
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more (repeat for more)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create openspec/ (specs/, changes/archive/, config.yaml, project.md)
    Init(init::Args),
    /// A new change proposal from the template for its kind
    #[command(alias = "spec-gen")]
    New(new::Args),
    /// Changes with task progress, or specs with requirement counts
    List(list::Args),
    /// One change or spec
    Show(show::Args),
    /// Dashboard of changes, progress and specs
    View(view::Args),
    /// Check changes and specs against the OpenSpec rules and the kind's sections
    Validate(validate::Args),
    /// Merge a change's deltas into the specs and move it to the archive
    #[command(alias = "openspec-archive")]
    Archive(archive::Args),
    /// Evaluate and build the affected (or chosen) hosts in parallel
    #[command(name = "nixos-check", alias = "check")]
    NixosCheck(nixos_check::Args),
    /// State, reviews, tasks, impact and next step of a change (OpenSpec's `status --change` keys included)
    Status(status::Args),
    /// Record a review of a change by a role
    Review(review::Args),
    /// Start implementing an approved change: record the base revision, list the tasks
    #[command(name = "code-impl", alias = "apply")]
    CodeImpl(code_impl::Args),
    /// A retroactive proposal for a fix already made (security incident or outage)
    Emergency(emergency::Args),
    /// Every host with its dependency set
    Hosts(hosts::Args),
    /// The host/module graph
    Graph(graph::Args),
    /// Affected hosts and modules of a change, with reasons
    Impact(impact::Args),
    /// Shell completion script on stdout
    Completions(completions::Args),
    /// Man page (roff) on stdout
    Man(man::Args),
    /// OpenSpec's spec commands: list [--long], show <id> [-r N], validate [id]
    #[command(subcommand)]
    Spec(compat::SpecCmd),
    /// OpenSpec's change commands: list [--long], show <id>, validate [id]
    #[command(subcommand)]
    Change(compat::ChangeCmd),
    /// Refresh the assistant command files `init --tools` wrote (only our marked blocks)
    Update(compat::UpdateArgs),
    /// How to write an artifact of a change (proposal, specs, design, tasks), apply it or archive it
    Instructions(instructions::Args),
    /// The workflow schema (spec-driven) and its artifacts
    Schemas(schemas::SchemasArgs),
    /// Where each artifact's template is
    Templates(schemas::TemplatesArgs),
    /// The OpenSpec root commands act on
    Context(schemas::ContextArgs),
    /// Names for shell completion (used by the scripts of `completions`)
    #[command(name = "__complete", hide = true)]
    Complete(completions::CompleteArgs),
    /// Not supported by this openspec (OpenSpec's store roots)
    #[command(hide = true)]
    Store(compat::Rest),
    /// Not supported by this openspec (OpenSpec's worksets)
    #[command(hide = true)]
    Workset(compat::Rest),
    /// Not supported by this openspec (OpenSpec's feedback)
    #[command(hide = true)]
    Feedback(compat::Rest),
    /// Not supported by this openspec (OpenSpec's global configuration)
    #[command(hide = true)]
    Config(compat::Rest),
}

pub fn main() -> ExitCode {
    // `openspec … | head` must end quietly, like any Unix tool, not panic on EPIPE.
    // SAFETY: restoring the default disposition of one signal at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    crate::timing::start();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let wants_json = argv.iter().any(|a| a == "--json");
    let parsed = match parse_one(&argv) {
        Some(cli) => Ok(cli),
        None => Cli::try_parse_from(&argv),
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            if wants_json {
                let f = Failure::usage(e.to_string().trim().to_string());
                output::print_failure_json(&f);
            } else {
                let _ = e.print();
            }
            return ExitCode::from(2);
        }
    };
    let ctx = Ctx::new(&cli);
    crate::timing::phase("parse arguments");
    // A static analysis runs on the analysis pool from the start: its
    // workers, idle between parallel phases, then wait on the cores the
    // command does not use rather than compete with the main thread.
    let static_analysis = matches!(
        cli.command,
        Command::Impact(_) | Command::Hosts(_) | Command::Graph(_)
    );
    let result = if static_analysis {
        crate::flake::on_analysis_pool(|| run(cli.command, &ctx))
    } else {
        run(cli.command, &ctx)
    };
    crate::timing::phase("command");
    let exit = match result {
        Ok(exit) => exit,
        Err(failure) => {
            if ctx.json {
                output::print_failure_json(&failure);
            } else {
                ctx.error(&failure.message);
            }
            failure.exit
        }
    };
    ExitCode::from(exit as u8)
}

/// Commands whose own run takes milliseconds, so that building clap's tree
/// of every command would be a fair part of it.
const ANALYSING: [&str; 4] = ["impact", "hosts", "graph", "nixos-check"];

/// The command line parsed against a tree holding only the subcommand it
/// names, when that is an analysing command (`None` otherwise, or when
/// anything goes wrong, and the full tree parses it again). Building clap's
/// tree of every command costs about half a millisecond, a fair part of a
/// static `impact`. Help and version go to the full tree, which is what
/// they print.
fn parse_one(argv: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args, FromArgMatches};
    let name = command_name(argv)?;
    if !ANALYSING.contains(&name)
        || argv
            .iter()
            .any(|a| a == "-h" || a == "--help" || a == "-V" || a == "--version")
    {
        return None;
    }
    let sub = match name {
        "impact" => impact::Args::augment_args(clap::Command::new("impact")),
        "hosts" => hosts::Args::augment_args(clap::Command::new("hosts")),
        "graph" => graph::Args::augment_args(clap::Command::new("graph")),
        "nixos-check" => nixos_check::Args::augment_args(clap::Command::new("nixos-check")),
        _ => return None,
    };
    let top = Globals::augment_args(clap::Command::new("openspec")).subcommand(sub);
    let matches = top.try_get_matches_from(argv).ok()?;
    Some(Cli {
        globals: Globals::from_arg_matches(&matches).ok()?,
        command: Command::from_arg_matches(&matches).ok()?,
    })
}

/// The subcommand a command line names: its first word that is neither a
/// global flag nor the value of one.
fn command_name(argv: &[std::ffi::OsString]) -> Option<&str> {
    let mut words = argv.iter().skip(1);
    while let Some(w) = words.next() {
        let w = w.to_str()?;
        match w {
            "--root" | "--flake" => {
                words.next();
            }
            "--json" | "--no-color" | "-q" | "--quiet" | "-v" | "--verbose" => {}
            _ if w.starts_with("--root=") || w.starts_with("--flake=") => {}
            _ if w.starts_with('-') => return None,
            _ => return Some(w),
        }
    }
    None
}

fn run(command: Command, ctx: &Ctx) -> CmdResult {
    match command {
        Command::Init(a) => init::run(a, ctx),
        Command::New(a) => new::run(a, ctx),
        Command::List(a) => list::run(a, ctx),
        Command::Show(a) => show::run(a, ctx),
        Command::View(a) => view::run(a, ctx),
        Command::Validate(a) => validate::run(a, ctx),
        Command::Archive(a) => archive::run(a, ctx),
        Command::NixosCheck(a) => nixos_check::run(a, ctx),
        Command::Status(a) => status::run(a, ctx),
        Command::Review(a) => review::run(a, ctx),
        Command::CodeImpl(a) => code_impl::run(a, ctx),
        Command::Emergency(a) => emergency::run(a, ctx),
        Command::Hosts(a) => hosts::run(a, ctx),
        Command::Graph(a) => graph::run(a, ctx),
        Command::Impact(a) => impact::run(a, ctx),
        Command::Completions(a) => completions::run(a, ctx),
        Command::Man(a) => man::run(a, ctx),
        Command::Spec(c) => compat::run_spec(c, ctx),
        Command::Change(c) => compat::run_change(c, ctx),
        Command::Update(a) => compat::run_update(a, ctx),
        Command::Instructions(a) => instructions::run(a, ctx),
        Command::Schemas(a) => schemas::run_schemas(a, ctx),
        Command::Templates(a) => schemas::run_templates(a, ctx),
        Command::Context(a) => schemas::run_context(a, ctx),
        Command::Complete(a) => completions::run_complete(a, ctx),
        Command::Store(a) => compat::not_supported("store", a, ctx),
        Command::Workset(a) => compat::not_supported("workset", a, ctx),
        Command::Feedback(a) => compat::not_supported("feedback", a, ctx),
        Command::Config(a) => compat::not_supported("config", a, ctx),
    }
}

/// `root` of OpenSpec's JSON documents: the repository root and how it was
/// found (`flag` for `--root`, `nearest` for the nearest ancestor).
pub(crate) fn root_json(ctx: &Ctx) -> serde_json::Value {
    let path = ctx
        .root()
        .map(|r| r.display().to_string())
        .unwrap_or_default();
    let source = if ctx.root_flag.is_some() {
        "flag"
    } else {
        "nearest"
    };
    serde_json::json!({"path": path, "source": source})
}

/// The nearest ancestor of `start` (itself included) that holds `openspec/` or `flake.nix`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| d.join("openspec").is_dir() || d.join("flake.nix").is_file())
        .map(Path::to_path_buf)
}

/// The repository's `openspec/`, or an environment failure (exit 2); warns
/// when an interrupted archive is pending.
pub(crate) fn open_repo(ctx: &Ctx) -> Result<crate::spec::Repo, Failure> {
    use crate::spec::archive;
    let root = ctx.root()?;
    let repo = crate::spec::Repo::open(&root)?;
    if archive::pending(&repo) {
        ctx.warn(&format!(
            "an interrupted archive left openspec/{}; run `openspec archive --recover`",
            archive::JOURNAL
        ));
    }
    Ok(repo)
}

/// The static model of the flake at `--flake` (default: the root). It lives
/// until the process exits: freeing the syntax trees of a large flake one
/// by one costs about 100 ms (10,000 files) and buys nothing.
pub(crate) fn load_model(ctx: &Ctx) -> Result<&'static crate::flake::FlakeModel, Failure> {
    let dir = ctx.flake_dir()?;
    let model = crate::flake::load(&dir)?;
    Ok(Box::leak(Box::new(model)))
}

/// `load_model` for a question about hosts: only the files hosts reach are
/// parsed (`flake::load_lazy`).
pub(crate) fn load_model_lazy(ctx: &Ctx) -> Result<&'static crate::flake::FlakeModel, Failure> {
    let dir = ctx.flake_dir()?;
    let model = crate::flake::load_lazy(&dir)?;
    Ok(Box::leak(Box::new(model)))
}

/// Warn about files hosts depend on that git does not track: Nix copies a
/// flake in a git repository without them.
pub(crate) fn warn_untracked(ctx: &Ctx, flake_dir: &Path, model: &crate::flake::FlakeModel) {
    for (file, hosts) in crate::impact::untracked_dependencies(flake_dir, model) {
        ctx.warn(&format!(
            "{file} is not tracked by git, so Nix will not see it, yet {} depend{} on it; run `git add {file}`",
            some_of(hosts.iter().map(String::as_str)),
            if hosts.len() == 1 { "s" } else { "" }
        ));
    }
}

/// Why a report of `model` ends with exit 1: hosts that cannot all be
/// named, or the files with error diagnostics (reached files that do not
/// parse); `None` when there are none.
pub(crate) fn model_errors(model: &crate::flake::FlakeModel) -> Option<String> {
    if let Some(d) = model.unnamed_hosts() {
        return Some(format!("{}:{}: {}", d.file, d.line, d.message));
    }
    let files: std::collections::BTreeSet<String> = model
        .diagnostics
        .iter()
        .filter(|d| d.level == crate::flake::Level::Error)
        .map(|d| d.file.to_string())
        .collect();
    (!files.is_empty()).then(|| {
        format!(
            "{} reached file(s) have errors: {}; fix them (every host reaching them is assumed affected)",
            files.len(),
            some_of(files.iter().map(String::as_str))
        )
    })
}

/// The first few names, comma-separated, and how many more there are.
pub(crate) fn some_of<'a>(mut names: impl Iterator<Item = &'a str>) -> String {
    const SHOWN: usize = 5;
    let mut out: Vec<&str> = names.by_ref().take(SHOWN).collect();
    let more = names.count();
    let more = (more > 0).then(|| format!("and {more} more"));
    if let Some(m) = &more {
        out.push(m);
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<std::ffi::OsString> {
        std::iter::once("openspec")
            .chain(line.split_whitespace())
            .map(Into::into)
            .collect()
    }

    /// The tree with one subcommand reads every command line it takes as the
    /// full tree does (globals before or after the subcommand, values,
    /// repeated flags), and leaves the rest to the full tree.
    #[test]
    fn one_subcommand_parses_as_the_full_tree() {
        let taken = [
            "impact --files a.nix b.nix",
            "impact --base main --head HEAD --json",
            "--root /r --flake=/f impact add-x --precise -q",
            "--json hosts -v -v",
            "hosts --root /r --no-color",
            "graph --host web --format dot",
            "nixos-check --hosts a,b --dry-run --json",
        ];
        for line in taken {
            let one = parse_one(&argv(line)).unwrap_or_else(|| panic!("not taken: {line}"));
            let full = Cli::try_parse_from(argv(line)).expect(line);
            assert_eq!(format!("{one:?}"), format!("{full:?}"), "{line}");
        }
        let left = [
            "impact --help",
            "hosts -V",
            "list --json",
            "-vv impact --files a.nix",
            "impact --no-such-flag",
            "--root",
        ];
        for line in left {
            assert!(parse_one(&argv(line)).is_none(), "taken: {line}");
        }
    }
}
