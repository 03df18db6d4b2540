//! Soundness of static impact on the flake-parts layouts against real Nix
//! 2.8: tests/fixtures/layouts/flake-parts (hosts as their own modules, a
//! directory module, a list in `imports`, `withSystem` reading perSystem
//! values, `config.flake` and `self` reading a module another file defines)
//! and tests/fixtures/layouts/import-tree (the modules found by scanning a
//! folder). The stand-in `mkFlake` is evaluated by real Nix, the hosts
//! build real derivations, and for every single-file edit and every file
//! added to a folder, `impact --files` must name every host whose toplevel
//! drvPath changed.
//! Run with `cargo test --test layouts_soundness -- --nocapture` for the tables.
mod repo_support;
#[allow(dead_code, unused_imports)]
mod soundness_support;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

use soundness_support::{Oracle, ProbeKind, Repo, run, show};

/// The fixture `name` assembled in a temporary folder (see
/// `repo_support::layout_fixture`); the folder lives as long as the guard.
fn fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join(name);
    repo_support::layout_fixture(name, &root);
    (t, root)
}

fn set(hosts: &[&str]) -> BTreeSet<String> {
    hosts.iter().map(|h| h.to_string()).collect()
}

/// `affected_hosts` of `impact --json --files <file>` on `repo`.
fn impact(repo: &Repo, file: &str) -> BTreeSet<String> {
    let args: Vec<OsString> = vec![
        "--root".into(),
        repo.root.clone().into(),
        "impact".into(),
        "--json".into(),
        "--files".into(),
        file.into(),
    ];
    let out = run::openspec(&args).unwrap_or_else(|e| panic!("impact for {file}: {e}"));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "impact for {file}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(out.code, Some(0), "impact for {file}: {doc}");
    doc["affected_hosts"]
        .as_array()
        .unwrap_or_else(|| panic!("no affected_hosts in {doc}"))
        .iter()
        .filter_map(|h| h.as_str().map(str::to_string))
        .collect()
}

/// Every probe's static impact covers the hosts whose drvPath changed; the
/// table goes to stderr. Returns (probe, changed, predicted) per probe.
fn check(name: &str) -> Vec<(String, BTreeSet<String>, BTreeSet<String>)> {
    let (_guard, fixture) = fixture(name);
    let o = Oracle::compute(&fixture);
    let repo = Repo::copy_of(&fixture);
    // The hosts are real: they build.
    let outs = repo
        .build_all(&o.hosts)
        .unwrap_or_else(|e| panic!("building the {name} hosts failed:\n{e}"));
    assert_eq!(outs.len(), o.hosts.len(), "{outs:?}");
    assert!(outs.iter().all(|o| std::path::Path::new(o).exists()));
    let mut rows = vec![];
    let mut misses = vec![];
    for truth in &o.probes {
        if truth.probe.kind == ProbeKind::GateBody {
            continue;
        }
        let _applied = truth.probe.apply(&repo);
        let predicted = impact(&repo, &truth.probe.path);
        let missed: BTreeSet<_> = truth.changed.difference(&predicted).cloned().collect();
        let label = match truth.probe.kind {
            ProbeKind::Add => format!("+{}", truth.probe.path),
            _ => truth.probe.path.clone(),
        };
        if !missed.is_empty() {
            misses.push(format!("{label}: missed {}", show(&missed)));
        }
        rows.push((label, truth.changed.clone(), predicted));
    }
    eprintln!("\n{name}: hosts {}", o.hosts.join(", "));
    eprintln!("{:<48} {:<24} predicted", "probe", "drvPath changed");
    for (label, changed, predicted) in &rows {
        eprintln!("{label:<48} {:<24} {}", show(changed), show(predicted));
    }
    assert!(
        misses.is_empty(),
        "unsound in {name}:\n{}",
        misses.join("\n")
    );
    rows
}

fn row<'a>(
    rows: &'a [(String, BTreeSet<String>, BTreeSet<String>)],
    label: &str,
) -> &'a (String, BTreeSet<String>, BTreeSet<String>) {
    rows.iter()
        .find(|(l, _, _)| l == label)
        .unwrap_or_else(|| panic!("no probe {label}"))
}

#[test]
fn flake_parts_hosts_are_sound_and_start_at_their_own_module() {
    let rows = check("flake-parts");
    // The ground truth has the shape the fixture was written for, so the
    // soundness above means something.
    let (_, changed, predicted) = row(&rows, "hosts/alpha/configuration.nix");
    assert_eq!(changed, &set(&["alpha"]));
    assert_eq!(
        predicted,
        &set(&["alpha", "beta"]),
        "beta reads every module"
    );
    let (_, changed, _) = row(&rows, "parts/per-system.nix");
    assert_eq!(changed, &set(&["beta"]));
    let (_, changed, _) = row(&rows, "modules/common.nix");
    assert_eq!(changed, &set(&["alpha", "gamma"]));
    // Precision: a host's own module names no other host that does not read
    // every module, and a module no host imports affects only the widened one.
    let (_, _, predicted) = row(&rows, "hosts/gamma/configuration.nix");
    assert_eq!(predicted, &set(&["beta", "gamma"]));
    let (_, _, predicted) = row(&rows, "modules/unused.nix");
    assert_eq!(predicted, &set(&["beta"]));
}

#[test]
fn import_tree_hosts_are_sound() {
    let rows = check("import-tree");
    let (_, changed, _) = row(&rows, "modules/hosts/alpha.nix");
    assert_eq!(changed, &set(&["alpha"]));
    // The module that defines `flake.nixosModules.base` is a dependency of
    // the hosts that read it through `config.flake`.
    let (_, changed, predicted) = row(&rows, "modules/nixos/base.nix");
    assert_eq!(changed, &set(&["alpha", "beta"]));
    assert_eq!(predicted, &set(&["alpha", "beta"]));
    // import-tree skips names starting with `_`: no module, no host.
    let (_, _, predicted) = row(&rows, "modules/_private/notes.nix");
    assert!(predicted.is_empty(), "{predicted:?}");
    // A new module in a scanned folder reaches every host the scan serves.
    let (_, _, predicted) = row(&rows, "+modules/hosts/openspec-probe.nix");
    assert_eq!(predicted, &set(&["alpha", "beta"]));
}
