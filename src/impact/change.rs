//! One change's impact from both of its sources: what its proposal declares
//! (`declared`) and what its commits touch (computed from its recorded base
//! revision or `--base`), with the differences between the two.
use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::declared::{DeclaredPath, declared_paths, has_impact_section};
use super::{ImpactReport, Options, Reason, analyze};
use crate::flake::FlakeModel;

/// Whether a declared path is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathStatus {
    /// A file in the flake.
    File,
    /// A directory in the flake.
    Directory,
    /// Not there, and never was in this branch's history: a file to create.
    New,
    /// Not there any more, though a commit once had it.
    NoLongerExists,
}

/// A declared path and what it is now.
#[derive(Debug, Clone, Serialize)]
pub struct DeclaredStatus {
    /// The path as declared, with where.
    #[serde(flatten)]
    pub declared: DeclaredPath,
    /// What it is now.
    pub status: PathStatus,
}

/// What the proposal declares.
#[derive(Debug, Clone, Serialize)]
pub struct DeclaredScope {
    /// Whether proposal.md has an `## Impact` section.
    pub impact_section: bool,
    /// Every path named, in order.
    pub paths: Vec<DeclaredStatus>,
    /// Hosts the declared paths affect.
    pub hosts: Vec<String>,
    /// Modules the declared paths affect.
    pub modules: Vec<String>,
    /// Hosts the declared paths create (a new folder beside existing hosts').
    pub new_hosts: Vec<String>,
}

/// What the change's commits touch.
#[derive(Debug, Clone, Serialize)]
pub struct ComputedScope {
    /// The base revision compared from.
    pub base: String,
    /// The changed files.
    pub files: Vec<String>,
    /// Affected hosts.
    pub hosts: Vec<String>,
    /// Affected modules.
    pub modules: Vec<String>,
}

/// Both sources of one change's impact and how they differ.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeImpact {
    /// The change id.
    pub id: String,
    /// From the proposal.
    pub declared: DeclaredScope,
    /// From git; `null` when no base revision is known.
    pub computed: Option<ComputedScope>,
    /// Changed files no declared path covers.
    pub touched_not_declared: Vec<String>,
    /// Declared paths no changed file is in.
    pub declared_not_touched: Vec<String>,
    /// Hosts the commits affect that the declaration does not name.
    pub hosts_not_declared: Vec<String>,
    /// Hosts the declaration names that the commits do not affect.
    pub hosts_not_touched: Vec<String>,
    /// What could not be answered, and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The declared scope of the change at `change_dir`, against the model of
/// the flake at `flake_dir`, and the impact report of the declared paths.
pub fn declared_scope(
    model: &FlakeModel,
    flake_dir: &Path,
    change_dir: &Path,
) -> (DeclaredScope, ImpactReport) {
    declared_scopes(model, flake_dir, &[change_dir])
        .pop()
        .unwrap_or_else(|| unreachable!("one scope per change directory"))
}

/// `declared_scope` of several changes, asking git once for the history of
/// every declared path that is not there.
pub fn declared_scopes(
    model: &FlakeModel,
    flake_dir: &Path,
    change_dirs: &[&Path],
) -> Vec<(DeclaredScope, ImpactReport)> {
    let named: Vec<Vec<DeclaredPath>> = change_dirs.iter().map(|d| declared_paths(d)).collect();
    let missing: Vec<String> = named
        .iter()
        .flatten()
        .map(|d| d.path.trim_end_matches('/').to_string())
        .filter(|rel| !flake_dir.join(rel).exists())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let gone = crate::git::in_history(flake_dir, &missing);
    named
        .into_iter()
        .zip(change_dirs)
        .map(|(named, dir)| scope_of(model, flake_dir, dir, named, &gone))
        .collect()
}

fn scope_of(
    model: &FlakeModel,
    flake_dir: &Path,
    change_dir: &Path,
    named: Vec<DeclaredPath>,
    gone: &BTreeSet<String>,
) -> (DeclaredScope, ImpactReport) {
    let paths: Vec<DeclaredStatus> = named
        .into_iter()
        .map(|d| {
            let rel = d.path.trim_end_matches('/');
            let on_disk = flake_dir.join(rel);
            let status = if on_disk.is_dir() {
                PathStatus::Directory
            } else if on_disk.exists() {
                PathStatus::File
            } else if gone.contains(rel) {
                PathStatus::NoLongerExists
            } else {
                PathStatus::New
            };
            DeclaredStatus {
                declared: d,
                status,
            }
        })
        .collect();
    let tree = model.tree.as_deref();
    let mut files: BTreeSet<String> = BTreeSet::new();
    for p in &paths {
        let rel = p.declared.path.trim_end_matches('/');
        match (p.status, tree) {
            (PathStatus::Directory, Some(t)) => files.extend(t.files_under(rel).cloned()),
            _ => {
                files.insert(rel.to_string());
            }
        }
    }
    let files: Vec<String> = files.into_iter().collect();
    let opts = Options {
        no_categories: true,
        ..Default::default()
    };
    let report = analyze(model, None, &files, &opts);
    let scope = DeclaredScope {
        impact_section: has_impact_section(change_dir),
        new_hosts: new_hosts(model, &paths),
        hosts: report.affected_hosts.clone(),
        modules: report.affected_modules.clone(),
        paths,
    };
    (scope, report)
}

/// Hosts a proposal creates: a new path whose first missing folder sits
/// where existing hosts keep theirs (`hosts/`, `hosts/servers/`).
fn new_hosts(model: &FlakeModel, paths: &[DeclaredStatus]) -> Vec<String> {
    let host_folders: BTreeSet<String> = model
        .hosts
        .iter()
        .flat_map(|h| h.deps.entry_files())
        .filter_map(|f| {
            let dir = crate::flake::path::parent(&f).to_string();
            let folder = crate::flake::path::parent(&dir).to_string();
            (!dir.is_empty()).then_some(folder)
        })
        .collect();
    let existing: BTreeSet<&str> = model.hosts.iter().map(|h| h.name.as_str()).collect();
    let mut out = BTreeSet::new();
    for p in paths.iter().filter(|p| p.status == PathStatus::New) {
        let rel = p.declared.path.trim_end_matches('/');
        for folder in &host_folders {
            let rest = if folder.is_empty() {
                Some(rel)
            } else {
                rel.strip_prefix(&format!("{folder}/"))
            };
            if let Some(name) = rest.and_then(|r| r.split('/').next())
                && !name.is_empty()
                && !name.contains('.')
                && !existing.contains(name)
            {
                out.insert(name.to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// Put the declared scope beside the computed report `rep` (from the
/// change's base, or `None` when there is no base): the report's answer
/// becomes the union of both, with the differences listed.
pub fn combine(
    id: &str,
    declared: DeclaredScope,
    computed: Option<&mut ImpactReport>,
) -> ChangeImpact {
    let covered = |file: &str| {
        declared.paths.iter().any(|p| {
            let d = p.declared.path.trim_end_matches('/');
            file == d || file.starts_with(&format!("{d}/"))
        })
    };
    let computed_scope = computed.as_ref().map(|r| ComputedScope {
        base: r.base.clone().unwrap_or_default(),
        files: r.changed_files.clone(),
        hosts: r.affected_hosts.clone(),
        modules: r.affected_modules.clone(),
    });
    let (touched_not_declared, declared_not_touched, hosts_not_declared, hosts_not_touched) =
        match &computed_scope {
            Some(c) => (
                // The proposal's own files are bookkeeping, not code to declare.
                c.files
                    .iter()
                    .filter(|f| !covered(f) && !f.starts_with("openspec/"))
                    .cloned()
                    .collect(),
                declared
                    .paths
                    .iter()
                    .map(|p| p.declared.path.clone())
                    .filter(|d| {
                        let d = d.trim_end_matches('/');
                        !c.files
                            .iter()
                            .any(|f| f == d || f.starts_with(&format!("{d}/")))
                    })
                    .collect(),
                c.hosts
                    .iter()
                    .filter(|h| !declared.hosts.contains(h))
                    .cloned()
                    .collect(),
                declared
                    .hosts
                    .iter()
                    .filter(|h| !c.hosts.contains(h))
                    .cloned()
                    .collect(),
            ),
            None => (vec![], vec![], vec![], vec![]),
        };
    let note = match (&computed_scope, declared.paths.is_empty()) {
        (None, true) => Some(format!(
            "the proposal names no path{} and no base revision is recorded, so there is nothing to compute an impact from; name the files under `## Impact`, run `openspec code-impl {id}` when implementation starts, or pass --base",
            if declared.impact_section {
                " under `## Impact`"
            } else {
                " (it has no `## Impact` section)"
            }
        )),
        (None, false) => Some(format!(
            "no base revision is recorded, so only the declared scope is known; run `openspec code-impl {id}` when implementation starts, or pass --base"
        )),
        _ => None,
    };
    if let Some(rep) = computed {
        // The answer covers what either source names.
        for h in rep.hosts.iter_mut() {
            if !h.affected && h.change.is_none() && declared.hosts.contains(&h.name) {
                h.affected = true;
                h.reasons.push(Reason {
                    file: String::new(),
                    exact: false,
                    kind: "declared",
                    via: vec![],
                    detail: Some("named by the proposal's declared scope".into()),
                    side: None,
                });
            }
        }
        rep.affected_hosts = rep
            .hosts
            .iter()
            .filter(|h| h.affected)
            .map(|h| h.name.clone())
            .collect();
        rep.unaffected_hosts = rep
            .hosts
            .iter()
            .filter(|h| !h.affected && h.change.is_none())
            .map(|h| h.name.clone())
            .collect();
    }
    ChangeImpact {
        id: id.to_string(),
        declared,
        computed: computed_scope,
        touched_not_declared,
        declared_not_touched,
        hosts_not_declared,
        hosts_not_touched,
        note,
    }
}
