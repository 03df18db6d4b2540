//! `openspec archive` (alias `openspec-archive`)
use std::io::{BufRead, IsTerminal, Write};

use serde_json::{Value, json};

use super::{CmdResult, Ctx, Exit, Failure};
use crate::spec::archive::{self, PlanOptions};
use crate::spec::validate::Level;
use crate::spec::{Repo, SpecError, check_item_name};
use crate::workflow::Change;
use crate::workflow::tracking::State;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id
    #[arg(required_unless_present = "recover")]
    pub id: Option<String>,
    /// Do not ask: archive even with incomplete tasks, and ask no lessons
    #[arg(short, long)]
    pub yes: bool,
    /// Move the change without touching specs
    #[arg(long)]
    pub skip_specs: bool,
    /// Do not validate first
    #[arg(long)]
    pub no_validate: bool,
    /// Lessons-learned entry stored in the archived change (lessons.md)
    #[arg(long, value_name = "TEXT")]
    pub lessons: Option<String>,
    /// Only finish or undo an interrupted archive
    #[arg(long, conflicts_with_all = ["yes", "skip_specs", "no_validate", "lessons"])]
    pub recover: bool,
}

fn status(severity: &str, code: &str, message: &str, fix: Option<&str>) -> Value {
    let mut v = json!({"severity": severity, "code": code, "message": message});
    if let Some(f) = fix {
        v["fix"] = json!(f);
    }
    v
}

/// A failure carrying the archive JSON shape `{"archive": null, "status": [...]}`.
fn fail(
    exit_usage: bool,
    code: &str,
    message: String,
    fix: Option<&str>,
    extra: Vec<Value>,
) -> Failure {
    let mut st = vec![status("error", code, &message, fix)];
    st.extend(extra);
    let f = if exit_usage {
        Failure::usage(message)
    } else {
        Failure::refused(message)
    };
    f.with_json(json!({"archive": null, "status": st}))
}

/// An archive error as a failure: the exit as for any spec error, the
/// invalid change's error issues listed, and the archive JSON shape.
fn from_archive_error(e: SpecError) -> Failure {
    let code = e.code();
    let issues: Vec<String> = match &e {
        SpecError::Invalid { issues, .. } => issues
            .iter()
            .filter(|i| i.level == Level::Error)
            .map(|i| {
                let at = i
                    .line
                    .map(|l| format!("{}:{l}", i.path))
                    .unwrap_or(i.path.clone());
                format!("{at}: {}", i.message)
            })
            .collect(),
        _ => vec![],
    };
    let mut f = Failure::from(e);
    for i in &issues {
        f.message.push_str(&format!("\n  {i}"));
    }
    let mut st = vec![status("error", code, &f.message, None)];
    st.extend(
        issues
            .iter()
            .map(|i| status("error", "validation", i, None)),
    );
    f.with_json(json!({"archive": null, "status": st}))
}

/// `lifecycle::check_archive` for a tracked change, as an archive failure.
fn lifecycle_gate(
    ctx: &Ctx,
    change: &Change,
    t: &crate::workflow::Tracking,
) -> Result<(), Failure> {
    use crate::workflow::lifecycle::{self, Facts};
    let flake_dir = ctx.flake_dir()?;
    let (categories, _, why) = crate::workflow::status::gate_categories(&flake_dir, change);
    if let Some(why) = why {
        ctx.warn(&format!("computed impact unknown ({why})"));
    }
    let hash = lifecycle::content_hash(change).map_err(Failure::from)?;
    lifecycle::check_archive(change, t, &Facts { categories, hash })
        .map_err(|e| fail(false, "lifecycle", e.to_string(), None, vec![]))
}

fn ask(prompt: &str) -> Option<String> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let root = ctx.root().map_err(|f| {
        fail(
            true,
            "environment",
            f.message,
            Some("pass --root DIR"),
            vec![],
        )
    })?;
    let repo = Repo::open(&root).map_err(|e| {
        fail(
            true,
            "environment",
            e.to_string(),
            Some("run `openspec init`"),
            vec![],
        )
    })?;
    let id = match &args.id {
        Some(id) => {
            check_item_name(id)
                .map_err(|e| fail(false, "invalid-id", e.to_string(), None, vec![]))?;
            Some(id.clone())
        }
        None => None,
    };
    let _lock = archive::lock(&repo).map_err(from_archive_error)?;
    let recovered = archive::recover(&repo).map_err(from_archive_error)?;
    if let Some(r) = &recovered {
        ctx.warn(&format!(
            "an interrupted archive of \"{}\" was {}",
            r.change,
            r.action.replace('-', " ")
        ));
    }
    let Some(id) = id else {
        if ctx.json {
            ctx.print_json(&json!({"archive": null, "recovered": recovered, "status": []}));
        } else if recovered.is_none() {
            println!("Nothing to recover");
        }
        return Ok(Exit::Ok);
    };
    let change = Change::at(&repo.root, &id);
    let tracking = change
        .tracking()
        .map_err(|e| fail(false, "tracking", e.to_string(), None, vec![]))?;
    // A change openspec tracks must have gone through its gates; a change
    // another tool made archives as OpenSpec archives it.
    if let Some(t) = &tracking {
        lifecycle_gate(ctx, &change, t)?;
    }
    let opts = PlanOptions {
        skip_specs: args.skip_specs,
        no_validate: args.no_validate,
        kind: tracking.as_ref().map(|t| t.kind),
        date: chrono::Local::now().format("%Y-%m-%d").to_string(),
    };
    let plan = archive::plan(&repo, &id, &opts).map_err(from_archive_error)?;
    let terminal = std::io::stdin().is_terminal();
    if let Some((done, total)) = plan.incomplete_tasks()
        && !args.yes
    {
        let msg = format!("{id} has {} of {total} task(s) not done", total - done);
        if !terminal {
            return Err(fail(
                false,
                "tasks-incomplete",
                format!("{msg}; confirmation needs a terminal"),
                Some("pass --yes to archive anyway"),
                vec![],
            ));
        }
        let answer = ask(&format!("{msg}. Archive anyway? [y/N] ")).unwrap_or_default();
        if !matches!(answer.as_str(), "y" | "Y" | "yes") {
            return Err(fail(
                false,
                "cancelled",
                "archive cancelled; nothing was changed".into(),
                None,
                vec![],
            ));
        }
    }
    let lessons = match &args.lessons {
        Some(l) => Some(l.trim().to_string()),
        None if terminal && !args.yes => ask("Lessons learned (one line, empty to skip): "),
        None => None,
    }
    .filter(|l| !l.is_empty());
    let mut extra = Vec::new();
    if let Some(text) = &lessons {
        let path = change.lessons();
        let mut body = match std::fs::read_to_string(&path) {
            Ok(old) => format!("{}\n\n", old.trim_end()),
            Err(_) => "# Lessons Learned\n\n".to_string(),
        };
        body.push_str(&format!(
            "## {} (archived as {})\n\n{text}\n",
            opts.date, plan.archived_as
        ));
        extra.push((path, body.into_bytes()));
    }
    if let Some(mut t) = tracking {
        let actor = crate::workflow::lifecycle::Actor::new(&repo.root, None);
        t.transition(
            State::Archived,
            &actor.at,
            actor.revision.as_deref(),
            &actor.by,
            None,
            false,
        );
        t.archived = Some(plan.archived_as.clone());
        extra.push((change.tracking_path(), t.to_bytes()));
    }
    let done = archive::execute(&repo, plan, extra).map_err(from_archive_error)?;
    if ctx.json {
        ctx.print_json(&json!({"archive": done, "root": super::root_json(ctx)}));
        return Ok(Exit::Ok);
    }
    for w in &done.warnings {
        ctx.warn(w);
    }
    for u in &done.specs_updated {
        let c = &u.counts;
        let what = if u.created {
            "created"
        } else if u.changed {
            "updated"
        } else {
            "unchanged"
        };
        println!(
            "{} ({what}): + {}, ~ {}, - {}, → {}",
            u.path, c.added, c.modified, c.removed, c.renamed
        );
    }
    let t = &done.totals;
    println!(
        "Totals: + {} added, ~ {} modified, - {} removed, → {} renamed",
        t.added, t.modified, t.removed, t.renamed
    );
    println!("Archived {} as {}", done.change, done.path);
    Ok(Exit::Ok)
}
