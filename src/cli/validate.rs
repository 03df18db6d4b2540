//! `openspec validate`
use std::collections::BTreeMap;

use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure, open_repo};
use crate::spec::repo::ItemKind;
use crate::spec::validate::{Level, Rules};
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
    #[arg(long = "type")]
    pub item_type: Option<ItemType>,
    /// Fail on warnings too
    #[arg(long)]
    pub strict: bool,
    /// OpenSpec 0.x rules
    #[arg(long)]
    pub legacy: bool,
    /// Accepted for OpenSpec compatibility; this openspec never prompts
    #[arg(long, hide = true)]
    pub no_interactive: bool,
    /// Set by `spec validate <id>` / `change validate <id>`: OpenSpec's
    /// one-item JSON shape (`valid`, `issues`, `summary`).
    #[arg(skip)]
    pub noun_form: bool,
    /// Bulk report content: `full` (every item) or `findings` (only items
    /// with issues, under `itemFindings`); not with an item
    #[arg(long, value_name = "full|findings")]
    pub report: Option<String>,
    /// Accepted for OpenSpec compatibility (validation runs on every core)
    #[arg(long, hide = true, value_name = "N")]
    pub concurrency: Option<usize>,
}

/// A failure document with OpenSpec 1.13.2's `status` entry (its `code`:
/// `no_openspec_root`, `unknown_item`) beside our `error`.
fn with_status(f: Failure, code: &str) -> Failure {
    let mut status = json!({"severity": "error", "code": code, "message": f.message});
    if code == "no_openspec_root" {
        status["target"] = json!("openspec.root");
        status["fix"] = json!("Run `openspec init` here, or pass --root DIR.");
    }
    let doc = json!({
        "error": {"message": f.message, "exit_code": f.exit as u8},
        "status": [status],
    });
    f.with_json(doc)
}

/// The bulk report `--report` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Full,
    Findings,
}

/// `--report` read as 1.13.2 reads it: `full` or `findings`, never with an
/// item name; anything else is refused with code `invalid_validation_report_request`.
fn report_kind(args: &Args) -> Result<Report, Failure> {
    let bad = |message: String| {
        let fix =
            "Use --report full|findings with --all, --changes or --specs, without an item name.";
        Failure::refused(format!("{message} {fix}")).with_json(json!({"status": [{
            "severity": "error", "code": "invalid_validation_report_request",
            "message": message, "fix": fix}]}))
    };
    let kind = match args.report.as_deref() {
        None | Some("full") => Report::Full,
        Some("findings") => Report::Findings,
        Some(other) => return Err(bad(format!("Unknown validation report '{other}'."))),
    };
    if args.report.is_some() && args.item.is_some() {
        return Err(bad(
            "A validation report cannot be combined with an item name.".into(),
        ));
    }
    Ok(kind)
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let report = report_kind(&args)?;
    let repo = open_repo(ctx).map_err(|f| with_status(f, "no_openspec_root"))?;
    let rules = Rules {
        strict: args.strict,
        legacy: args.legacy,
    };
    let (changes, specs) = match &args.item {
        Some(name) => match repo
            .resolve(name, args.item_type.map(ItemType::as_str))
            .map_err(|e| with_status(Failure::from(e), "unknown_item"))?
        {
            ItemKind::Change => (vec![name.clone()], vec![]),
            ItemKind::Spec => (vec![], vec![name.clone()]),
        },
        None => {
            let everything = args.all || (!args.changes && !args.specs);
            let changes = if everything || args.changes {
                repo.change_ids(rules.legacy)?
            } else {
                vec![]
            };
            let specs = if everything || args.specs {
                repo.spec_ids()?
            } else {
                vec![]
            };
            (changes, specs)
        }
    };
    let mut items = check(&repo, &changes, &specs, rules);
    declared_versus_computed(ctx, &mut items, rules.strict);
    let failed = items.iter().filter(|i| !i.valid).count();
    if ctx.json && args.noun_form && args.item.is_some() && items.len() == 1 {
        let i = &items[0];
        let count = |l: Level| i.issues.iter().filter(|x| x.level == l).count();
        ctx.print_json(&json!({
            "id": i.id, "type": i.item_type, "valid": i.valid, "issues": i.issues,
            "summary": {"errors": count(Level::Error), "warnings": count(Level::Warning), "info": count(Level::Info)},
            "root": super::root_json(ctx),
        }));
    } else if ctx.json {
        let mut doc = report_json(&items);
        if report == Report::Findings {
            findings_json(&mut doc, &items, scope(&args));
        }
        doc["root"] = super::root_json(ctx);
        ctx.print_json(&doc);
    } else {
        print_human(&items, report, ctx);
    }
    Ok(if failed > 0 {
        ctx.refuse(&format!(
            "{failed} of {} item(s) failed validation: {}",
            items.len(),
            super::some_of(items.iter().filter(|i| !i.valid).map(|i| i.id.as_str()))
        ))
    } else {
        Exit::Ok
    })
}

/// For each change with a recorded base revision in a flake: a warning
/// (an error under `--strict`, through `passes`) for every affected host
/// and every category its commits have that the proposal's `## Impact`
/// does not name. Changes without a recorded base, and repositories that
/// are not flakes, get nothing, as OpenSpec gives nothing.
fn declared_versus_computed(ctx: &Ctx, items: &mut [ItemReport], strict: bool) {
    use crate::spec::validate::{Issue, passes};
    let Ok(root) = ctx.root() else { return };
    let Ok(flake_dir) = ctx.flake_dir() else {
        return;
    };
    if !flake_dir.join("flake.nix").is_file() {
        return;
    }
    let mut head: Option<Result<crate::flake::FlakeModel, String>> = None;
    for item in items.iter_mut().filter(|i| i.item_type == ItemType::Change) {
        let change = crate::workflow::Change::at(&root, &item.id);
        let Some(base) = change.base_revision() else {
            continue;
        };
        let rel = change
            .dir
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| item.id.clone());
        let proposal = format!("{rel}/proposal.md");
        let model = head
            .get_or_insert_with(|| crate::flake::load_lazy(&flake_dir).map_err(|e| e.to_string()));
        let found = match model {
            Ok(m) => crate::impact::undeclared::undeclared(&flake_dir, m, &change.dir, &base)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        let short = |r: &str| r.chars().take(12).collect::<String>();
        let mut issue = |line: Option<usize>, message: String| {
            item.issues.push(Issue {
                level: Level::Warning,
                path: proposal.clone(),
                message,
                line,
            })
        };
        match found {
            Err(e) => issue(
                None,
                format!(
                    "the impact since the recorded base revision {} cannot be computed: {e}; fix `base_revision` in {rel}/tracking.json",
                    short(&base)
                ),
            ),
            Ok(u) if u.is_empty() => {}
            Ok(u) => {
                let since = format!("the changes since {}", short(&u.base));
                if !u.hosts.is_empty() {
                    let hosts = u.hosts.join(", ");
                    issue(
                        u.impact_line,
                        match u.impact_line {
                            Some(_) => format!(
                                "`## Impact` does not name host(s) {hosts}, which {since} affect; name them there (or write `all hosts`)"
                            ),
                            None => format!(
                                "proposal.md has no `## Impact` section, and {since} affect host(s) {hosts}; add one that names them (or says `all hosts`)"
                            ),
                        },
                    );
                }
                for (name, f) in &u.categories {
                    let at = match f.line {
                        Some(l) => format!("{}:{l}", f.file),
                        None => f.file.clone(),
                    };
                    let why = format!("{at}: {}", f.detail);
                    issue(
                        u.impact_line,
                        match u.impact_line {
                            Some(_) => format!(
                                "`## Impact` does not name the category {name}, which {since} fall in ({why}); add it to a `- Categories:` line there"
                            ),
                            None => format!(
                                "proposal.md has no `## Impact` section, and {since} fall in the category {name} ({why}); add one with a `- Categories:` line naming it"
                            ),
                        },
                    );
                }
            }
        }
        item.valid = passes(&item.issues, strict);
    }
}

fn report_json(items: &[ItemReport]) -> serde_json::Value {
    let mut by_type: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for i in items {
        let e = by_type.entry(i.item_type.as_str()).or_default();
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

/// What a bulk run covered: `all`, `changes` or `specs`.
fn scope(args: &Args) -> &'static str {
    match (args.all, args.changes, args.specs) {
        (false, true, false) => "changes",
        (false, false, true) => "specs",
        _ => "all",
    }
}

/// Whether an item belongs in a findings report: it failed, or it has any
/// issue (information included, as 1.13.2).
fn is_finding(i: &ItemReport) -> bool {
    !i.valid || !i.issues.is_empty()
}

/// Turn a full report into 1.13.2's findings shape: `report` (`kind`
/// `validation-findings`, `version`, `scope`, `returnedItems`, `totalItems`)
/// and `itemFindings` in place of `items`; `summary` still counts every item.
fn findings_json(doc: &mut serde_json::Value, items: &[ItemReport], scope: &str) {
    let found: Vec<&ItemReport> = items.iter().filter(|i| is_finding(i)).collect();
    if let Some(map) = doc.as_object_mut() {
        map.remove("items");
        map.remove("version");
    }
    doc["report"] = json!({"kind": "validation-findings", "version": "1.0", "scope": scope,
        "returnedItems": found.len(), "totalItems": items.len()});
    doc["itemFindings"] = json!(found);
}

fn print_human(items: &[ItemReport], report: Report, ctx: &Ctx) {
    use console::style;
    if report == Report::Findings {
        println!("Scope: {} item(s)", items.len());
    }
    for item in items {
        if report == Report::Findings && !is_finding(item) {
            continue;
        }
        let kind = item.item_type.as_str();
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
