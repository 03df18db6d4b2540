//! `openspec review`: record a role's review of a change.
use super::{CmdResult, Ctx, Exit};
use crate::workflow::lifecycle::{self, Actor, ReviewInput, Role};
use crate::workflow::status::gate_categories;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id
    pub id: String,
    /// The reviewing role
    #[arg(long, value_enum)]
    pub role: Role,
    /// Approve the proposal as it is now
    #[arg(
        long,
        conflicts_with = "request_changes",
        required_unless_present = "request_changes"
    )]
    pub approve: bool,
    /// Ask for changes
    #[arg(long)]
    pub request_changes: bool,
    /// What was checked and found (required for the impact assessment of a breaking change)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Who reviews (default: git's user.name)
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let root = ctx.root()?;
    let change = lifecycle::open_active(&root, &args.id)?;
    // Fail on a broken or missing tracking file before the impact is computed.
    lifecycle::tracked(&change)?;
    let flake_dir = ctx.flake_dir()?;
    let (categories, _, why) = gate_categories(&flake_dir, &change);
    if let Some(why) = why {
        ctx.warn(&format!(
            "computed impact unknown ({why}); the security review is required from the declared kind only"
        ));
    }
    let actor = Actor::new(&root, args.by.as_deref());
    let input = ReviewInput {
        role: args.role,
        approve: args.approve,
        note: args.note,
    };
    let out = lifecycle::review(&change, &input, &actor, categories)?;
    if out.state == crate::workflow::tracking::State::Emergency {
        let unfilled: Vec<&str> = crate::spec::templates::POST_INCIDENT_SECTIONS
            .into_iter()
            .filter(|s| !lifecycle::section_filled(&change, s))
            .collect();
        if !unfilled.is_empty() {
            ctx.warn(&format!(
                "the post-incident sections {} are not filled in yet; this review goes stale when they are",
                unfilled.join(", ")
            ));
        }
    }
    if ctx.json {
        ctx.print_json(&out);
    } else {
        println!(
            "{}: {} {} by {} ({} -> {})",
            out.change,
            out.review.role,
            out.review.verdict,
            out.review.by,
            out.previous_state,
            out.state
        );
        for m in &out.gate.missing {
            println!("  still needed: {m}");
        }
    }
    Ok(Exit::Ok)
}
