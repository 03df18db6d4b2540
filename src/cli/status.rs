//! `openspec status [<id>]` (also OpenSpec's `status --change <id>` and
//! `status --all`): OpenSpec's artifact status plus the change's lifecycle.
use serde_json::{Value, json};

use super::{CmdResult, Ctx, Exit, Failure, open_repo, root_json};
use crate::workflow::Change;
use crate::workflow::status::{change_impact, lifecycle_status, openspec_status};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id
    #[arg(conflicts_with = "change")]
    pub id: Option<String>,
    /// Change id (OpenSpec's form)
    #[arg(long, value_name = "ID")]
    pub change: Option<String>,
    /// Every active change (without the impact, which is per change)
    #[arg(long, conflicts_with_all = ["id", "change"])]
    pub all: bool,
    /// Accepted for OpenSpec compatibility (the schema is read from the change)
    #[arg(long, hide = true, value_name = "NAME")]
    pub schema: Option<String>,
}

/// OpenSpec's `{"status": [{severity, code, message}]}` failure, exit 1.
fn change_error(message: String) -> Failure {
    Failure::refused(message.clone()).with_json(
        json!({"status": [{"severity": "error", "code": "change_error", "message": message}]}),
    )
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let repo = open_repo(ctx)?;
    let ids = repo.change_ids(false)?;
    let available = || ids.iter().map(|i| format!("\n  {i}")).collect::<String>();
    let id = args.id.clone().or(args.change.clone());
    if args.all || (id.is_none() && ids.is_empty()) {
        if ids.is_empty() {
            if ctx.json {
                ctx.print_json(&json!({"changes": [], "message": "No active changes.", "root": root_json(ctx)}));
            } else {
                println!("No active changes. Create one with: openspec new change <name>");
            }
            return Ok(Exit::Ok);
        }
        let docs: Vec<Value> = ids
            .iter()
            .map(|i| document(ctx, &repo.root, i, false))
            .collect::<Result<_, _>>()?;
        if ctx.json {
            ctx.print_json(&json!({"changes": docs, "root": root_json(ctx)}));
        } else {
            for (i, d) in docs.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print_text(d);
            }
        }
        return Ok(Exit::Ok);
    }
    let Some(id) = id else {
        return Err(change_error(format!(
            "Missing required option --change (or --all for every active change). Available changes:{}",
            available()
        )));
    };
    if !ids.contains(&id) {
        return Err(change_error(format!(
            "Change '{id}' not found. Available changes:{}",
            available()
        )));
    }
    let doc = document(ctx, &repo.root, &id, true)?;
    if ctx.json {
        ctx.print_json(&doc);
    } else {
        print_text(&doc);
    }
    Ok(Exit::Ok)
}

/// One change's document: OpenSpec's keys, the lifecycle's, then `root`.
fn document(
    ctx: &Ctx,
    root: &std::path::Path,
    id: &str,
    with_impact: bool,
) -> Result<Value, Failure> {
    let change = Change::at(root, id);
    let tracking = change.tracking()?;
    let mut m = openspec_status(root, id, &change.dir);
    let impact = match (&tracking, with_impact) {
        (Some(_), true) => Some(
            ctx.flake_dir()
                .map_err(|f| f.message)
                .and_then(|dir| change_impact(&dir, &change).map_err(|e| e.to_string())),
        ),
        _ => None,
    };
    m.extend(lifecycle_status(
        &change,
        tracking.as_ref(),
        impact.as_ref(),
    ));
    m.insert("root".into(), root_json(ctx));
    Ok(Value::Object(m))
}

fn print_text(d: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    println!("Change: {}", s(&d["changeName"]));
    println!("Schema: {}", s(&d["schemaName"]));
    println!("Change root: {}", s(&d["changeRoot"]));
    let arts = d["artifacts"].as_array().cloned().unwrap_or_default();
    let done = arts.iter().filter(|a| a["status"] == "done").count();
    println!("Progress: {done}/{} artifacts complete", arts.len());
    println!();
    for a in &arts {
        let id = s(&a["id"]);
        match a["status"].as_str() {
            Some("done") => println!("[x] {id}"),
            Some("ready") => println!("[ ] {id}"),
            _ => println!(
                "[-] {id} (blocked by: {})",
                a["missingDeps"]
                    .as_array()
                    .map(|m| m.iter().map(s).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default()
            ),
        }
    }
    println!();
    if d["tracked"] != true {
        // OpenSpec 1.13.2's wording: the command alone, not the JSON's sentence.
        let id = s(&d["changeName"]);
        match arts.iter().find(|a| a["status"] == "ready") {
            _ if done == arts.len() => {
                println!("All planning artifacts complete!");
                println!("Next: openspec instructions apply --change \"{id}\" --json");
            }
            Some(a) => println!(
                "Next: openspec instructions {} --change \"{id}\" --json",
                s(&a["id"])
            ),
            None => {}
        }
        return;
    }
    println!("State: {}", s(&d["state"]));
    let reviews = &d["reviews"];
    for r in reviews["required"].as_array().into_iter().flatten() {
        println!(
            "Review {}: {} ({})",
            s(&r["role"]),
            if r["satisfied"] == true {
                "approved"
            } else {
                "needed"
            },
            s(&r["reason"])
        );
    }
    for g in reviews["given"].as_array().into_iter().flatten() {
        if g["superseded"] == true {
            continue;
        }
        println!(
            "  {} {} by {} at {}{}",
            s(&g["role"]),
            s(&g["verdict"]),
            s(&g["by"]),
            s(&g["at"]),
            if g["stale"] == true {
                " (stale: the proposal changed since)"
            } else {
                ""
            }
        );
    }
    println!("Tasks: {}/{}", d["tasks"]["completed"], d["tasks"]["total"]);
    let imp = &d["impact"];
    if let Some(note) = imp["note"].as_str().filter(|_| imp["declared"].is_null()) {
        println!("Impact: unknown ({note})");
    } else if !imp.is_null() {
        let list = |v: &Value| {
            v.as_array()
                .map(|a| a.iter().map(s).collect::<Vec<_>>().join(", "))
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| "none".into())
        };
        println!("Declared hosts: {}", list(&imp["declared"]["hosts"]));
        match imp["computed"].is_null() {
            true => println!(
                "Computed hosts: not yet (no base revision: `openspec code-impl` records it)"
            ),
            false => println!("Computed hosts: {}", list(&imp["computed"]["hosts"])),
        }
        println!("Categories: {}", list(&imp["categories"]));
    }
    let v = &d["verification"];
    if !v.is_null() {
        println!(
            "Last verification: {} ({} of {} host(s) succeeded)",
            s(&v["at"]),
            v["succeeded"],
            v["total"]
        );
    }
    println!("Next: {}", s(&d["next_step"]));
}
