//! Validating many items at once: changes with their tracked kind, specs,
//! in parallel (rayon), each with its own verdict and timing.
use std::collections::HashMap;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use super::tracking::Tracking;
use crate::spec::repo::{Change, LoadedSpec, Repo};
use crate::spec::validate::{Issue, Level, Rules, passes, validate_change, validate_spec};

/// Whether an item is a change or a spec; also the `--type` flag's values.
/// Variants carry no doc comments on purpose: clap would show them in
/// `--help`, whose text stays a plain list of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ItemType {
    Change,
    Spec,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::Change => "change",
            ItemType::Spec => "spec",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub id: String,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub valid: bool,
    pub issues: Vec<Issue>,
    #[serde(rename = "durationMs")]
    pub duration_ms: f64,
}

/// Validate `changes` and `specs` (ids); reports in that order.
pub fn check(repo: &Repo, changes: &[String], specs: &[String], rules: Rules) -> Vec<ItemReport> {
    let loaded: Vec<(Change, f64)> = changes
        .par_iter()
        .map(|id| {
            let t = Instant::now();
            let c = repo.load_change(id);
            (c, t.elapsed().as_secs_f64() * 1000.0)
        })
        .collect();
    let mut wanted: Vec<String> = specs.to_vec();
    for (c, _) in &loaded {
        for d in &c.deltas {
            if !wanted.contains(&d.capability) && repo.spec_exists(&d.capability) {
                wanted.push(d.capability.clone());
            }
        }
    }
    let main: HashMap<String, (LoadedSpec, f64)> = wanted
        .par_iter()
        .map(|id| {
            let t = Instant::now();
            let s = repo.load_spec(id);
            (id.clone(), (s, t.elapsed().as_secs_f64() * 1000.0))
        })
        .collect();
    let lookup = |cap: &str| main.get(cap).map(|(s, _)| &s.spec);
    let mut out: Vec<ItemReport> = loaded
        .par_iter()
        .map(|(c, load_ms)| {
            let t = Instant::now();
            let mut issues = Vec::new();
            let kind = match Tracking::load(&c.dir) {
                Ok(t) => t.map(|t| t.kind),
                Err(e) => {
                    issues.push(Issue {
                        level: Level::Error,
                        path: format!("{}/{}", c.rel, super::tracking::FILE),
                        message: e.to_string(),
                        line: None,
                    });
                    None
                }
            };
            issues.extend(validate_change(c, &lookup, rules, kind));
            ItemReport {
                id: c.id.clone(),
                item_type: ItemType::Change,
                valid: passes(&issues, rules.strict),
                issues,
                duration_ms: load_ms + t.elapsed().as_secs_f64() * 1000.0,
            }
        })
        .collect();
    out.extend(
        specs
            .par_iter()
            .filter_map(|id| main.get(id))
            .map(|(s, load_ms)| {
                let t = Instant::now();
                let issues = validate_spec(s, rules);
                ItemReport {
                    id: s.id.clone(),
                    item_type: ItemType::Spec,
                    valid: passes(&issues, rules.strict),
                    issues,
                    duration_ms: load_ms + t.elapsed().as_secs_f64() * 1000.0,
                }
            })
            .collect::<Vec<_>>(),
    );
    out
}
