//! `openspec instructions <artifact|apply|archive> --change <id>`: what an
//! assistant needs to write one artifact of a change (its guidance, the
//! template of the change's kind, the project's context and rules, what it
//! depends on), to apply the change (context files, tasks, state), or to
//! archive it (context and guidance). JSON keys as OpenSpec 1.13.2 prints
//! them; the artifact graph is `spec::schema`.
use std::path::Path;

use serde_json::{Value, json};

use super::{CmdResult, Ctx, Exit, Failure, root_json};
use crate::spec::schema::{self, ARTIFACTS, Artifact, ProjectConfig};
use crate::spec::{Kind, Repo};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// An artifact id (proposal, specs, design, tasks), `apply` or `archive`
    pub artifact: Option<String>,
    /// The change
    #[arg(long, value_name = "ID")]
    pub change: Option<String>,
    /// Schema (only spec-driven is carried)
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
    /// Not supported by this openspec (OpenSpec's store roots)
    #[arg(long, hide = true, value_name = "ID")]
    pub store: Option<String>,
}

/// A refusal with 1.13.2's `status` entry (code `change_error`) under `--json`.
pub(super) fn change_error(message: String) -> Failure {
    let doc =
        json!({"status": [{"severity": "error", "code": "change_error", "message": message}]});
    Failure::refused(message).with_json(doc)
}

/// `--store <id>`: OpenSpec's registered store roots; this openspec has
/// none, so every store id is unknown (exit 1, code `no_registered_stores`,
/// as 1.13.2 answers with no store registered).
pub(super) fn no_store(store: &Option<String>) -> Result<(), Failure> {
    match store {
        None => Ok(()),
        Some(id) => {
            let message = format!(
                "Unknown store '{id}': this openspec has no stores; run the command inside the repository (or pass --root DIR)"
            );
            let doc = json!({"status": [{"severity": "error", "code": "no_registered_stores",
                "message": message, "target": "store.id",
                "fix": "Drop --store and run the command in the repository, or pass --root DIR."}]});
            Err(Failure::refused(message).with_json(doc))
        }
    }
}

/// `--schema` must name a schema this openspec carries.
pub(super) fn check_schema(schema: &Option<String>) -> Result<&'static str, Failure> {
    match schema.as_deref() {
        None | Some(schema::SPEC_DRIVEN) => Ok(schema::SPEC_DRIVEN),
        Some(other) => Err(change_error(format!(
            "Schema '{other}' not found. Available schemas:\n  {}",
            schema::SPEC_DRIVEN
        ))),
    }
}

fn list_lines(items: &[String]) -> String {
    items.iter().map(|i| format!("\n  {i}")).collect()
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    no_store(&args.store)?;
    let schema_name = check_schema(&args.schema)?;
    let root = ctx.root()?;
    let repo = Repo::new(&root);
    let changes = if repo.dir.is_dir() {
        repo.change_ids(false)?
    } else {
        Vec::new()
    };
    let available = if changes.is_empty() {
        " No changes exist. Create one with: openspec new change <name>".to_string()
    } else {
        format!(" Available changes:{}", list_lines(&changes))
    };
    let Some(id) = args.change.clone() else {
        return Err(change_error(format!(
            "Missing required option --change.{available}"
        )));
    };
    crate::spec::check_item_name(&id).map_err(|e| {
        change_error(format!(
            "Invalid change name '{id}': {e}; pass a change directory name"
        ))
    })?;
    if !repo.change_exists(&id) {
        let hint = repo.did_you_mean(&id, true, false);
        let end = if hint.is_empty() { "." } else { "" };
        return Err(change_error(format!(
            "Change '{id}' not found{hint}{end}{available}"
        )));
    }
    let valid = || {
        let mut ids: Vec<String> = schema::artifact_ids()
            .iter()
            .map(|s| s.to_string())
            .collect();
        ids.extend(["apply".to_string(), "archive".to_string()]);
        list_lines(&ids)
    };
    let Some(which) = args.artifact.as_deref() else {
        return Err(change_error(format!(
            "Missing required argument <artifact>. Valid artifacts:{}",
            valid()
        )));
    };
    let config = ProjectConfig::load(&repo.dir, "openspec/config.yaml")
        .map_err(|e| Failure::refused(e.to_string()).caused_by(e))?;
    let change_dir = repo.changes_dir().join(&id);
    let kind = crate::workflow::Change::at(&root, &id)
        .tracking()
        .ok()
        .flatten()
        .map(|t| t.kind)
        .unwrap_or(Kind::Change);
    let doc = match which {
        "apply" => apply(&repo, &id, &change_dir, schema_name, &config),
        "archive" => archive(&id, &config),
        other => match schema::artifact(other) {
            Some(a) => artifact(&repo, &id, &change_dir, schema_name, a, kind, &config),
            None => {
                return Err(change_error(format!(
                    "Artifact '{other}' not found in schema '{schema_name}'. Valid artifacts:{}",
                    valid()
                )));
            }
        },
    };
    let mut doc = doc;
    doc["root"] = root_json(ctx);
    if ctx.json {
        ctx.print_json(&doc);
    } else {
        print!("{}", text(which, &doc));
    }
    Ok(Exit::Ok)
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}

fn artifact(
    repo: &Repo,
    id: &str,
    change_dir: &Path,
    schema_name: &str,
    a: &Artifact,
    kind: Kind,
    config: &ProjectConfig,
) -> Value {
    let deps: Vec<Value> = a
        .requires
        .iter()
        .filter_map(|r| schema::artifact(r))
        .map(|d| {
            json!({"id": d.id, "done": schema::is_done(change_dir, d), "path": d.generates,
                "description": d.description})
        })
        .collect();
    let mut doc = json!({
        "changeName": id,
        "artifactId": a.id,
        "schemaName": schema_name,
        "changeDir": path_text(change_dir),
        "planningHome": {"kind": "repo", "root": path_text(&repo.root),
            "changesDir": path_text(&repo.changes_dir()), "defaultSchema": schema::SPEC_DRIVEN},
        "outputPath": a.generates,
        "resolvedOutputPath": path_text(&change_dir.join(a.generates)),
        "existingOutputPaths": schema::existing_outputs(change_dir, a).iter().map(|p| path_text(p)).collect::<Vec<_>>(),
        "description": a.description,
        "instruction": a.instruction.replace("<change-id>", id),
        "template": schema::template(a, kind, id),
        "kind": kind.as_str(),
        "dependencies": deps,
        "unlocks": schema::unlocks(a.id),
    });
    if let Some(c) = &config.context {
        doc["context"] = json!(c.trim_end());
    }
    let rules = config.rules_for(a.id);
    if !rules.is_empty() {
        doc["rules"] = json!(rules);
    }
    doc
}

fn apply(
    repo: &Repo,
    id: &str,
    change_dir: &Path,
    schema_name: &str,
    config: &ProjectConfig,
) -> Value {
    let change = repo.load_change(id);
    let mut context_files = serde_json::Map::new();
    let mut missing = Vec::new();
    for a in &ARTIFACTS {
        let files = schema::existing_outputs(change_dir, a);
        if files.is_empty() {
            missing.push(a.id);
        } else {
            context_files.insert(
                a.id.to_string(),
                json!(files.iter().map(|p| path_text(p)).collect::<Vec<_>>()),
            );
        }
    }
    let (items, checked) = match &change.tasks {
        Some(Ok(t)) => (t.items.clone(), t.checked.clone()),
        _ => (Vec::new(), Vec::new()),
    };
    let tasks: Vec<Value> = items
        .iter()
        .zip(&checked)
        .enumerate()
        .map(|(i, (d, done))| json!({"id": (i + 1).to_string(), "description": d, "done": done}))
        .collect();
    let complete = checked.iter().filter(|d| **d).count();
    let tasks_missing = missing.contains(&"tasks");
    let (state, instruction) = if tasks_missing {
        (
            "blocked",
            format!(
                "Cannot apply this change yet: tasks.md is missing.\nNot written yet, in build order: {}. Write them with `openspec instructions <artifact> --change {id}`.",
                missing.join(", ")
            ),
        )
    } else if tasks.is_empty() {
        (
            "blocked",
            format!(
                "tasks.md has no tasks (checkbox lines such as `- [ ] 1.1 Do it`). Add them; `openspec instructions tasks --change {id}` says how."
            ),
        )
    } else if complete == tasks.len() {
        (
            "all_done",
            format!(
                "Every task is done. Verify the affected hosts (`openspec nixos-check {id}`), then archive the change (`openspec archive {id}`)."
            ),
        )
    } else {
        (
            "ready",
            schema::APPLY_INSTRUCTION.replace("<change-id>", id),
        )
    };
    let mut doc = json!({
        "changeName": id,
        "changeDir": path_text(change_dir),
        "schemaName": schema_name,
        "contextFiles": context_files,
        "progress": {"total": tasks.len(), "complete": complete, "remaining": tasks.len() - complete},
        "tasks": tasks,
        "taskTrackingConfigured": true,
        "state": state,
        "missingPrerequisites": missing,
        "instruction": instruction,
    });
    if tasks_missing {
        doc["missingArtifacts"] = json!(["tasks"]);
    }
    if let Some(c) = &config.context {
        doc["context"] = json!(c);
    }
    if !config.apply_guidance.is_empty() {
        doc["operationGuidance"] = json!(config.apply_guidance);
    }
    doc
}

fn archive(id: &str, config: &ProjectConfig) -> Value {
    let mut doc = json!({"changeName": id});
    if let Some(c) = &config.context {
        doc["context"] = json!(c);
    }
    if !config.archive_guidance.is_empty() {
        doc["operationGuidance"] = json!(config.archive_guidance);
    }
    doc
}

fn s<'a>(doc: &'a Value, key: &str) -> &'a str {
    doc[key].as_str().unwrap_or_default()
}

fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The human form: tagged blocks for an artifact (easy for an assistant to
/// read), headed sections for apply and archive.
fn text(which: &str, doc: &Value) -> String {
    let mut out = String::new();
    let context_and_guidance = |out: &mut String| {
        if let Some(c) = doc["context"].as_str() {
            out.push_str(&format!("\n### Project context\n{}\n", c.trim_end()));
        }
        let g = strings(doc, "operationGuidance");
        if !g.is_empty() {
            out.push_str("\n### Guidance (advisory)\n");
            for x in g {
                out.push_str(&format!("- {x}\n"));
            }
        }
    };
    match which {
        "archive" => {
            out.push_str(&format!("## Archive: {}\n", s(doc, "changeName")));
            if doc["context"].is_null() && doc["operationGuidance"].is_null() {
                out.push_str("\nNo project context or archive guidance in openspec/config.yaml.\n");
            }
            context_and_guidance(&mut out);
        }
        "apply" => {
            out.push_str(&format!(
                "## Apply: {}\nSchema: {}\nState: {}\n",
                s(doc, "changeName"),
                s(doc, "schemaName"),
                s(doc, "state")
            ));
            if let Some(files) = doc["contextFiles"].as_object() {
                out.push_str("\n### Context files\n");
                for (k, v) in files {
                    for f in v.as_array().into_iter().flatten() {
                        out.push_str(&format!("- {k}: {}\n", f.as_str().unwrap_or_default()));
                    }
                }
            }
            let p = &doc["progress"];
            out.push_str(&format!(
                "\n### Progress\n{}/{} complete\n",
                p["complete"], p["total"]
            ));
            if let Some(tasks) = doc["tasks"].as_array().filter(|t| !t.is_empty()) {
                out.push_str("\n### Tasks\n");
                for t in tasks {
                    let mark = if t["done"] == true { "x" } else { " " };
                    out.push_str(&format!("- [{mark}] {}\n", s(t, "description")));
                }
            }
            out.push_str(&format!("\n### Instruction\n{}\n", s(doc, "instruction")));
            context_and_guidance(&mut out);
        }
        _ => {
            out.push_str(&format!(
                "<artifact id=\"{}\" change=\"{}\" schema=\"{}\" kind=\"{}\">\n\n",
                s(doc, "artifactId"),
                s(doc, "changeName"),
                s(doc, "schemaName"),
                s(doc, "kind")
            ));
            let deps = doc["dependencies"].as_array().cloned().unwrap_or_default();
            let missing: Vec<&str> = deps
                .iter()
                .filter(|d| d["done"] != true)
                .map(|d| s(d, "id"))
                .collect();
            if !missing.is_empty() {
                out.push_str(&format!(
                    "<warning>\nNot written yet: {}. Write those first, or go ahead knowing they are missing.\n</warning>\n\n",
                    missing.join(", ")
                ));
            }
            out.push_str(&format!(
                "<task>\nWrite the {} artifact of change \"{}\": {}.\n</task>\n\n",
                s(doc, "artifactId"),
                s(doc, "changeName"),
                s(doc, "description")
            ));
            if let Some(c) = doc["context"].as_str() {
                out.push_str(&format!(
                    "<project_context>\n<!-- Background for you; do not copy it into the file. -->\n{c}\n</project_context>\n\n"
                ));
            }
            let rules = strings(doc, "rules");
            if !rules.is_empty() {
                out.push_str(
                    "<rules>\n<!-- Constraints for you; do not copy them into the file. -->\n",
                );
                for r in rules {
                    out.push_str(&format!("- {r}\n"));
                }
                out.push_str("</rules>\n\n");
            }
            if !deps.is_empty() {
                out.push_str("<dependencies>\nRead these from disk before writing:\n");
                let dir = s(doc, "changeDir");
                for d in &deps {
                    let status = if d["done"] == true { "done" } else { "missing" };
                    out.push_str(&format!(
                        "<dependency id=\"{}\" status=\"{status}\">{dir}/{}</dependency>\n",
                        s(d, "id"),
                        s(d, "path")
                    ));
                }
                out.push_str("</dependencies>\n\n");
            }
            out.push_str(&format!(
                "<output>\nWrite to: {}\n</output>\n\n<instruction>\n{}\n</instruction>\n\n<template>\n{}</template>\n",
                s(doc, "resolvedOutputPath"),
                s(doc, "instruction"),
                s(doc, "template")
            ));
            let unlocks = strings(doc, "unlocks");
            if !unlocks.is_empty() {
                out.push_str(&format!("\nDone, it unlocks: {}\n", unlocks.join(", ")));
            }
            out.push_str("\n</artifact>\n");
        }
    }
    out
}
