//! `openspec new` (alias `spec-gen`)
use serde_json::json;

use super::{CmdResult, Ctx, Exit, open_repo};
use crate::spec::{Kind, check_item_name, check_new_id};
use crate::workflow::{Change, Draft};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id (kebab-case); `new change <id>` (OpenSpec's form) also works
    pub id: String,
    /// The id when the first word is `change` (OpenSpec's `new change <id>`)
    #[arg(hide = true)]
    pub openspec_id: Option<String>,
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
    /// Workflow schema (OpenSpec's `new change <id> --schema`; only spec-driven is carried)
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
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

pub fn run(mut args: Args, ctx: &Ctx) -> CmdResult {
    if let Some(id) = args.openspec_id.take() {
        if args.id != "change" {
            return Err(super::Failure::usage(format!(
                "unexpected argument \"{id}\": write `openspec new <id>` or `openspec new change <id>`"
            )));
        }
        args.id = id;
    }
    super::instructions::check_schema(&args.schema)?;
    check_new_id(&args.id)?;
    let kind = args.kind;
    let cap = args.capability.clone().unwrap_or_else(|| args.id.clone());
    check_item_name(&cap)?;
    let repo = open_repo(ctx)?;
    let phase = args.phase.or(kind.default_phase());
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| title_from_id(&args.id));
    let draft = Draft {
        id: &args.id,
        kind,
        phase,
        title: &title,
        capability: &cap,
        now: chrono::Local::now(),
    };
    let files = draft.files();
    let dest = Change::create(&repo, &args.id, &files)?.dir;
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
