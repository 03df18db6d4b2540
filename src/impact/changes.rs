//! Every active change at once (`impact --changes`): each change's hosts
//! and modules from its declared and computed scope, and the pairs of open
//! changes that overlap, by file, by host or by requirement, so that two
//! changes touching the same thing are seen before either is archived.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::change::{ChangeImpact, combine, declared_scopes};
use super::{ImpactError, Request, analyze, load_base};
use crate::flake::FlakeModel;

/// An active change as this module needs it.
pub struct ChangeInput {
    /// The change id.
    pub id: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Its recorded base revision, if any.
    pub base: Option<String>,
    /// The requirements its deltas touch, as `capability: name` (lowercase,
    /// spaces collapsed).
    pub requirements: Vec<String>,
}

/// One change's answer.
#[derive(Debug, Serialize)]
pub struct ChangeSummary {
    /// The change id.
    pub id: String,
    /// Hosts from either source.
    pub hosts: Vec<String>,
    /// Modules from either source.
    pub modules: Vec<String>,
    /// Declared paths and changed files.
    pub files: Vec<String>,
    /// The requirements its deltas touch.
    pub requirements: Vec<String>,
    /// Both sources in full.
    pub impact: ChangeImpact,
}

/// Two changes that touch the same thing.
#[derive(Debug, Serialize)]
pub struct Overlap {
    /// One change id.
    pub a: String,
    /// The other (after `a` in id order).
    pub b: String,
    /// Files both touch (a directory of one covering a file of the other counts).
    pub files: Vec<String>,
    /// Hosts both affect.
    pub hosts: Vec<String>,
    /// Requirements both change.
    pub requirements: Vec<String>,
}

/// `impact --changes --json`.
#[derive(Debug, Serialize)]
pub struct ChangesReport {
    /// Per change, in id order.
    pub changes: Vec<ChangeSummary>,
    /// Pairs that overlap.
    pub overlaps: Vec<Overlap>,
}

/// The answer for every change in `changes`, on the model `head` of the
/// flake at `flake_dir`. Base models are read once per distinct base.
///
/// Errors: a recorded base git cannot resolve.
pub fn all_changes(
    head: &FlakeModel,
    flake_dir: &Path,
    changes: &[ChangeInput],
) -> Result<ChangesReport, ImpactError> {
    let dirs: Vec<&Path> = changes.iter().map(|c| c.dir.as_path()).collect();
    let declared = declared_scopes(head, flake_dir, &dirs);
    let mut bases: BTreeMap<String, Option<FlakeModel>> = BTreeMap::new();
    let mut out = vec![];
    for (c, (scope, _)) in changes.iter().zip(declared) {
        let impact = match &c.base {
            Some(base) => {
                let selection = Request {
                    recorded_base: Some(base.clone()),
                    ..Default::default()
                }
                .resolve(flake_dir)?;
                let key = selection.base.clone().unwrap_or_default();
                if !bases.contains_key(&key) {
                    bases.insert(key.clone(), load_base(flake_dir, &selection, head)?);
                }
                let mut rep = analyze(
                    head,
                    bases[&key].as_ref(),
                    &selection.changed,
                    &selection.options,
                );
                rep.base = selection.base.clone();
                combine(&c.id, scope, Some(&mut rep))
            }
            None => combine(&c.id, scope, None),
        };
        let mut hosts: BTreeSet<String> = impact.declared.hosts.iter().cloned().collect();
        let mut modules: BTreeSet<String> = impact.declared.modules.iter().cloned().collect();
        let mut files: BTreeSet<String> = impact
            .declared
            .paths
            .iter()
            .map(|p| p.declared.path.clone())
            .collect();
        if let Some(comp) = &impact.computed {
            hosts.extend(comp.hosts.iter().cloned());
            modules.extend(comp.modules.iter().cloned());
            files.extend(comp.files.iter().cloned());
        }
        out.push(ChangeSummary {
            id: c.id.clone(),
            hosts: hosts.into_iter().collect(),
            modules: modules.into_iter().collect(),
            files: files.into_iter().collect(),
            requirements: c.requirements.clone(),
            impact,
        });
    }
    out.sort_by(|x, y| x.id.cmp(&y.id));
    let overlaps = overlaps(&out);
    Ok(ChangesReport {
        changes: out,
        overlaps,
    })
}

fn overlaps(changes: &[ChangeSummary]) -> Vec<Overlap> {
    let covers = |a: &str, b: &str| {
        let (a, b) = (a.trim_end_matches('/'), b.trim_end_matches('/'));
        a == b || b.starts_with(&format!("{a}/")) || a.starts_with(&format!("{b}/"))
    };
    let mut out = vec![];
    for (i, a) in changes.iter().enumerate() {
        for b in &changes[i + 1..] {
            let files: BTreeSet<String> = a
                .files
                .iter()
                .filter(|f| b.files.iter().any(|g| covers(f, g)))
                .cloned()
                .collect();
            let hosts: Vec<String> = a
                .hosts
                .iter()
                .filter(|h| b.hosts.contains(h))
                .cloned()
                .collect();
            let requirements: Vec<String> = a
                .requirements
                .iter()
                .filter(|r| b.requirements.contains(r))
                .cloned()
                .collect();
            if !files.is_empty() || !hosts.is_empty() || !requirements.is_empty() {
                out.push(Overlap {
                    a: a.id.clone(),
                    b: b.id.clone(),
                    files: files.into_iter().collect(),
                    hosts,
                    requirements,
                });
            }
        }
    }
    out
}

/// A requirement's identity across changes: its capability and its name,
/// lowercase with runs of whitespace collapsed.
pub fn requirement_key(capability: &str, name: &str) -> String {
    let name = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    format!("{capability}: {name}")
}
