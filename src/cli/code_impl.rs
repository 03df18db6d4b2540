//! `openspec code-impl` (alias `apply`): start implementing an approved change.
use super::{CmdResult, Ctx, Exit, Failure};
use crate::workflow::lifecycle::{self, Actor, Facts};
use crate::workflow::status::gate_categories;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id
    pub id: String,
    /// Start although the change is not approved (needs --reason; recorded)
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why the approval gate is skipped
    #[arg(long, value_name = "TEXT", requires = "force")]
    pub reason: Option<String>,
    /// Who starts (default: git's user.name)
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let root = ctx.root()?;
    let change = lifecycle::open_active(&root, &args.id)?;
    lifecycle::tracked(&change)?;
    if args.force && args.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(Failure::usage("--force needs a non-empty --reason TEXT"));
    }
    let flake_dir = ctx.flake_dir()?;
    let (categories, _, why) = gate_categories(&flake_dir, &change);
    if let Some(why) = why {
        ctx.warn(&format!("computed impact unknown ({why})"));
    }
    let facts = Facts {
        categories,
        hash: lifecycle::content_hash(&change)?,
    };
    let actor = Actor::new(&root, args.by.as_deref());
    let out = lifecycle::start_implementation(
        &change,
        &facts,
        &actor,
        args.reason.as_deref().filter(|_| args.force),
    )?;
    if ctx.json {
        ctx.print_json(&out);
    } else {
        if out.forced {
            ctx.warn(&format!(
                "not approved ({}); started anyway: {}",
                out.gate.missing.join("; "),
                out.reason.as_deref().unwrap_or_default()
            ));
        }
        println!(
            "{}: {} (base {})",
            out.change,
            out.state,
            out.base_revision
                .as_deref()
                .unwrap_or("unknown: no commit yet")
        );
        for t in &out.tasks {
            println!("  [{}] {}", if t.done { "x" } else { " " }, t.text);
        }
        println!(
            "Next: implement the tasks in order, then `openspec nixos-check {}`",
            out.change
        );
    }
    Ok(Exit::Ok)
}
