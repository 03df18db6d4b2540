//! Changed files -> affected hosts and modules, with reasons. File-level and
//! sound by default; `--precise` adds the enable-option layer.
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::flake::{Diagnostic, FlakeModel, Host, path::compile_glob};

pub mod category;
pub mod precise;
pub mod request;

pub use request::{Request, Selection};

#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(transparent)]
    Flake(#[from] crate::flake::FlakeError),
}

#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Drop hosts that reach a gated module's changed body but never enable it.
    pub precise: bool,
    /// Inputs whose flake.lock entries changed; `None` when unknown (then a
    /// flake.lock change affects every host).
    pub lock_changes: Option<BTreeSet<String>>,
    /// The text of each changed file at the base revision (for `--precise`).
    pub base_text: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Serialize)]
pub struct ImpactReport {
    pub base: Option<String>,
    pub head: String,
    pub changed_files: Vec<String>,
    pub hosts: Vec<HostImpact>,
    pub affected_hosts: Vec<String>,
    pub unaffected_hosts: Vec<String>,
    pub affected_modules: Vec<String>,
    pub categories: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
    pub verify: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct HostImpact {
    pub name: String,
    pub affected: bool,
    /// With `--precise`: the enable-option verdict for a host the file level
    /// marks affected; `null` without `--precise`.
    pub precise: Option<precise::Verdict>,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Serialize, Clone)]
pub struct Reason {
    pub file: String,
    /// True when the host names this very file; false for directories, globs,
    /// listings, whole-source and unknown flake.lock changes.
    pub exact: bool,
    /// `file`, `directory`, `listing`, `glob`, `whole-source`, `flake.lock`
    pub kind: &'static str,
    /// From flake.nix to the changed file (or to what covers it).
    pub via: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Why `host` depends on the changed file `changed`, if it does.
pub fn reason(host: &Host, changed: &str, opts: &Options) -> Option<Reason> {
    let d = &host.deps;
    let mk = |exact, kind, via: Vec<String>, detail: Option<String>| Reason {
        file: changed.to_string(),
        exact,
        kind,
        via,
        detail,
    };
    if changed == "flake.lock" {
        return match &opts.lock_changes {
            None => Some(mk(false, "flake.lock", vec!["flake.lock".into()], Some("flake.lock changed; which inputs is unknown without --base, so every host counts".into()))),
            Some(set) => {
                let used: Vec<&String> = set.iter().filter(|i| d.inputs.contains(*i) || d.inputs.contains("*")).collect();
                if used.is_empty() {
                    None
                } else {
                    let names = used.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                    Some(mk(true, "flake.lock", vec!["flake.nix".into(), "flake.lock".into()], Some(format!("locked inputs changed: {names}"))))
                }
            }
        };
    }
    if d.files.contains(changed) {
        return Some(mk(true, "file", d.via(changed), None));
    }
    // A dependency that was a file and is now a directory (or the reverse).
    if let Some(f) = d
        .files
        .iter()
        .find(|f| changed.starts_with(&format!("{f}/")))
    {
        return Some(mk(
            false,
            "file",
            d.via(f),
            Some(format!("`{f}` is a dependency")),
        ));
    }
    for dir in &d.directories {
        if dir.is_empty() || changed.starts_with(&format!("{dir}/")) {
            let key = format!("{dir}/");
            return Some(mk(
                false,
                "directory",
                d.via(&key),
                Some(format!("every file under `{key}` is a dependency")),
            ));
        }
    }
    let parent = crate::flake::path::parent(changed);
    if d.listings.contains(parent) {
        let key = format!("{parent}/");
        return Some(mk(
            false,
            "listing",
            d.via(&key),
            Some(format!("the listing of `{key}` is read")),
        ));
    }
    for g in &d.globs {
        if compile_glob(g).is_none_or(|m| m.is_match(changed)) {
            return Some(mk(false, "glob", d.via(g), Some(format!("matches `{g}`"))));
        }
    }
    if d.whole_source {
        let (file, line, why) = d.whole_source_reasons.first().cloned().unwrap_or_default();
        let mut via = d.via(&file);
        via.push(changed.to_string());
        return Some(mk(
            false,
            "whole-source",
            via,
            Some(format!("{file}:{line}: {why}")),
        ));
    }
    None
}

/// Affected hosts and modules for a set of changed files (repository-relative to the flake).
pub fn analyze(model: &FlakeModel, changed: &[String], opts: &Options) -> ImpactReport {
    let changed: Vec<String> = changed
        .iter()
        .map(|c| normalize(c))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut hosts = vec![];
    for h in &model.hosts {
        let reasons: Vec<Reason> = changed.iter().filter_map(|c| reason(h, c, opts)).collect();
        let mut affected = !reasons.is_empty();
        let mut verdict = None;
        if opts.precise && affected {
            let v = precise::judge(model, h, &reasons, opts);
            if v.dropped {
                affected = false;
            }
            verdict = Some(v);
        }
        hosts.push(HostImpact {
            name: h.name.clone(),
            affected,
            precise: verdict,
            reasons,
        });
    }
    let affected_hosts: Vec<String> = hosts
        .iter()
        .filter(|h| h.affected)
        .map(|h| h.name.clone())
        .collect();
    let unaffected_hosts: Vec<String> = hosts
        .iter()
        .filter(|h| !h.affected)
        .map(|h| h.name.clone())
        .collect();
    let affected_modules = affected_modules(model, &changed, &affected_hosts);
    let diagnostics = model
        .diagnostics
        .iter()
        .filter(|d| d.level != crate::flake::Level::Info || changed.iter().any(|c| c == &d.file))
        .cloned()
        .collect();
    ImpactReport {
        base: None,
        head: "worktree".into(),
        categories: category::classify(&changed),
        changed_files: changed,
        hosts,
        affected_hosts,
        unaffected_hosts,
        affected_modules,
        diagnostics,
        verify: None,
    }
}

fn normalize(p: &str) -> String {
    let p = p.replace('\\', "/");
    crate::flake::path::join("", &p).unwrap_or(p)
}

/// Changed .nix files plus every .nix file that imports them transitively,
/// within the reach of the affected hosts; flake.nix and the files a host's
/// entry names directly are hosts, not modules.
fn affected_modules(model: &FlakeModel, changed: &[String], affected: &[String]) -> Vec<String> {
    let hosts: Vec<&Host> = model
        .hosts
        .iter()
        .filter(|h| affected.contains(&h.name))
        .collect();
    let in_reach = |f: &str| hosts.iter().any(|h| h.deps.reached.contains(f));
    let entry_files: BTreeSet<String> = hosts.iter().flat_map(|h| h.deps.entry_files()).collect();
    let mut reverse: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, tos) in &model.edges {
        for to in tos {
            reverse.entry(to.as_str()).or_default().push(from.as_str());
        }
    }
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<&str> = changed
        .iter()
        .map(String::as_str)
        .filter(|c| c.ends_with(".nix") && in_reach(c))
        .collect();
    let changed_set: BTreeSet<&str> = stack.iter().copied().collect();
    while let Some(f) = stack.pop() {
        if !out.insert(f.to_string()) {
            continue;
        }
        for importer in reverse.get(f).into_iter().flatten() {
            if in_reach(importer) {
                stack.push(importer);
            }
        }
    }
    out.into_iter()
        .filter(|f| {
            f != "flake.nix" && (changed_set.contains(f.as_str()) || !entry_files.contains(f))
        })
        .collect()
}

/// Names of the hosts affected by the changes between `base` (default: the
/// merge-base with the default branch) and the working tree of `flake_dir`.
/// `Ok(None)` when the static model cannot tell (or nothing changed); callers
/// then take every host.
pub fn affected_hosts(
    flake_dir: &Path,
    base: Option<&str>,
) -> Result<Option<Vec<String>>, ImpactError> {
    let model = crate::flake::load(flake_dir)?;
    let selection = Request {
        base: base.map(str::to_string),
        ..Default::default()
    }
    .resolve(flake_dir)?;
    if selection.changed.is_empty() {
        // Nothing changed yet (a proposal before implementation): nothing to
        // narrow by, so the caller checks every host.
        return Ok(None);
    }
    let report = analyze(&model, &selection.changed, &selection.options);
    Ok(Some(report.affected_hosts))
}

/// What git can tell about the change beyond the file list: which locked
/// inputs changed, and the base text of changed files (for `--precise`).
pub fn options_from_git(
    flake_dir: &Path,
    base: &str,
    head: Option<&str>,
    changed: &[String],
    precise: bool,
) -> Result<Options, ImpactError> {
    let mut opts = Options {
        precise,
        ..Default::default()
    };
    if changed.iter().any(|c| c == "flake.lock") {
        let old = crate::git::show_file(flake_dir, base, "flake.lock")?;
        let new = match head {
            Some(h) => crate::git::show_file(flake_dir, h, "flake.lock")?,
            None => std::fs::read_to_string(flake_dir.join("flake.lock")).ok(),
        };
        let parse = |t: Option<String>| t.map(|t| crate::flake::lock::Lock::parse(&t));
        opts.lock_changes = match (parse(old), parse(new)) {
            (Some(Ok(a)), Some(Ok(b))) => Some(crate::flake::lock::changed_inputs(&a, &b)),
            // Added, removed or unreadable: every input may have changed.
            _ => None,
        };
    }
    if precise {
        for c in changed.iter().filter(|c| c.ends_with(".nix")) {
            opts.base_text
                .insert(c.clone(), crate::git::show_file(flake_dir, base, c)?);
        }
    }
    Ok(opts)
}
