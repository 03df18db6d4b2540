//! `openspec list`
use rayon::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::{CmdResult, Ctx, Exit, open_repo};
use crate::spec::Repo;
use crate::workflow::Change;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// List specs instead of changes
    #[arg(long)]
    pub specs: bool,
    /// Sort order
    #[arg(long, default_value = "recent")]
    pub sort: Sort,
}

/// The order of `list`. Variants carry no doc comments on purpose: clap
/// would show them in `--help`, whose text stays a plain list of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sort {
    // Most recently modified first, then by name.
    Recent,
    // By name.
    Name,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ChangeRow {
    pub name: String,
    #[serde(rename = "completedTasks")]
    pub completed_tasks: usize,
    #[serde(rename = "totalTasks")]
    pub total_tasks: usize,
    #[serde(rename = "lastModified")]
    pub last_modified: Option<String>,
    pub status: &'static str,
    /// From tracking.json; null for changes made by other tools.
    pub kind: Option<String>,
    pub state: Option<String>,
    /// Present when the folder is not a change but wraps nested change
    /// folders: their ids (`mobile/refresh`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nested: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct SpecRow {
    pub id: String,
    #[serde(rename = "requirementCount")]
    pub requirement_count: usize,
}

pub(super) fn change_rows(repo: &Repo) -> Result<Vec<ChangeRow>, super::Failure> {
    let ids = repo.change_ids(false)?;
    Ok(ids
        .par_iter()
        .map(|id| {
            let c = repo.load_change(id);
            let (done, total) = c.task_counts();
            let nested = c.nested.clone();
            let tracking = Change::at(&repo.root, id).tracking().ok().flatten();
            ChangeRow {
                name: id.clone(),
                completed_tasks: done,
                total_tasks: total,
                last_modified: c.last_modified().map(|t| {
                    chrono::DateTime::<chrono::Utc>::from(t)
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                }),
                status: if total == 0 {
                    "no-tasks"
                } else if done == total {
                    "complete"
                } else {
                    "in-progress"
                },
                kind: tracking.as_ref().map(|t| t.kind.to_string()),
                state: tracking.as_ref().and_then(|t| {
                    serde_json::to_value(t.state)
                        .ok()?
                        .as_str()
                        .map(str::to_string)
                }),
                nested,
            }
        })
        .collect())
}

pub(super) fn spec_rows(repo: &Repo) -> Result<Vec<SpecRow>, super::Failure> {
    let ids = repo.spec_ids()?;
    Ok(ids
        .par_iter()
        .map(|id| SpecRow {
            id: id.clone(),
            requirement_count: repo.load_spec(id).spec.requirements.len(),
        })
        .collect())
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    // Without a root, 1.13.2's document: an empty list, `root: null` and the
    // `no_openspec_root` status (assistants read `root` to tell).
    let repo = open_repo(ctx).map_err(|f| {
        let key = if args.specs { "specs" } else { "changes" };
        let doc = json!({key: [], "root": null, "status": [{"severity": "error",
            "code": "no_openspec_root", "message": f.message, "target": "openspec.root",
            "fix": "Run `openspec init` here, or pass --root DIR."}]});
        f.with_json(doc)
    })?;
    if args.specs {
        let rows = spec_rows(&repo)?;
        if ctx.json {
            ctx.print_json(&json!({ "specs": rows, "root": super::root_json(ctx) }));
        } else if rows.is_empty() {
            println!("No specs under openspec/specs/");
        } else {
            let w = rows.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in &rows {
                println!("{:w$}  {} requirement(s)", r.id, r.requirement_count);
            }
        }
        return Ok(Exit::Ok);
    }
    let mut rows = change_rows(&repo)?;
    if args.sort == Sort::Recent {
        rows.sort_by(|a, b| {
            b.last_modified
                .cmp(&a.last_modified)
                .then(a.name.cmp(&b.name))
        });
    }
    // A folder wrapping nested changes is listed (as 1.13.2 does), marked,
    // and warned about.
    let warnings: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|r| {
            let nested = r.nested.as_ref()?;
            Some(
                json!({"code": "nested_change_directory", "name": r.name, "nested": nested,
                "message": crate::spec::validate::not_a_change(&r.name, nested)}),
            )
        })
        .collect();
    if ctx.json {
        let mut doc = json!({ "changes": rows, "root": super::root_json(ctx) });
        if !warnings.is_empty() {
            doc["warnings"] = json!(warnings);
        }
        ctx.print_json(&doc);
    } else if rows.is_empty() {
        println!("No active changes under openspec/changes/");
    } else {
        let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
        for r in &rows {
            let progress = match r.status {
                "no-tasks" => "no tasks".to_string(),
                "complete" => format!(
                    "{} ✓ complete",
                    console::style(format!("{}/{}", r.completed_tasks, r.total_tasks)).green()
                ),
                _ => format!("{}/{} tasks", r.completed_tasks, r.total_tasks),
            };
            if r.nested.is_some() {
                println!("{:w$}  not a change", r.name);
                continue;
            }
            let tracked = match (&r.kind, &r.state) {
                (Some(k), Some(s)) => format!("  [{k}, {s}]"),
                _ => String::new(),
            };
            println!("{:w$}  {progress}{tracked}", r.name);
        }
        for w in &warnings {
            ctx.warn(w["message"].as_str().unwrap_or_default());
        }
    }
    Ok(Exit::Ok)
}
