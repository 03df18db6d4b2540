//! Ground truth for the soundness test, from real Nix: a copy of the example
//! flake in a temporary git repository, probes that edit or add one file, and
//! what each probe does to every host (drvPath changes, files the evaluation reads).
pub mod oracle;
pub mod repo;
pub mod run;

pub use oracle::{Oracle, ProbeTruth};
pub use repo::{ProbeKind, Repo};

use std::collections::BTreeSet;

/// The bundled example flake, as shipped.
pub fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example")
}

/// `a, b` or `-` for an empty set, for the tables printed to stderr.
pub fn show(hosts: &BTreeSet<String>) -> String {
    if hosts.is_empty() {
        "-".to_string()
    } else {
        hosts.iter().cloned().collect::<Vec<_>>().join(",")
    }
}
