//! `openspec show`
use serde_json::{Value, json};

use super::{CmdResult, Ctx, Exit, Failure, open_repo};
use crate::spec::Repo;
use crate::spec::diff::block_diff;
use crate::spec::parse::{Operation, Requirement};
use crate::spec::repo::{ItemKind, read_doc};
use crate::workflow::change::PROPOSAL;
use crate::workflow::check::ItemType;

/// `show`, and `spec show` / `change show` (which fix `--type`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id or spec id (required without a terminal)
    pub item: Option<String>,
    /// Item type when the name is ambiguous
    #[arg(long = "type")]
    pub item_type: Option<ItemType>,
    /// Only the deltas of a change
    #[arg(long, visible_alias = "requirements-only")]
    pub deltas_only: bool,
    /// A unified diff of each MODIFIED requirement against the main spec (changes)
    #[arg(long)]
    pub diff: bool,
    /// Only the N-th requirement of a spec (1-based)
    #[arg(short = 'r', long = "requirement", value_name = "N")]
    pub requirement: Option<usize>,
    /// JSON: requirements without their scenarios (specs)
    #[arg(long = "requirements")]
    pub requirements_only: bool,
    /// JSON: leave out scenario content (specs)
    #[arg(long)]
    pub no_scenarios: bool,
    /// Accepted for OpenSpec compatibility; this openspec never prompts
    #[arg(long, hide = true)]
    pub no_interactive: bool,
}

/// A refusal with 1.13.2's `status` entry (code `show_error`) under `--json`.
fn show_error(message: String) -> Failure {
    let doc = json!({"status": [{"severity": "error", "code": "show_error", "message": message}]});
    Failure::refused(message).with_json(doc)
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let Some(item) = args.item.clone() else {
        // OpenSpec 1.13.2 prompts on a terminal; this openspec never does.
        return Err(Failure::refused(
            "Nothing to show. Try one of:\n  openspec show <item>\n  openspec change show <id>\n  openspec spec show <id>\n(`openspec list` and `openspec list --specs` name the items)",
        ));
    };
    let repo = open_repo(ctx)?;
    match repo.resolve(&item, args.item_type.map(ItemType::as_str))? {
        ItemKind::Change => show_change(&repo, &item, &args, ctx),
        ItemKind::Spec => show_spec(&repo, &item, &args, ctx),
    }
}

fn requirement_json(r: &Requirement, scenarios: bool) -> Value {
    let scenarios: Vec<Value> = if scenarios {
        r.scenarios
            .iter()
            .map(|s| json!({"rawText": s.raw_text}))
            .collect()
    } else {
        Vec::new()
    };
    json!({"text": r.text, "scenarios": scenarios})
}

fn show_change(repo: &Repo, item: &str, args: &Args, ctx: &Ctx) -> CmdResult {
    let change = repo.load_change(item);
    let proposal_path = format!("{}/{PROPOSAL}", change.rel);
    let proposal = match &change.proposal {
        Some(Ok(p)) => Some(p),
        Some(Err(e)) => return Err(show_error(format!("{proposal_path}: {e}"))),
        None => None,
    };
    let mut deltas = Vec::new();
    for d in &change.deltas {
        let spec = &d.capability;
        for r in &d.delta.added {
            deltas.push(json!({"spec": spec, "operation": Operation::Added.keyword(),
                "description": format!("Add requirement: {}", r.name), "requirement": requirement_json(r, true),
                "requirements": [requirement_json(r, true)]}));
        }
        let main = args.diff.then(|| repo.load_spec(spec).spec);
        for r in &d.delta.modified {
            let mut delta = json!({"spec": spec, "operation": Operation::Modified.keyword(),
                "description": format!("Modify requirement: {}", r.name), "requirement": requirement_json(r, true),
                "requirements": [requirement_json(r, true)]});
            // No diff when the main spec has no requirement of that name (as 1.13.2).
            if let Some(old) = main
                .as_ref()
                .and_then(|m| m.requirements.iter().find(|o| o.name == r.name))
            {
                delta["diff"] = json!(block_diff(&old.raw, &r.raw));
            }
            deltas.push(delta);
        }
        for r in &d.delta.removed {
            deltas.push(
                json!({"spec": spec, "operation": Operation::Removed.keyword(),
                "description": format!("Remove requirement: {}", r.name)}),
            );
        }
        for r in &d.delta.renamed {
            deltas.push(
                json!({"spec": spec, "operation": Operation::Renamed.keyword(),
                "description": format!("Rename requirement: {} -> {}", r.from, r.to),
                "rename": {"from": r.from, "to": r.to}}),
            );
        }
    }
    let title = change.title();
    if ctx.json {
        // As 1.13.2: the JSON of a change needs its proposal with both
        // sections, `--deltas-only` too.
        let Some(p) = proposal else {
            return Err(show_error(format!(
                "Change \"{}\" has no proposal.md yet; write {proposal_path} (`openspec instructions proposal --change {}` says how)",
                change.id, change.id
            )));
        };
        let missing: Vec<&str> = ["Why", "What Changes"]
            .into_iter()
            .filter(|s| p.section(s).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(show_error(format!(
                "{proposal_path}: no {} section; add it to show the change as JSON",
                missing
                    .iter()
                    .map(|m| format!("`## {m}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )));
        }
        let mut doc =
            json!({"id": change.id, "title": title, "deltaCount": deltas.len(), "deltas": deltas});
        if !args.deltas_only {
            doc["why"] = json!(p.section("Why").map(|s| s.body.clone()));
            doc["whatChanges"] = json!(p.section("What Changes").map(|s| s.body.clone()));
        }
        doc["root"] = super::root_json(ctx);
        ctx.print_json(&doc);
        return Ok(Exit::Ok);
    }
    if !args.deltas_only {
        match read_doc(&change.dir.join(PROPOSAL)) {
            Ok(Some(d)) => println!("{}", d.text.trim_end()),
            _ => println!("# {title}\n(no proposal.md)"),
        }
        println!();
    }
    println!("Deltas ({}):", deltas.len());
    for d in &deltas {
        println!(
            "  {:8} {}: {}",
            d["operation"].as_str().unwrap_or_default(),
            d["spec"].as_str().unwrap_or_default(),
            d["description"].as_str().unwrap_or_default()
        );
        if let Some(diff) = d["diff"].as_str() {
            if diff.is_empty() {
                println!("           (no textual changes)");
            }
            for line in diff.lines() {
                println!("           {line}");
            }
        }
    }
    Ok(Exit::Ok)
}

fn show_spec(repo: &Repo, id: &str, args: &Args, ctx: &Ctx) -> CmdResult {
    let nth = args.requirement;
    let loaded = repo.load_spec(id);
    let doc = loaded
        .doc
        .as_ref()
        .map_err(|e| Failure::refused(format!("{}: {e}", loaded.rel)))?;
    let s = &loaded.spec;
    let chosen: Vec<&Requirement> = match nth {
        None => s.requirements.iter().collect(),
        Some(n) => match n.checked_sub(1).and_then(|i| s.requirements.get(i)) {
            Some(r) => vec![r],
            None => {
                return Err(Failure::refused(format!(
                    "Requirement {n} not found: {} has {} requirement(s)",
                    loaded.rel,
                    s.requirements.len()
                )));
            }
        },
    };
    let scenarios = !(args.no_scenarios || args.requirements_only);
    if ctx.json {
        ctx.print_json(&json!({
            "id": id,
            "title": s.title.clone().unwrap_or_else(|| id.to_string()),
            "overview": s.purpose.clone().unwrap_or_default(),
            "requirementCount": chosen.len(),
            "requirements": chosen.iter().map(|r| requirement_json(r, scenarios)).collect::<Vec<_>>(),
            "metadata": {"version": "1.0.0", "format": "openspec"},
            "root": super::root_json(ctx),
        }));
    } else if nth.is_some() {
        for r in &chosen {
            println!("{}", r.raw.trim_end());
        }
    } else {
        println!("{}", doc.text.trim_end());
    }
    Ok(Exit::Ok)
}
