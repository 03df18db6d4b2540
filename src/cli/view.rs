//! `openspec view`
use serde_json::json;

use super::list::{change_rows, spec_rows};
use super::{CmdResult, Ctx, Exit, open_repo};

#[derive(clap::Args, Debug)]
pub struct Args {}

fn bar(done: usize, total: usize) -> String {
    const W: usize = 20;
    let filled = (done * W).checked_div(total).unwrap_or(0);
    format!("[{}{}]", "█".repeat(filled), "░".repeat(W - filled))
}

pub fn run(_args: Args, ctx: &Ctx) -> CmdResult {
    let repo = open_repo(ctx)?;
    let mut changes = change_rows(&repo)?;
    let specs = spec_rows(&repo)?;
    let archived = repo.archived_count();
    let requirements: usize = specs.iter().map(|s| s.requirement_count).sum();
    let done: usize = changes.iter().map(|c| c.completed_tasks).sum();
    let total: usize = changes.iter().map(|c| c.total_tasks).sum();
    let count = |s: &str| changes.iter().filter(|c| c.status == s).count();
    let summary = json!({
        "specs": specs.len(),
        "requirements": requirements,
        "activeChanges": changes.len(),
        "completeChanges": count("complete"),
        "inProgressChanges": count("in-progress"),
        "noTaskChanges": count("no-tasks"),
        "archivedChanges": archived,
        "tasks": {"completed": done, "total": total},
    });
    if ctx.json {
        ctx.print_json(&json!({"summary": summary, "changes": changes, "specs": specs}));
        return Ok(Exit::Ok);
    }
    use console::style;
    let complete = count("complete");
    changes.sort_by(|a, b| {
        let pa = a.completed_tasks as f64 / a.total_tasks.max(1) as f64;
        let pb = b.completed_tasks as f64 / b.total_tasks.max(1) as f64;
        pb.total_cmp(&pa).then(a.name.cmp(&b.name))
    });
    println!("{}", style("OpenSpec dashboard").bold());
    println!(
        "  Specs: {} ({requirements} requirements)   Changes: {} active, {complete} complete, {archived} archived   Tasks: {done}/{total}",
        specs.len(),
        changes.len(),
    );
    if !changes.is_empty() {
        println!("\n{}", style("Active changes").bold());
        let w = changes.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &changes {
            let progress = if c.nested.is_some() {
                "not a change (wraps nested change folders)".to_string()
            } else if c.total_tasks == 0 {
                "no tasks".to_string()
            } else {
                format!(
                    "{} {}/{}",
                    bar(c.completed_tasks, c.total_tasks),
                    c.completed_tasks,
                    c.total_tasks
                )
            };
            let tracked = match (&c.kind, &c.state) {
                (Some(k), Some(s)) => format!("  {k}, {s}"),
                _ => String::new(),
            };
            println!("  {:w$}  {progress}{tracked}", c.name);
        }
    }
    if !specs.is_empty() {
        println!("\n{}", style("Specs").bold());
        let w = specs.iter().map(|s| s.id.len()).max().unwrap_or(0);
        for s in &specs {
            println!("  {:w$}  {} requirement(s)", s.id, s.requirement_count);
        }
    }
    Ok(Exit::Ok)
}
