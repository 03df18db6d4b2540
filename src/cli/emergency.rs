//! `openspec emergency`: a retroactive proposal for a fix already made.
use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure, open_repo};
use crate::spec::{Kind, check_new_id, templates};
use crate::workflow::Change;
use crate::workflow::lifecycle::Actor;
use crate::workflow::tracking::{self, Emergency, EmergencyKind, State, Tracking, Transition};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (kebab-case)
    pub id: String,
    /// What happened and why the normal process was bypassed
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// The kind of incident (a security incident needs a security post-incident review)
    #[arg(long, value_enum, default_value = "outage")]
    pub kind: IncidentKind,
    /// Title for the proposal heading (default: from the id)
    #[arg(long)]
    pub title: Option<String>,
    /// Who records it (default: git's user.name)
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum IncidentKind {
    Security,
    Outage,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    check_new_id(&args.id)?;
    if args.reason.trim().is_empty() {
        return Err(Failure::usage("--reason must say what happened"));
    }
    let repo = open_repo(ctx)?;
    let kind = match args.kind {
        IncidentKind::Security => EmergencyKind::Security,
        IncidentKind::Outage => EmergencyKind::Outage,
    };
    let actor = Actor::new(&repo.root, args.by.as_deref());
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| args.id.replace('-', " "));
    let mut t = Tracking::new(Kind::Change, None, actor.at.clone());
    t.state = State::Emergency;
    t.base_revision = actor.revision.clone();
    t.emergency = Some(Emergency {
        kind,
        reason: args.reason.trim().to_string(),
        at: actor.at.clone(),
        revision: actor.revision.clone(),
        other: Default::default(),
    });
    t.history.push(Transition {
        from: None,
        to: State::Emergency,
        at: actor.at.clone(),
        revision: actor.revision.clone(),
        by: actor.by.clone(),
        reason: Some(args.reason.trim().to_string()),
        forced: false,
        other: Default::default(),
    });
    let role = match kind {
        EmergencyKind::Security => "security",
        EmergencyKind::Outage => "architect",
    };
    let id = &args.id;
    let tasks = format!(
        "## 1. Post-incident\n- [ ] 1.1 Fill in What Happened, What Was Changed and Follow-ups in proposal.md\n- [ ] 1.2 Post-incident review: `openspec review {id} --role {role} --approve --note TEXT`\n- [ ] 1.3 Verify the fix: `openspec nixos-check {id}`\n\n## 2. Follow-ups\n- [ ] 2.1 Turn each follow-up into its own change or task\n"
    );
    let files = vec![
        (
            "proposal.md".to_string(),
            templates::emergency_proposal(&title, kind.as_str(), args.reason.trim()).into_bytes(),
        ),
        ("tasks.md".to_string(), tasks.into_bytes()),
        (
            ".openspec.yaml".to_string(),
            templates::openspec_yaml(&chrono::Local::now().format("%Y-%m-%d").to_string())
                .into_bytes(),
        ),
        (tracking::FILE.to_string(), t.to_bytes()),
    ];
    let change = Change::create(&repo, id, &files)?;
    let rel = repo.rel(&change.dir);
    if ctx.json {
        ctx.print_json(&json!({
            "change": id, "path": rel, "state": t.state, "emergency": t.emergency,
            "base_revision": t.base_revision, "by": actor.by,
            "post_incident_review": role,
            "files": files.iter().map(|(f, _)| format!("{rel}/{f}")).collect::<Vec<_>>(),
        }));
    } else {
        println!(
            "Recorded emergency {rel} ({} incident, revision {})",
            kind.as_str(),
            actor.revision.as_deref().unwrap_or("none")
        );
        println!(
            "Before it can be archived: fill What Happened, What Was Changed and Follow-ups in proposal.md, then `openspec review {id} --role {role} --approve`"
        );
    }
    Ok(Exit::Ok)
}
