//! OpenSpec's noun-first commands (`spec list|show|validate`, `change
//! list|show|validate`), `update`, and the OpenSpec commands this openspec
//! does not carry (`store`, `workset`, `feedback`, `config`), so that command
//! lines written for the OpenSpec CLI run unchanged.
use std::path::PathBuf;

use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure, open_repo, show, validate};
use crate::workflow::check::ItemType;

/// `openspec spec …`
#[derive(clap::Subcommand, Debug)]
pub enum SpecCmd {
    /// Spec ids (`--long`: titles and requirement counts)
    List(ListArgs),
    /// One spec
    Show(show::Args),
    /// Validate one spec, or every spec
    Validate(validate::Args),
}

/// `openspec change …`
#[derive(clap::Subcommand, Debug)]
pub enum ChangeCmd {
    /// Change ids (`--long`: titles, delta and task counts)
    List(ListArgs),
    /// One change
    Show(show::Args),
    /// Validate one change, or every change
    Validate(validate::Args),
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Titles and counts
    #[arg(long)]
    pub long: bool,
}

/// `show::Args` with the noun's type fixed.
fn show_args(mut a: show::Args, t: ItemType) -> show::Args {
    a.item_type = Some(t);
    a.no_interactive = true;
    a
}

pub fn run_spec(cmd: SpecCmd, ctx: &Ctx) -> CmdResult {
    match cmd {
        SpecCmd::List(a) => spec_list(a, ctx),
        SpecCmd::Show(a) => show::run(show_args(a, ItemType::Spec), ctx),
        SpecCmd::Validate(mut a) => {
            if a.item.is_none() {
                a.specs = true;
            } else {
                a.item_type = Some(ItemType::Spec);
                a.noun_form = true;
            }
            validate::run(a, ctx)
        }
    }
}

pub fn run_change(cmd: ChangeCmd, ctx: &Ctx) -> CmdResult {
    match cmd {
        ChangeCmd::List(a) => change_list(a, ctx),
        ChangeCmd::Show(a) => show::run(show_args(a, ItemType::Change), ctx),
        ChangeCmd::Validate(mut a) => {
            if a.item.is_none() {
                a.changes = true;
            } else {
                a.item_type = Some(ItemType::Change);
                a.noun_form = true;
            }
            validate::run(a, ctx)
        }
    }
}

/// `spec list`: ids; `--json` an array of `{id, title, requirementCount}`
/// (OpenSpec's shape for this command).
fn spec_list(a: ListArgs, ctx: &Ctx) -> CmdResult {
    let repo = open_repo(ctx)?;
    let ids = repo.spec_ids()?;
    let rows: Vec<(String, String, usize)> = ids
        .iter()
        .map(|id| {
            let s = repo.load_spec(id).spec;
            let title = s.title.clone().unwrap_or_else(|| id.clone());
            (id.clone(), title, s.requirements.len())
        })
        .collect();
    if ctx.json {
        let doc: Vec<_> = rows
            .iter()
            .map(|(id, t, n)| json!({"id": id, "title": t, "requirementCount": n}))
            .collect();
        ctx.print_json(&doc);
    } else {
        for (id, t, n) in &rows {
            if a.long {
                println!("{id}: {t} [requirements {n}]");
            } else {
                println!("{id}");
            }
        }
    }
    Ok(Exit::Ok)
}

/// `change list`: ids; `--json` an array of `{id, title, deltaCount,
/// taskStatus: {total, completed}}` (OpenSpec's shape for this command).
fn change_list(a: ListArgs, ctx: &Ctx) -> CmdResult {
    let repo = open_repo(ctx)?;
    let ids = repo.change_ids(false)?;
    let rows: Vec<(String, String, usize, (usize, usize))> = ids
        .iter()
        .map(|id| {
            let c = repo.load_change(id);
            // 1.13.2 names a proposal it cannot read as a change "Unknown".
            let title = match &c.proposal {
                Some(Ok(p))
                    if p.section("Why").is_none() || p.section("What Changes").is_none() =>
                {
                    "Unknown".into()
                }
                Some(Err(_)) => "Unknown".into(),
                _ => c.title(),
            };
            let deltas = c.deltas.iter().map(|d| d.delta.entry_count()).sum();
            (id.clone(), title, deltas, c.task_counts())
        })
        .collect();
    if ctx.json {
        let doc: Vec<_> = rows
            .iter()
            .map(|(id, t, n, (done, total))| {
                json!({"id": id, "title": t, "deltaCount": n,
                    "taskStatus": {"total": total, "completed": done}})
            })
            .collect();
        ctx.print_json(&doc);
    } else {
        for (id, t, n, (done, total)) in &rows {
            if a.long {
                let tasks = if *total > 0 {
                    format!(" [tasks {done}/{total}]")
                } else {
                    String::new()
                };
                println!("{id}: {t} [deltas {n}]{tasks}");
            } else {
                println!("{id}");
            }
        }
    }
    Ok(Exit::Ok)
}

#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    /// Project directory (default: the root)
    pub path: Option<PathBuf>,
    /// Accepted for OpenSpec compatibility
    #[arg(long, hide = true)]
    pub force: bool,
}

/// `update [path]`: refresh our blocks in the assistant command files of
/// every tool that has one of them (as `init --tools` wrote them); the
/// user's text around the markers is kept. Nothing else is touched.
pub fn run_update(a: UpdateArgs, ctx: &Ctx) -> CmdResult {
    use crate::workflow::assistant;
    let root = match a.path {
        Some(p) => p,
        None => ctx.root()?,
    };
    let repo = crate::spec::Repo::open(&root)?;
    let tools = assistant::installed(&root);
    let planned = assistant::plan(&root, &tools)?;
    assistant::write(&root, &planned)?;
    let changed: Vec<&assistant::Planned> =
        planned.iter().filter(|p| p.action != "unchanged").collect();
    if ctx.json {
        ctx.print_json(&json!({"root": root.display().to_string(),
            "updated": changed.iter().map(|p| &p.path).collect::<Vec<_>>(),
            "files": planned,
            "tools": tools.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            "openspecDir": repo.dir.display().to_string()}));
    } else if tools.is_empty() {
        println!(
            "{}: up to date (no assistant command files; `openspec init --tools claude,opencode` writes them)",
            repo.dir.display()
        );
    } else if changed.is_empty() {
        println!(
            "Assistant command files are up to date ({} files)",
            planned.len()
        );
    } else {
        for p in &changed {
            println!("{} {}", p.action, p.path);
        }
    }
    Ok(Exit::Ok)
}

/// Arguments of a command this openspec does not carry, taken as they come.
#[derive(clap::Args, Debug)]
pub struct Rest {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

/// `store`, `workset`, `feedback`, `config`: exit 2 with a clear message
/// (one JSON document under `--json`, wherever the flag stands).
pub fn not_supported(name: &str, a: Rest, ctx: &Ctx) -> CmdResult {
    let f = Failure::usage(format!(
        "`openspec {name}` is not supported by this openspec (it carries OpenSpec's list, show, validate, archive, new, init, view, spec, change and update); see `openspec --help`"
    ))
    .with_json(json!({"status": [{"severity": "error", "code": "not_supported",
        "message": format!("`openspec {name}` is not supported by this openspec")}]}));
    if !ctx.json && a.rest.iter().any(|x| x == "--json") {
        super::output::print_failure_json(&f);
        return Ok(Exit::Usage);
    }
    Err(f)
}
