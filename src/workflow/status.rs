//! `status` of a change: OpenSpec 1.13.2's artifact status (the keys of its
//! `status --change <id> --json`, so assistants written for OpenSpec read
//! it unchanged) plus the lifecycle: state, reviews, tasks, declared versus
//! computed impact, last verification and the next step.
use std::path::Path;

use serde_json::{Value, json};

use super::Change;
use super::lifecycle::{self, Facts, Gate};
use super::tracking::{State, Tracking};
use crate::impact::{self, ImpactError, ImpactReport};

/// The schema every change here follows unless its `.openspec.yaml` or the
/// project's `config.yaml` names another.
pub const DEFAULT_SCHEMA: &str = "spec-driven";

/// The artifacts of the `spec-driven` schema, in order: id, output path
/// (relative to the change), the artifacts it needs first.
const ARTIFACTS: [(&str, &str, &[&str]); 4] = [
    ("proposal", "proposal.md", &[]),
    ("specs", "specs/**/*.md", &["proposal"]),
    ("design", "design.md", &["proposal"]),
    ("tasks", "tasks.md", &["specs", "design"]),
];

fn yaml_schema(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    v.get("schema")?.as_str().map(str::to_string)
}

/// The files of artifact `output` (relative to the change) that exist, absolute, sorted.
fn existing(change_dir: &Path, output: &str) -> Vec<String> {
    if output == "specs/**/*.md" {
        let mut v: Vec<String> = walkdir::WalkDir::new(change_dir.join("specs"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
            .map(|e| e.path().display().to_string())
            .collect();
        v.sort();
        v
    } else {
        let p = change_dir.join(output);
        if p.is_file() {
            vec![p.display().to_string()]
        } else {
            vec![]
        }
    }
}

/// OpenSpec 1.13.2's `status --change <id> --json` document for the change
/// `id` in `dir`, without `root` (the command adds it). Keys: `changeName`,
/// `schemaName`, `planningHome`, `changeRoot`, `artifactPaths`,
/// `isPlanningComplete`, `isComplete`, `applyRequires`, `nextSteps`,
/// `actionContext`, `artifacts` (each `{id, outputPath, status: done |
/// ready | blocked, requires, missingDeps?}`).
pub fn openspec_status(root: &Path, id: &str, dir: &Path) -> serde_json::Map<String, Value> {
    let openspec = root.join("openspec");
    let default_schema =
        yaml_schema(&openspec.join("config.yaml")).unwrap_or_else(|| DEFAULT_SCHEMA.into());
    let schema = yaml_schema(&dir.join(".openspec.yaml")).unwrap_or_else(|| default_schema.clone());
    let mut paths = serde_json::Map::new();
    let mut done: Vec<&str> = vec![];
    for (aid, out, _) in ARTIFACTS {
        let ex = existing(dir, out);
        if !ex.is_empty() {
            done.push(aid);
        }
        paths.insert(
            aid.into(),
            json!({"outputPath": out, "resolvedOutputPath": dir.join(out).display().to_string(),
                   "existingOutputPaths": ex}),
        );
    }
    let mut artifacts = vec![];
    let mut next = None;
    for (aid, out, requires) in ARTIFACTS {
        let missing: Vec<&str> = requires
            .iter()
            .copied()
            .filter(|r| !done.contains(r))
            .collect();
        let status = if done.contains(&aid) {
            "done"
        } else if missing.is_empty() {
            next.get_or_insert(aid);
            "ready"
        } else {
            "blocked"
        };
        let mut a = json!({"id": aid, "outputPath": out, "status": status, "requires": requires});
        if status == "blocked" {
            a["missingDeps"] = json!(missing);
        }
        artifacts.push(a);
    }
    let complete = done.len() == ARTIFACTS.len();
    let next_steps = match next {
        _ if complete => vec![format!(
            "All planning artifacts are complete. Run openspec instructions apply --change \"{id}\" --json to inspect implementation progress."
        )],
        Some(a) => vec![format!(
            "Run openspec instructions {a} --change \"{id}\" --json before writing that artifact."
        )],
        None => vec![],
    };
    let root_s = root.display().to_string();
    let mut m = serde_json::Map::new();
    m.insert("changeName".into(), json!(id));
    m.insert("schemaName".into(), json!(schema));
    m.insert(
        "planningHome".into(),
        json!({"kind": "repo", "root": root_s,
               "changesDir": openspec.join("changes").display().to_string(),
               "defaultSchema": default_schema}),
    );
    m.insert("changeRoot".into(), json!(dir.display().to_string()));
    m.insert("artifactPaths".into(), Value::Object(paths));
    m.insert("isPlanningComplete".into(), json!(complete));
    m.insert("isComplete".into(), json!(complete));
    m.insert("applyRequires".into(), json!(["tasks"]));
    m.insert("nextSteps".into(), json!(next_steps));
    m.insert(
        "actionContext".into(),
        json!({"mode": "repo-local", "sourceOfTruth": "repo",
               "planningArtifacts": ARTIFACTS.iter().map(|a| a.0).collect::<Vec<_>>(),
               "linkedContext": [], "allowedEditRoots": [root_s],
               "requiresAffectedAreaSelection": false,
               "constraints": ["Repo-local change artifacts and implementation edits are scoped to this project."]}),
    );
    m.insert("artifacts".into(), json!(artifacts));
    m
}

/// The impact `openspec impact <id>` reports for `change`: computed from its
/// recorded base revision when it has one (with the declared scope beside it
/// in `change`), else the impact of the paths its proposal declares.
pub fn change_impact(flake_dir: &Path, change: &Change) -> Result<ImpactReport, ImpactError> {
    if change.base_revision().is_none() {
        let model = crate::flake::load_lazy(flake_dir)?;
        let (declared, mut rep) = impact::change::declared_scope(&model, flake_dir, &change.dir);
        rep.base = None;
        rep.head = "declared".into();
        rep.change = Some(impact::change::combine(&change.id, declared, None));
        return Ok(rep);
    }
    let mut selection =
        super::select::impact_request(Some(change), &[], None, None, false).resolve(flake_dir)?;
    // The openspec/ tree is proposals, not flake code: its paths would
    // classify by their names (another change called `harden-ssh` would make
    // this one security-model and demand a security review).
    if let Some(specs) = change
        .dir
        .parent()
        .and_then(Path::parent)
        .and_then(|d| d.strip_prefix(flake_dir).ok())
        .and_then(Path::to_str)
        .filter(|d| !d.is_empty())
    {
        let prefix = format!("{specs}/");
        selection.changed.retain(|p| !p.starts_with(&prefix));
    }
    let model = match impact::load_head(flake_dir, &selection)? {
        Some(m) => m,
        None => crate::flake::load_lazy(flake_dir)?,
    };
    let base_model = impact::load_base(flake_dir, &selection, &model)?;
    let mut rep = impact::analyze(
        &model,
        base_model.as_ref(),
        &selection.changed,
        &selection.options,
    );
    rep.base = selection.base.clone();
    rep.head = selection.head.clone();
    let (declared, _) = impact::change::declared_scope(&model, flake_dir, &change.dir);
    rep.change = Some(impact::change::combine(
        &change.id,
        declared,
        Some(&mut rep),
    ));
    Ok(rep)
}

/// The category names the review gate judges: those of `change_impact`, or
/// none (with the reason) when it cannot be computed.
pub fn gate_categories(
    flake_dir: &Path,
    change: &Change,
) -> (Vec<String>, Option<ImpactReport>, Option<String>) {
    match change_impact(flake_dir, change) {
        Ok(rep) => (rep.categories.clone(), Some(rep), None),
        Err(e) => (vec![], None, Some(e.to_string())),
    }
}

/// The lifecycle keys `status` adds to OpenSpec's document. `impact`:
/// `Some(result)` when it was computed (`Err` holds why not), `None` when
/// not asked for (`status --all`).
pub fn lifecycle_status(
    change: &Change,
    t: Option<&Tracking>,
    impact: Option<&Result<ImpactReport, String>>,
) -> serde_json::Map<String, Value> {
    let tasks = lifecycle::tasks(change);
    let done = tasks.iter().filter(|t| t.done).count();
    let categories = match impact {
        Some(Ok(r)) => r.categories.clone(),
        _ => vec![],
    };
    let gate: Option<Gate> = t.map(|t| {
        // Unreadable reviewed files make every approval stale, as they should.
        let hash = lifecycle::content_hash(change).unwrap_or_default();
        lifecycle::gate(t, &Facts { categories, hash })
    });
    let impact_json = match impact {
        None => Value::Null,
        Some(Err(why)) => json!({"declared": null, "computed": null, "note": why}),
        Some(Ok(r)) => {
            let c = r.change.as_ref();
            let declared = c.map(|c| {
                json!({"kind": t.map(|t| t.kind), "hosts": c.declared.hosts, "modules": c.declared.modules,
                       "paths": c.declared.paths.iter().map(|p| &p.declared.path).collect::<Vec<_>>()})
            });
            let computed = (r.base.is_some()).then(|| {
                json!({"base": r.base, "files": r.changed_files, "hosts": r.affected_hosts,
                       "modules": r.affected_modules, "categories": r.categories,
                       "category_findings": r.category_findings})
            });
            json!({"declared": declared, "computed": computed,
                   "categories": r.categories,
                   "hosts_not_declared": c.map(|c| &c.hosts_not_declared),
                   "hosts_not_touched": c.map(|c| &c.hosts_not_touched),
                   "note": c.and_then(|c| c.note.clone())})
        }
    };
    let mut m = serde_json::Map::new();
    m.insert("tracked".into(), json!(t.is_some()));
    m.insert("state".into(), json!(t.map(|t| t.state)));
    m.insert("kind".into(), json!(t.map(|t| t.kind)));
    m.insert("phase".into(), json!(t.and_then(|t| t.phase)));
    m.insert(
        "base_revision".into(),
        json!(t.and_then(|t| t.base_revision.clone())),
    );
    m.insert("reviews".into(), json!(gate));
    m.insert(
        "tasks".into(),
        json!({"total": tasks.len(), "completed": done, "items": tasks}),
    );
    m.insert("impact".into(), impact_json);
    m.insert(
        "verification".into(),
        json!(t.and_then(|t| t.verification.clone())),
    );
    m.insert(
        "emergency".into(),
        json!(t.and_then(|t| t.emergency.clone())),
    );
    m.insert("history".into(), json!(t.map(|t| &t.history)));
    m.insert(
        "next_step".into(),
        json!(t.map(|t| next_step(change, t, gate.as_ref(), done, tasks.len()))),
    );
    m
}

/// What to do next with a tracked change, as one sentence with the command line.
pub fn next_step(
    change: &Change,
    t: &Tracking,
    gate: Option<&Gate>,
    done: usize,
    total: usize,
) -> String {
    let id = &change.id;
    let first_missing = gate.and_then(|g| g.required.iter().find(|r| !r.satisfied));
    let review = |role: &str, note: bool| {
        format!(
            "openspec review {id} --role {role} --approve{}",
            if note { " --note TEXT" } else { "" }
        )
    };
    match t.state {
        State::Draft | State::InReview => match first_missing {
            Some(r) => format!(
                "review: {} ({})",
                review(r.role.as_str(), r.note_required),
                r.reason
            ),
            None => format!("start implementing: openspec code-impl {id}"),
        },
        State::Approved => match first_missing {
            Some(r) => format!("review again: {}", review(r.role.as_str(), r.note_required)),
            None => format!("start implementing: openspec code-impl {id}"),
        },
        State::Implementing if done < total => format!(
            "implement the tasks ({done} of {total} done), then verify: openspec nixos-check {id}"
        ),
        State::Implementing => format!("verify: openspec nixos-check {id}"),
        // Archive asks a verified change only for a security review the
        // implementation brought in (`lifecycle::check_archive`); an approval
        // gone stale since `code-impl` does not hold it back.
        State::Verified => match gate.and_then(|g| {
            g.required
                .iter()
                .find(|r| r.role == lifecycle::Role::Security && !r.satisfied)
        }) {
            Some(r) => format!(
                "review: {} ({})",
                review(r.role.as_str(), r.note_required),
                r.reason
            ),
            None => format!("archive: openspec archive {id} --yes"),
        },
        State::Emergency => {
            let unfilled: Vec<&str> = crate::spec::templates::POST_INCIDENT_SECTIONS
                .into_iter()
                .filter(|s| !lifecycle::section_filled(change, s))
                .collect();
            if !unfilled.is_empty() {
                format!(
                    "fill the post-incident sections of proposal.md ({})",
                    unfilled.join(", ")
                )
            } else if let Some(r) = first_missing {
                format!("post-incident review: {}", review(r.role.as_str(), false))
            } else {
                format!("archive: openspec archive {id} --yes")
            }
        }
        State::Archived => "nothing: the change is archived".into(),
    }
}
