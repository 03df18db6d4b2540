//! The project's Nix files parse with real Nix, and flake.lock pins nixpkgs to
//! the shared lock entry in a form Nix accepts without re-locking.
mod flake_support;

use flake_support::*;

/// Our Nix code and our fixtures. Other areas' fixtures under tests/fixtures
/// may be broken on purpose (an unparsable module is test data there).
fn own_nix_files() -> Vec<std::path::PathBuf> {
    project_files()
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "nix"))
        .filter(|p| {
            !p.starts_with("tests/fixtures")
                || p.starts_with("tests/fixtures/nixpkgs-stub")
                || p.starts_with("tests/fixtures/consumer")
        })
        .collect()
}

#[test]
fn every_nix_file_of_the_project_parses() {
    let files = own_nix_files();
    for expected in [
        "flake.nix",
        "nix/package.nix",
        "nix/checks.nix",
        "nix/lib.nix",
        "nix/flake-module.nix",
        "nix/systems.nix",
        "tests/fixtures/nixpkgs-stub/flake.nix",
        "tests/fixtures/consumer/flake.nix",
    ] {
        assert!(
            files.iter().any(|f| f == std::path::Path::new(expected)),
            "{expected} is not among the project's files: {files:?}"
        );
    }
    for rel in &files {
        let out = nix_cmd("nix-instantiate")
            .arg("--parse")
            .arg(repo_root().join(rel))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{} does not parse:\n{}",
            rel.display(),
            stderr(&out)
        );
    }
}

#[test]
fn nix_instantiate_rejects_a_broken_file() {
    // The parse check above would be worthless if a broken file passed.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.nix");
    std::fs::write(&bad, "{ a = ; }").unwrap();
    let out = nix_cmd("nix-instantiate")
        .arg("--parse")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// The published nixpkgs lock entry the flake pins (a copy of the project's
/// shared docs entry, kept in the repository so a clean clone can check it;
/// where the shared docs sit beside the checkout, the copy must equal them).
fn shared_lock_entry() -> serde_json::Value {
    let read = |path: std::path::PathBuf| -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(&path).ok()?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Some(doc["nixpkgs"].clone())
    };
    let copy = read(repo_root().join("tests/fixtures/nixpkgs-lock.json"))
        .expect("tests/fixtures/nixpkgs-lock.json is in the repository");
    if let Some(shared) = read(repo_root().join("../shared/docs/nixpkgs-lock.json")) {
        assert_eq!(
            copy, shared,
            "tests/fixtures/nixpkgs-lock.json differs from ../shared/docs/nixpkgs-lock.json"
        );
    }
    copy
}

#[test]
fn flake_lock_pins_nixpkgs_to_the_shared_entry() {
    let text = std::fs::read_to_string(repo_root().join("flake.lock")).unwrap();
    let lock: serde_json::Value = serde_json::from_str(&text).expect("flake.lock is not JSON");
    assert_eq!(lock["version"], 7);
    let root = lock["root"].as_str().unwrap();
    let node_name = lock["nodes"][root]["inputs"]["nixpkgs"]
        .as_str()
        .expect("the root node has a nixpkgs input");
    let node = &lock["nodes"][node_name];
    let shared = shared_lock_entry();
    assert_eq!(node["locked"], shared["locked"]);
    assert_eq!(node["original"], shared["original"]);
    // Only nixpkgs: the root and its one input.
    assert_eq!(lock["nodes"].as_object().unwrap().len(), 2);
}

#[test]
fn nix_accepts_flake_lock_without_relocking() {
    // Offline, with the lock left as it is: Nix fails here if flake.nix's
    // inputs and flake.lock disagree (it would have to fetch to re-lock).
    let flakes = Flakes::new();
    let mut cmd = nix_cmd("nix");
    cmd.args(["flake", "metadata", "--json", "--no-update-lock-file"])
        .arg(format!("path:{}", flakes.repo.display()));
    let meta: serde_json::Value = serde_json::from_slice(&run_ok(&mut cmd).stdout).unwrap();
    let shared = shared_lock_entry();
    assert_eq!(
        meta["locks"]["nodes"]["nixpkgs"]["locked"],
        shared["locked"]
    );
    assert_eq!(
        meta["description"]
            .as_str()
            .map(|d| d.starts_with("openspec")),
        Some(true)
    );
}
