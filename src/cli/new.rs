//! `openspec new` (alias `spec-gen`)
use std::path::Path;

use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure, open_repo};
use crate::spec::{Kind, check_item_name, check_new_id, templates};
use crate::workflow::Tracking;
use crate::workflow::change::{self, Change};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (kebab-case)
    pub id: String,
    /// Template kind
    #[arg(long, default_value = "change")]
    pub kind: Kind,
    /// pantherOS phase (1 hardware, 2 module, 3 host); default from the kind
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    pub phase: Option<u8>,
    /// Title for the proposal heading (default: from the id)
    #[arg(long)]
    pub title: Option<String>,
    /// Capability of the delta spec skeleton (default: the id)
    #[arg(long, value_name = "CAP")]
    pub capability: Option<String>,
}

/// `--kind` takes the kinds' own names, in the order of `Kind::ALL`; written
/// here rather than derived so that doc comments on the variants (which
/// clap would print in `--help`) never change the help text.
impl clap::ValueEnum for Kind {
    fn value_variants<'a>() -> &'a [Self] {
        &Kind::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

fn title_from_id(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    check_new_id(&args.id)?;
    let kind = args.kind;
    let cap = args.capability.clone().unwrap_or_else(|| args.id.clone());
    check_item_name(&cap)?;
    let repo = open_repo(ctx)?;
    let changes = repo.changes_dir();
    let dest = Change::at(&repo.root, &args.id).dir;
    if dest.exists() {
        return Err(Failure::refused(format!(
            "change \"{}\" already exists ({}); pick another id",
            args.id,
            repo.rel(&dest)
        )));
    }
    let phase = args.phase.or(kind.default_phase());
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| title_from_id(&args.id));
    let now = chrono::Local::now();
    let tracking = Tracking::new(
        kind,
        phase,
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            change::PROPOSAL.into(),
            templates::proposal(kind, &title).into_bytes(),
        ),
        (
            change::TASKS.into(),
            templates::tasks(kind, &args.id).into_bytes(),
        ),
        (
            format!("{}/{cap}/spec.md", change::SPECS),
            templates::delta_skeleton(&cap).into_bytes(),
        ),
        (
            ".openspec.yaml".into(),
            templates::openspec_yaml(&now.format("%Y-%m-%d").to_string()).into_bytes(),
        ),
        (crate::workflow::tracking::FILE.into(), tracking.to_bytes()),
    ];
    let env = |p: &Path, e: std::io::Error| {
        Failure::usage(format!(
            "cannot write {} ({e}); nothing was created",
            repo.rel(p)
        ))
        .caused_by(e)
    };
    std::fs::create_dir_all(&changes).map_err(|e| env(&changes, e))?;
    // Built in a hidden directory and renamed into place, so a failure leaves nothing.
    let staging = tempfile::Builder::new()
        .prefix(".openspec-new-")
        .tempdir_in(&changes)
        .map_err(|e| env(&changes, e))?;
    for (rel, bytes) in &files {
        let path = staging.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| env(&dest.join(rel), e))?;
        }
        crate::fsutil::write_atomic(&path, bytes).map_err(|e| env(&dest.join(rel), e))?;
    }
    if dest.exists() {
        return Err(Failure::refused(format!(
            "change \"{}\" appeared meanwhile; pick another id",
            args.id
        )));
    }
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, &dest) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(env(&dest, e));
    }
    crate::fsutil::sync_dir(&changes);
    let rels: Vec<String> = files
        .iter()
        .map(|(r, _)| format!("{}/{r}", repo.rel(&dest)))
        .collect();
    if ctx.json {
        ctx.print_json(&json!({
            "change": args.id, "kind": kind, "phase": phase, "title": title,
            "path": repo.rel(&dest), "files": rels,
        }));
    } else {
        println!(
            "Created {} ({kind} change{})",
            repo.rel(&dest),
            phase.map(|p| format!(", phase {p}")).unwrap_or_default()
        );
        for r in &rels {
            println!("  {r}");
        }
        println!(
            "Fill in the proposal, then `openspec validate {} --strict`",
            args.id
        );
    }
    Ok(Exit::Ok)
}
