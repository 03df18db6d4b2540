//! `openspec init`
use serde_json::json;

use super::{CmdResult, Ctx, Exit, Failure};
use crate::spec::Repo;
use crate::spec::templates::{CONFIG_YAML, PROJECT_MD};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Assistant command files to write: claude, opencode (comma-separated), all, or none
    #[arg(long, value_name = "TOOLS", default_value = "none")]
    pub tools: String,
}

pub fn run(args: Args, ctx: &Ctx) -> CmdResult {
    let tools = crate::workflow::assistant::parse_tools(&args.tools).map_err(Failure::usage)?;
    let root = match &ctx.root_flag {
        Some(_) => ctx.root()?,
        None => {
            let cwd = std::env::current_dir().map_err(|e| {
                Failure::usage(format!("cannot read the current directory: {e}")).caused_by(e)
            })?;
            super::find_root(&cwd).unwrap_or(cwd)
        }
    };
    let repo = Repo::new(&root);
    if repo.dir.exists() && !repo.dir.is_dir() {
        return Err(Failure::usage(format!(
            "{} exists and is not a directory; move it away and run init again",
            repo.dir.display()
        )));
    }
    // Computed before anything is written: broken markers in a command file
    // stop init with nothing created.
    let planned = crate::workflow::assistant::plan(&root, &tools)?;
    let mut created = Vec::new();
    let mut existing = Vec::new();
    let fail = |p: &std::path::Path, e: std::io::Error| {
        Failure::usage(format!("cannot create {} ({e})", p.display())).caused_by(e)
    };
    for dir in [
        repo.dir.clone(),
        repo.specs_dir(),
        repo.changes_dir(),
        repo.archive_dir(),
    ] {
        if dir.is_dir() {
            existing.push(repo.rel(&dir) + "/");
        } else {
            std::fs::create_dir(&dir).map_err(|e| fail(&dir, e))?;
            created.push(repo.rel(&dir) + "/");
        }
    }
    for (name, text) in [("config.yaml", CONFIG_YAML), ("project.md", PROJECT_MD)] {
        let path = repo.dir.join(name);
        if path.exists() {
            existing.push(repo.rel(&path));
        } else {
            crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(|e| fail(&path, e))?;
            created.push(repo.rel(&path));
        }
    }
    crate::workflow::assistant::write(&root, &planned)?;
    for p in &planned {
        match p.action {
            "created" => created.push(p.path.clone()),
            "unchanged" => existing.push(p.path.clone()),
            _ => {}
        }
    }
    let updated: Vec<&str> = planned
        .iter()
        .filter(|p| p.action == "updated")
        .map(|p| p.path.as_str())
        .collect();
    if ctx.json {
        ctx.print_json(
            &json!({"root": root.display().to_string(), "created": created,
            "existing": existing, "updated": updated,
            "tools": tools.iter().map(|t| t.as_str()).collect::<Vec<_>>()}),
        );
    } else if created.is_empty() && updated.is_empty() {
        println!("openspec/ is already set up in {}", root.display());
    } else {
        for c in &created {
            println!("created {c}");
        }
        for u in &updated {
            println!("updated {u}");
        }
        println!("Next: `openspec new <id> --kind change|hardware|module|security|host|skill`");
    }
    Ok(Exit::Ok)
}
