//! `openspec schemas`, `openspec templates` and `openspec context`: the
//! workflow schema this openspec carries (`spec-driven`), where its
//! templates are, and the root an assistant works in. JSON keys as OpenSpec
//! 1.13.2 prints them.
use std::path::PathBuf;

use serde_json::json;

use super::instructions::{check_schema, no_store};
use super::{CmdResult, Ctx, Exit, Failure, root_json};
use crate::spec::schema::{self, ARTIFACTS};
use crate::spec::{Kind, Repo};

#[derive(clap::Args, Debug)]
pub struct SchemasArgs {
    /// Not supported by this openspec (OpenSpec's store roots)
    #[arg(long, hide = true, value_name = "ID")]
    pub store: Option<String>,
}

/// `schemas`: `--json` an array of `{name, description, artifacts, source}`.
pub fn run_schemas(args: SchemasArgs, ctx: &Ctx) -> CmdResult {
    no_store(&args.store)?;
    let artifacts = schema::artifact_ids();
    if ctx.json {
        ctx.print_json(
            &json!([{"name": schema::SPEC_DRIVEN, "description": schema::DESCRIPTION,
            "artifacts": artifacts, "source": "builtin"}]),
        );
    } else {
        println!(
            "Available schemas:\n\n  {}\n    {}\n    Artifacts: {}",
            schema::SPEC_DRIVEN,
            schema::DESCRIPTION,
            artifacts.join(" → ")
        );
    }
    Ok(Exit::Ok)
}

#[derive(clap::Args, Debug)]
pub struct TemplatesArgs {
    /// Schema (only spec-driven is carried)
    #[arg(long, value_name = "NAME")]
    pub schema: Option<String>,
}

/// Where the built-in templates are written for `templates`: the user's
/// cache (`$XDG_CACHE_HOME`, else `$HOME/.cache`), per version, so a path
/// always holds the text of the binary that printed it.
fn template_dir() -> Result<PathBuf, Failure> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| {
            Failure::usage("neither XDG_CACHE_HOME nor HOME is set: no place for the template files; set one of them")
        })?;
    Ok(cache
        .join("openspec")
        .join(env!("CARGO_PKG_VERSION"))
        .join("schemas")
        .join(schema::SPEC_DRIVEN)
        .join("templates"))
}

/// `templates`: the template file of each artifact (the `change` kind's;
/// `instructions <artifact> --change <id>` gives a change's own kind).
/// `--json`: `{<artifact>: {path, source}}`. The files are written into the
/// cache when missing or stale (each via a temporary file and rename).
pub fn run_templates(args: TemplatesArgs, ctx: &Ctx) -> CmdResult {
    check_schema(&args.schema)?;
    let dir = template_dir()?;
    let mut doc = serde_json::Map::new();
    let mut rows = Vec::new();
    for a in &ARTIFACTS {
        let path = dir.join(a.template_file);
        let text = schema::template(a, Kind::Change, "<change-id>");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::create_dir_all(&dir)
                .and_then(|()| crate::fsutil::write_atomic(&path, text.as_bytes()))
                .map_err(|e| {
                    Failure::usage(format!(
                        "{}: cannot write the template: {e}; make the cache directory writable or set XDG_CACHE_HOME",
                        path.display()
                    ))
                    .caused_by(e)
                })?;
        }
        doc.insert(
            a.id.to_string(),
            json!({"path": path.display().to_string(), "source": "builtin"}),
        );
        rows.push((a.id, path));
    }
    if ctx.json {
        ctx.print_json(&doc);
    } else {
        println!("Schema: {}\nSource: builtin\n", schema::SPEC_DRIVEN);
        for (id, path) in rows {
            println!("{id}:\n  {}", path.display());
        }
        println!(
            "\nThese are the `change` kind's templates; `openspec instructions <artifact> --change <id>` gives a change's own kind."
        );
    }
    Ok(Exit::Ok)
}

#[derive(clap::Args, Debug)]
pub struct ContextArgs {
    /// Not supported by this openspec (OpenSpec's store roots)
    #[arg(long, hide = true, value_name = "ID")]
    pub store: Option<String>,
}

/// `context`: the OpenSpec root commands act on. `--json`: `{root: {path,
/// source, role}, members: [], status: []}`; without a root, `root: null`
/// and a `no_openspec_root` status (exit 2).
pub fn run_context(args: ContextArgs, ctx: &Ctx) -> CmdResult {
    no_store(&args.store).map_err(|mut f| {
        if let Some(doc) = f.json.as_mut() {
            doc["root"] = serde_json::Value::Null;
            doc["members"] = json!([]);
        }
        f
    })?;
    let no_root = |message: String| {
        let doc = json!({"root": null, "members": [], "status": [{"severity": "error",
            "code": "no_openspec_root", "message": message, "target": "openspec.root",
            "fix": "Run `openspec init` here, or pass --root DIR."}]});
        Failure::usage(message).with_json(doc)
    };
    let root = ctx.root().map_err(|f| no_root(f.message))?;
    if !Repo::new(&root).dir.is_dir() {
        return Err(no_root(format!(
            "{}: no openspec/ directory; run `openspec init` here, or pass --root DIR",
            root.display()
        )));
    }
    let mut r = root_json(ctx);
    r["role"] = json!("openspec_root");
    if ctx.json {
        ctx.print_json(&json!({"root": r, "members": [], "status": []}));
    } else {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "Working context for {name} ({})\n\nOpenSpec root\n  {name}  {}\n\nNo references declared; the working set is this root alone.",
            root.display(),
            root.display()
        );
    }
    Ok(Exit::Ok)
}
