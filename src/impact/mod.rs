//! Changed files -> affected hosts and modules, with reasons. File-level and
//! sound by default; `--precise` adds the enable-option layer.
//!
//! A change has two sides, each read as it was: the base (the merge-base of
//! the base asked for and the head, as a pull request shows it) and the head
//! (a revision, or the working tree). A host is affected when a changed file
//! is in its dependency set at the base or at the head; a host only at the
//! head is `added`, only at the base `removed`. An edit to flake.nix counts
//! for a host only when that host's slice of flake.nix changed
//! (`flake::slice`), or when the edit cannot be attributed.
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::flake::{Diagnostic, FlakeModel, Host, path::compile_glob};

pub mod category;
pub mod change;
pub mod changes;
pub mod declared;
pub mod precise;
pub mod request;
pub mod sides;
pub mod undeclared;

pub use request::{Request, Selection};
pub use sides::{affected_hosts, load_base, load_head, options_from_git, untracked_dependencies};

#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error(transparent)]
    Flake(#[from] crate::flake::FlakeError),
    /// A `--files` path outside the flake.
    #[error("--files {path}: outside the flake at {}; pass files inside it (absolute, relative to the current directory, or to the flake)", flake.display())]
    OutsideFlake {
        /// The path as given.
        path: String,
        /// The flake's directory.
        flake: std::path::PathBuf,
    },
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
    /// flake.lock's text at the base and at the head, when it changed and
    /// the base is a revision (`None` inside: not there on that side).
    pub lock_texts: Option<(Option<String>, Option<String>)>,
    /// Leave `categories` empty: for a proposal's declared paths, which are
    /// no diff to categorise.
    pub no_categories: bool,
}

#[derive(Debug, Serialize)]
pub struct ImpactReport {
    pub base: Option<String>,
    pub head: String,
    pub changed_files: Vec<String>,
    pub hosts: Vec<HostImpact>,
    /// Affected hosts, added ones included; removed ones never.
    pub affected_hosts: Vec<String>,
    pub unaffected_hosts: Vec<String>,
    /// Hosts that exist at the head only.
    pub added_hosts: Vec<String>,
    /// Hosts that exist at the base only.
    pub removed_hosts: Vec<String>,
    pub affected_modules: Vec<String>,
    /// The categories of the change, sorted (`category::CATEGORIES`).
    pub categories: Vec<String>,
    /// What put the change in each category, sorted by category, file and line.
    pub category_findings: Vec<category::Finding>,
    pub diagnostics: Vec<Diagnostic>,
    pub verify: Option<serde_json::Value>,
    /// For `impact <change-id>`: the declared and the computed scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<change::ChangeImpact>,
}

#[derive(Debug, Serialize)]
pub struct HostImpact {
    pub name: String,
    pub affected: bool,
    /// `added` (at the head only) or `removed` (at the base only); absent
    /// for a host on both sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<HostChange>,
    /// With `--precise`: the enable-option verdict for a host the file level
    /// marks affected; `null` without `--precise`.
    pub precise: Option<precise::Verdict>,
    pub reasons: Vec<Reason>,
}

/// A host that exists on one side of a change only.
#[derive(Debug, Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HostChange {
    /// At the head only.
    Added,
    /// At the base only.
    Removed,
}

#[derive(Debug, Serialize, Clone)]
pub struct Reason {
    pub file: String,
    /// True when the host names this very file; false for directories, globs,
    /// listings, whole-source and unknown flake.lock changes.
    pub exact: bool,
    /// `file`, `directory`, `listing`, `glob`, `whole-source`, `flake.lock`,
    /// `revision` (the host reads the commit; `file` is empty then)
    pub kind: &'static str,
    /// From flake.nix to the changed file (or to what covers it).
    pub via: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `base` when the host depends on the file only as the base was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<&'static str>,
}

/// Why `host` depends on the changed file `changed`, if it does.
/// `flake_nix` says whether the host's slice of flake.nix changed (`Ok`) or
/// why that cannot be told (`Err`); `None` means flake.nix counts whole.
pub fn reason(
    host: &Host,
    changed: &str,
    opts: &Options,
    flake_nix: Option<&Result<bool, String>>,
) -> Option<Reason> {
    let d = &host.deps;
    let mk = |exact, kind, via: Vec<String>, detail: Option<String>| Reason {
        file: changed.to_string(),
        exact,
        kind,
        via,
        detail,
        side: None,
    };
    // flake.nix and flake.lock are read as code per host (its slice, its
    // inputs); when that part is unchanged, the host can still read them as
    // part of the source (a directory taken whole, the whole source, data).
    let mut unchanged_as_code = false;
    if changed == "flake.nix" {
        match flake_nix {
            Some(Ok(false)) => unchanged_as_code = true,
            Some(Ok(true)) => {
                return Some(mk(
                    true,
                    "file",
                    vec!["flake.nix".into()],
                    Some("the host's part of flake.nix changed".into()),
                ));
            }
            Some(Err(why)) => {
                return Some(mk(
                    true,
                    "file",
                    vec!["flake.nix".into()],
                    Some(format!("flake.nix changed and {why}, so every host counts")),
                ));
            }
            None => {}
        }
    }
    if changed == "flake.lock" {
        match &opts.lock_changes {
            None => return Some(mk(false, "flake.lock", vec!["flake.lock".into()], Some("flake.lock changed; which inputs is unknown without --base, so every host counts".into()))),
            Some(set) => {
                let used: Vec<&String> = set.iter().filter(|i| d.inputs.contains(*i) || d.inputs.contains("*")).collect();
                if used.is_empty() {
                    unchanged_as_code = true;
                } else {
                    let names = used.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                    return Some(mk(true, "flake.lock", vec!["flake.nix".into(), "flake.lock".into()], Some(format!("locked inputs changed: {names}"))));
                }
            }
        }
    }
    if d.files.contains(changed) && (!unchanged_as_code || d.data.contains(changed)) {
        return Some(mk(true, "file", d.via(changed), None));
    }
    // A dependency that was a file and is now a directory (or the reverse).
    let ancestors = changed.match_indices('/').map(|(i, _)| &changed[..i]);
    if let Some(f) = ancestors.clone().find(|a| d.files.contains(a)) {
        return Some(mk(
            false,
            "file",
            d.via(f),
            Some(format!("`{f}` is a dependency")),
        ));
    }
    for dir in &d.directories {
        if dir.is_empty() || ancestors.clone().any(|a| a == dir) {
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

/// Affected hosts and modules for a set of changed files (repository-relative
/// to the flake), with `head` the model of the head side and `base` the
/// model of the base side when there is one (not for `--files`).
pub fn analyze(
    head: &FlakeModel,
    base: Option<&FlakeModel>,
    changed: &[String],
    opts: &Options,
) -> ImpactReport {
    let changed: Vec<String> = changed
        .iter()
        .map(|c| normalize(c))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let slices = match base {
        Some(b) if changed.iter().any(|c| c == "flake.nix") => Some(flake_nix_changes(b, head)),
        _ => None,
    };
    let slice_of = |name: &str| -> Option<Result<bool, String>> {
        match &slices {
            None => None,
            Some(Err(why)) => Some(Err(why.clone())),
            // A host missing from one side's slices is on one side only.
            Some(Ok(per_host)) => Some(Ok(per_host.get(name).copied().unwrap_or(true))),
        }
    };
    let layout_only: BTreeSet<String> = match base {
        Some(b) => changed
            .iter()
            .filter(|c| c.ends_with(".nix") && *c != "flake.nix")
            .filter(|c| match (nix_text(b, c), nix_text(head, c)) {
                (Some(x), Some(y)) => crate::flake::slice::same_code(&x, &y),
                _ => false,
            })
            .cloned()
            .collect(),
        None => BTreeSet::new(),
    };
    let mut names: BTreeSet<&str> = head.hosts.iter().map(|h| h.name.as_str()).collect();
    if let Some(b) = base {
        names.extend(b.hosts.iter().map(|h| h.name.as_str()));
    }
    let mut hosts = vec![];
    for name in names {
        let (at_head, at_base) = (head.host(name), base.and_then(|b| b.host(name)));
        let change = match (at_head, at_base, base) {
            (Some(_), None, Some(_)) => Some(HostChange::Added),
            (None, Some(_), _) => Some(HostChange::Removed),
            _ => None,
        };
        let verdict = slice_of(name);
        let mut reasons: Vec<Reason> = at_head
            .map(|h| {
                changed
                    .iter()
                    .filter_map(|c| reason(h, c, opts, verdict.as_ref()))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(b) = at_base {
            for c in &changed {
                if reasons.iter().all(|r| &r.file != c)
                    && let Some(mut r) = reason(b, c, opts, verdict.as_ref())
                {
                    r.side = Some("base");
                    reasons.push(r);
                }
            }
        }
        // A host that reads the commit itself changes with any new commit,
        // even one that changes no file.
        if base.is_some()
            && reasons.is_empty()
            && let Some(h) = at_head.or(at_base)
            && h.deps.revision
        {
            let (file, line, why) = h
                .deps
                .whole_source_reasons
                .iter()
                .find(|r| r.2.contains("is the commit"))
                .or(h.deps.whole_source_reasons.first())
                .cloned()
                .unwrap_or_default();
            reasons.push(Reason {
                file: String::new(),
                exact: false,
                kind: "revision",
                via: h.deps.via(&file),
                detail: Some(format!(
                    "{file}:{line}: {why}: a new commit changes the host"
                )),
                side: None,
            });
        }
        // An edit of layout only (comments, whitespace) changes no host that
        // reads the file as code alone.
        if let Some(h) = at_head {
            reasons.retain(|r| {
                !(r.kind == "file"
                    && r.side.is_none()
                    && layout_only.contains(&r.file)
                    && reads_only_code(h, &r.file))
            });
        }
        let mut affected = !reasons.is_empty() || change == Some(HostChange::Added);
        let mut precise_verdict = None;
        if opts.precise
            && affected
            && change.is_none()
            && let Some(h) = at_head
        {
            let v = precise::judge(head, h, &reasons, opts);
            if v.dropped {
                affected = false;
            }
            precise_verdict = Some(v);
        }
        if change == Some(HostChange::Removed) {
            // Nothing to build or check: listed, never affected.
            affected = false;
        }
        hosts.push(HostImpact {
            name: name.to_string(),
            affected,
            change,
            precise: precise_verdict,
            reasons,
        });
    }
    let names_where = |pred: &dyn Fn(&HostImpact) -> bool| -> Vec<String> {
        hosts
            .iter()
            .filter(|h| pred(h))
            .map(|h| h.name.clone())
            .collect()
    };
    let affected_hosts = names_where(&|h| h.affected);
    let unaffected_hosts = names_where(&|h| !h.affected && h.change.is_none());
    let added_hosts = names_where(&|h| h.change == Some(HostChange::Added));
    let removed_hosts = names_where(&|h| h.change == Some(HostChange::Removed));
    let mut affected_modules: BTreeSet<String> = affected_modules(head, &changed, &affected_hosts)
        .into_iter()
        .collect();
    if let Some(b) = base {
        affected_modules.extend(self::affected_modules(b, &changed, &affected_hosts));
    }
    let diagnostics = head
        .diagnostics
        .iter()
        .filter(|d| d.level != crate::flake::Level::Info || changed.iter().any(|c| c == &d.file))
        .cloned()
        .collect();
    let findings = if opts.no_categories {
        vec![]
    } else {
        let f = category::findings(head, base, &changed, opts.lock_texts.as_ref());
        crate::timing::phase("categories");
        f
    };
    ImpactReport {
        base: None,
        head: "worktree".into(),
        categories: category::names(&findings),
        category_findings: findings,
        changed_files: changed,
        hosts,
        affected_hosts,
        unaffected_hosts,
        added_hosts,
        removed_hosts,
        affected_modules: affected_modules.into_iter().collect(),
        diagnostics,
        verify: None,
        change: None,
    }
}

/// How the host may read `file` as data besides importing it: a directory
/// copied whole, or a glob of an unresolved path. Any byte of it may matter then.
pub(crate) fn read_as_data(host: &Host, file: &str) -> Option<String> {
    let d = &host.deps;
    if let Some(dir) = d
        .directories
        .iter()
        .find(|dir| dir.is_empty() || file.starts_with(&format!("{dir}/")))
    {
        return Some(format!("inside `{dir}/`, a dependency whole"));
    }
    d.globs
        .iter()
        .find(|g| crate::flake::path::compile_glob(g).is_none_or(|m| m.is_match(file)))
        .map(|g| format!("matched by `{g}`, a path read as data"))
}

/// The text of a parsed `.nix` file of a model's tree.
fn nix_text(m: &FlakeModel, rel: &str) -> Option<String> {
    m.tree
        .as_ref()?
        .nix_file(rel)?
        .root()
        .map(|r| r.text().to_string())
}

/// Whether `host` can only read `file` as Nix code: never named by a path
/// value or read as data, not under a directory or glob it takes whole, no
/// dependency on the whole source, no code that sees source positions.
fn reads_only_code(host: &Host, file: &str) -> bool {
    let d = &host.deps;
    !d.data.contains(file)
        && !d.whole_source
        && !d.layout_sensitive
        && read_as_data(host, file).is_none()
}

/// Per host on both sides: whether its slice of flake.nix differs between
/// the base and the head; `Err` when the edit cannot be attributed.
fn flake_nix_changes(
    base: &FlakeModel,
    head: &FlakeModel,
) -> Result<BTreeMap<String, bool>, String> {
    use crate::flake::slice::{SliceHost, host_slices};
    let text = |m: &FlakeModel| -> Option<String> {
        m.tree
            .as_ref()?
            .nix_file("flake.nix")?
            .root()
            .map(|r| r.text().to_string())
    };
    let (Some(bt), Some(ht)) = (text(base), text(head)) else {
        return Err("one side of flake.nix does not parse".into());
    };
    let slices = |m: &FlakeModel, t: &str| {
        let hosts: Vec<SliceHost<'_>> = m
            .hosts
            .iter()
            .map(|h| SliceHost {
                name: &h.name,
                kind: &h.kind,
                inputs: &h.deps.inputs,
            })
            .collect();
        host_slices(t, &hosts)
    };
    let (b, h) = (slices(base, &bt)?, slices(head, &ht)?);
    Ok(h.iter()
        .filter_map(|(name, slice)| {
            let old = b.get(name)?;
            // Code that sees positions sees a moved line as a change.
            let sees = |m: &FlakeModel| m.host(name).is_some_and(|x| x.deps.layout_sensitive);
            let differ = if sees(base) || sees(head) {
                old.placed != slice.placed
            } else {
                old.code != slice.code
            };
            Some((name.clone(), differ))
        })
        .collect())
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
