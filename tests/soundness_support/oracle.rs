//! The judge: for every probe, which hosts' drvPaths change, and which hosts'
//! evaluations read the probed file (`evaluating file` and `copied source`
//! lines of a `-vvvvv` trace, mapped back from /nix/store/<hash>-source/).
use std::collections::{BTreeMap, BTreeSet};

use super::repo::{Probe, ProbeKind, Repo};

#[derive(Debug, Clone)]
pub struct ProbeTruth {
    pub probe: Probe,
    /// Hosts whose toplevel drvPath differs from the baseline (or stops evaluating).
    pub changed: BTreeSet<String>,
    /// Hosts whose evaluation reads the file (for an added file: a directory it lies in is copied whole).
    pub readers: BTreeSet<String>,
}

impl ProbeTruth {
    /// What a sound file-level analysis must report: every host that changed or reads the file.
    pub fn must_affect(&self) -> BTreeSet<String> {
        self.changed.union(&self.readers).cloned().collect()
    }
}

pub struct Oracle {
    pub hosts: Vec<String>,
    pub baseline: BTreeMap<String, String>,
    /// Per host: repository files its evaluation reads.
    pub reads: BTreeMap<String, BTreeSet<String>>,
    /// Per host: directories its evaluation copies whole into the store (with a trailing `/`).
    pub copied_dirs: BTreeMap<String, BTreeSet<String>>,
    pub probes: Vec<ProbeTruth>,
}

impl Oracle {
    /// Runs every probe against a fresh copy of `fixture`.
    pub fn compute(fixture: &std::path::Path) -> Oracle {
        let repo = Repo::copy_of(fixture);
        let hosts = repo.host_names();
        let tracked = repo.tracked_files();
        let baseline: BTreeMap<String, String> = repo
            .drv_paths(&hosts)
            .into_iter()
            .map(|(h, d)| {
                (
                    h.clone(),
                    d.unwrap_or_else(|e| panic!("baseline of {h} does not evaluate: {e}")),
                )
            })
            .collect();

        let mut reads = BTreeMap::new();
        let mut copied_dirs = BTreeMap::new();
        for h in &hosts {
            let (files, dirs) = parse_trace(&repo.eval_trace(h), &tracked);
            reads.insert(h.clone(), files);
            copied_dirs.insert(h.clone(), dirs);
        }

        let mut probes = Vec::new();
        for probe in Probe::all(&repo.root, &tracked) {
            let now = {
                let _applied = probe.apply(&repo);
                repo.drv_paths(&hosts)
            };
            let changed = hosts
                .iter()
                .filter(|h| now.get(*h).and_then(|d| d.as_ref().ok()) != baseline.get(*h))
                .cloned()
                .collect();
            let readers = hosts
                .iter()
                .filter(|h| match probe.kind {
                    ProbeKind::Edit | ProbeKind::GateBody => reads[*h].contains(&probe.path),
                    ProbeKind::Add => copied_dirs[*h]
                        .iter()
                        .any(|d| probe.path.starts_with(d.as_str())),
                })
                .cloned()
                .collect();
            probes.push(ProbeTruth {
                probe,
                changed,
                readers,
            });
        }
        Oracle {
            hosts,
            baseline,
            reads,
            copied_dirs,
            probes,
        }
    }

    pub fn truth(&self, kind: ProbeKind, path: &str) -> &ProbeTruth {
        self.probes
            .iter()
            .find(|t| t.probe.kind == kind && t.probe.path == path)
            .unwrap_or_else(|| panic!("no {kind:?} probe for {path}"))
    }
}

/// Repository files read and directories copied whole, from a `-vvvvv` trace.
fn parse_trace(trace: &str, tracked: &[String]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut files = BTreeSet::new();
    let mut dirs = BTreeSet::new();
    for line in trace.lines() {
        let quoted = if let Some(rest) = line.strip_prefix("evaluating file '") {
            rest
        } else if let Some(rest) = line.strip_prefix("copied source '") {
            rest
        } else {
            continue;
        };
        let Some(path) = quoted.split('\'').next() else {
            continue;
        };
        let Some(rel) = repo_relative(path) else {
            continue;
        };
        if tracked.contains(&rel) {
            files.insert(rel);
        } else {
            let dir = format!("{rel}/");
            let below: Vec<&String> = tracked.iter().filter(|t| t.starts_with(&dir)).collect();
            if !below.is_empty() {
                files.extend(below.into_iter().cloned());
                dirs.insert(dir);
            }
        }
    }
    (files, dirs)
}

/// `/nix/store/<hash>-source/a/b.nix` -> `a/b.nix`.
fn repo_relative(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/nix/store/")?;
    let (name, rel) = rest.split_once('/')?;
    name.ends_with("-source").then(|| rel.to_string())
}
