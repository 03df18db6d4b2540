//! `openspec validate`
use std::collections::BTreeMap;

use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure};
use crate::spec::repo::ItemKind;
use crate::spec::validate::{Level, Rules};
use crate::spec::{Repo, SpecError, archive};
use crate::workflow::check::{ItemReport, ItemType, check};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Change id or spec id
    pub item: Option<String>,
    /// Every change and spec (the default without an item)
    #[arg(long)]
    pub all: bool,
    /// Every change
    #[arg(long)]
    pub changes: bool,
    /// Every spec
    #[arg(long)]
    pub specs: bool,
    /// Item type when the name is both a change and a spec
    #[arg(long = "type", value_parser = ["change", "spec"])]
    pub item_type: Option<String>,
    /// Fail on warnings too
    #[arg(long)]
    pub strict: bool,
    /// OpenSpec 0.x rules
    #[arg(long)]
    pub legacy: bool,
}

/// The repository's `openspec/`, or an environment failure (exit 2).
pub(super) fn open_repo(ctx: &Ctx) -> Result<Repo, Failure> {
    let root = ctx.root()?;
    let repo = Repo::open(&root).map_err(|e| Failure::usage(e.to_string()))?;
    if archive::pending(&repo) {
        ctx.warn(&format!(
            "an interrupted archive left openspec/{}; run `openspec archive --recover`",
            archive::JOURNAL
        ));
    }
    Ok(repo)
}

/// Spec-layer errors: bad names and unknown items are refusals (exit 1),
/// unreadable directories are environment problems (exit 2).
pub(super) fn spec_failure(e: SpecError) -> Failure {
    if e.is_environment() {
        Failure::usage(e.to_string())
    } else {
        Failure::refused(e.to_string())
    }
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let repo = open_repo(ctx)?;
    let rules = Rules {
        strict: args.strict,
        legacy: args.legacy,
    };
    let (changes, specs) = match &args.item {
        Some(name) => match repo
            .resolve(name, args.item_type.as_deref())
            .map_err(spec_failure)?
        {
            ItemKind::Change => (vec![name.clone()], vec![]),
            ItemKind::Spec => (vec![], vec![name.clone()]),
        },
        None => {
            let everything = args.all || (!args.changes && !args.specs);
            let changes = if everything || args.changes {
                repo.change_ids(rules.legacy).map_err(spec_failure)?
            } else {
                vec![]
            };
            let specs = if everything || args.specs {
                repo.spec_ids().map_err(spec_failure)?
            } else {
                vec![]
            };
            (changes, specs)
        }
    };
    let items = check(&repo, &changes, &specs, rules);
    let failed = items.iter().filter(|i| !i.valid).count();
    if ctx.json {
        ctx.print_json(&report_json(&items));
    } else {
        print_human(&items, ctx);
    }
    Ok(if failed > 0 { Exit::Refused } else { Exit::Ok })
}

fn report_json(items: &[ItemReport]) -> serde_json::Value {
    let mut by_type: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for i in items {
        let key = match i.item_type {
            ItemType::Change => "change",
            ItemType::Spec => "spec",
        };
        let e = by_type.entry(key).or_default();
        e.0 += 1;
        e.1 += usize::from(i.valid);
    }
    let passed = items.iter().filter(|i| i.valid).count();
    let by_type: serde_json::Map<String, serde_json::Value> = by_type
        .into_iter()
        .map(|(k, (n, p))| {
            (
                k.to_string(),
                json!({"items": n, "passed": p, "failed": n - p}),
            )
        })
        .collect();
    json!({
        "items": items,
        "summary": {
            "totals": {"items": items.len(), "passed": passed, "failed": items.len() - passed},
            "byType": by_type,
        },
        "version": "1.0",
    })
}

fn print_human(items: &[ItemReport], ctx: &Ctx) {
    use console::style;
    for item in items {
        let kind = match item.item_type {
            ItemType::Change => "change",
            ItemType::Spec => "spec",
        };
        let shown: Vec<_> = item
            .issues
            .iter()
            .filter(|i| i.level != Level::Info || ctx.verbose > 0)
            .collect();
        if item.valid && (shown.is_empty() || ctx.quiet) {
            if ctx.verbose > 0 {
                println!("{} {kind} {}", style("✓").green(), item.id);
            }
            continue;
        }
        let mark = if item.valid {
            style("✓").green()
        } else {
            style("✗").red()
        };
        println!("{mark} {kind} {}", item.id);
        for i in shown {
            let level = match i.level {
                Level::Error => style("ERROR").red().bold(),
                Level::Warning => style("WARNING").yellow(),
                Level::Info => style("INFO").dim(),
            };
            let at = match i.line {
                Some(l) => format!("{}:{l}", i.path),
                None => i.path.clone(),
            };
            println!("  {level} {at}: {}", i.message);
        }
    }
    let passed = items.iter().filter(|i| i.valid).count();
    if items.is_empty() {
        println!("Nothing to validate: no changes or specs under openspec/");
    } else {
        println!(
            "Totals: {} item(s), {} passed, {} failed",
            items.len(),
            passed,
            items.len() - passed
        );
    }
}
