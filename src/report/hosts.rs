//! The `hosts --json` document (ARCHITECTURE.md) and its human form.

use crate::flake::{Diagnostic, FlakeModel, Level};

/// The `hosts --json` document, serialised straight from the model.
#[derive(serde::Serialize)]
pub struct Doc<'a> {
    pub hosts: &'a [crate::flake::Host],
    pub diagnostics: &'a [Diagnostic],
}

pub fn json(model: &FlakeModel) -> Doc<'_> {
    Doc {
        hosts: &model.hosts,
        diagnostics: &model.diagnostics,
    }
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
            for f in d.files.iter() {
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
