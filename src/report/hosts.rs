//! The `hosts --json` document (ARCHITECTURE.md) and its human form.
use serde::Serialize;
use serde_json::json;

use crate::flake::{Diagnostic, FlakeModel, Host, Level};

#[derive(Serialize)]
pub struct HostDoc<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub entry: &'a crate::flake::Location,
    pub files: Vec<&'a str>,
    pub directories: Vec<String>,
    pub listings: Vec<String>,
    pub globs: Vec<&'a str>,
    pub whole_source: bool,
    pub inputs: Vec<&'a str>,
}

pub fn host_doc(h: &Host) -> HostDoc<'_> {
    HostDoc {
        name: &h.name,
        kind: &h.kind,
        entry: &h.entry,
        files: h.deps.files.iter().map(String::as_str).collect(),
        directories: h.deps.directories.iter().map(|d| format!("{d}/")).collect(),
        listings: h
            .deps
            .listings
            .iter()
            .map(|d| {
                if d.is_empty() {
                    "/".into()
                } else {
                    format!("{d}/")
                }
            })
            .collect(),
        globs: h.deps.globs.iter().map(String::as_str).collect(),
        whole_source: h.deps.whole_source,
        inputs: h.deps.inputs.iter().map(String::as_str).collect(),
    }
}

pub fn json(model: &FlakeModel) -> serde_json::Value {
    json!({
        "hosts": model.hosts.iter().map(host_doc).collect::<Vec<_>>(),
        "diagnostics": model.diagnostics,
    })
}

pub fn text(model: &FlakeModel, verbose: bool) -> String {
    let mut out = String::new();
    let width = model
        .hosts
        .iter()
        .map(|h| h.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    for h in &model.hosts {
        let d = &h.deps;
        let mut extra = vec![];
        if !d.directories.is_empty() {
            extra.push(format!("{} dirs", d.directories.len()));
        }
        if !d.globs.is_empty() {
            extra.push(format!("{} globs", d.globs.len()));
        }
        if d.whole_source {
            extra.push(console::style("whole source").yellow().to_string());
        }
        out.push_str(&format!(
            "{:width$}  {:6}  flake.nix:{:<5} {:>5} files{}\n",
            console::style(&h.name).bold(),
            h.kind,
            h.entry.line,
            d.files.len(),
            if extra.is_empty() {
                String::new()
            } else {
                format!(", {}", extra.join(", "))
            },
        ));
        if verbose {
            for f in &d.files {
                out.push_str(&format!("    {f}\n"));
            }
            for f in &d.directories {
                out.push_str(&format!("    {f}/ (directory)\n"));
            }
            for f in &d.globs {
                out.push_str(&format!("    {f} (glob)\n"));
            }
        }
    }
    if model.hosts.is_empty() {
        out.push_str("no hosts found\n");
    }
    out.push_str(&diagnostics_text(&model.diagnostics, verbose));
    out
}

pub fn diagnostics_text(diags: &[Diagnostic], verbose: bool) -> String {
    let mut out = String::new();
    for d in diags {
        if d.level == Level::Info && !verbose {
            continue;
        }
        let label = match d.level {
            Level::Error => console::style("error").red().bold(),
            Level::Warning => console::style("warning").yellow().bold(),
            Level::Info => console::style("info").dim(),
        };
        out.push_str(&format!(
            "{label}[{}] {}:{}: {}\n",
            d.kind, d.file, d.line, d.message
        ));
    }
    out
}
