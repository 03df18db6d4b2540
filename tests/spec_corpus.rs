//! A corpus shaped like pantherOS's openspec/ (tests/fixtures/openspec-pantheros):
//! proposals without Why, prose task lists, changes without deltas, `### Topic`
//! headers, a delta file copied into main specs, spec.md at a change root,
//! .nix files under specs/. Everything is read, nothing crashes, and each item
//! gets the verdict the rules give.
mod spec_support;

use std::collections::BTreeMap;
use std::path::Path;

use spec_support::Tree;

fn corpus() -> Tree {
    let t = Tree {
        dir: tempfile::tempdir().unwrap(),
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openspec-pantheros");
    for e in walkdir::WalkDir::new(&src).into_iter().map(|e| e.unwrap()) {
        let rel = e.path().strip_prefix(&src).unwrap();
        let dst = t.root().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
    // Bytes a text fixture cannot hold: a proposal that is not UTF-8.
    t.write(
        "openspec/changes/bad-bytes/proposal.md",
        b"# Change: \xff\xfe broken\n",
    );
    t.write("openspec/changes/bad-bytes/specs/ci/spec.md", "## ADDED Requirements\n### Requirement: Cache\nCI SHALL use a cache.\n#### Scenario: s\n- ok\n");
    t
}

fn verdicts(t: &Tree, args: &[&str]) -> (i32, BTreeMap<String, bool>, serde_json::Value) {
    let (code, v) = t.json(args);
    let map = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["valid"].as_bool().unwrap(),
            )
        })
        .collect();
    (code, map, v)
}

fn expect(pairs: &[(&str, bool)]) -> BTreeMap<String, bool> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn verdicts_under_1x_strict_and_legacy_rules() {
    let t = corpus();
    let (code, got, v) = verdicts(&t, &["validate", "--all"]);
    assert_eq!(code, 1);
    assert_eq!(
        got,
        expect(&[
            ("add-niri-shell", false),
            ("add-zephyrus-facter", true),
            ("bad-bytes", false),
            ("harden-ssh", false),
            ("notes-only", false),
            ("refactor-module-tree", true),
            ("reorganize-hosts", false),
            ("tracked-security", true),
            ("ci", false),
            ("desktop", true),
            ("hardware-discovery", true),
            ("module-system", true),
            ("networking", true),
            ("secrets", false),
        ]),
        "{v}"
    );
    assert!(
        spec_support::has(
            &v,
            "INFO",
            "`### SSH keys only` is not a requirement header"
        ),
        "{v}"
    );
    assert!(
        spec_support::has(&v, "INFO", "spec.md at the change root is not a delta"),
        "{v}"
    );
    assert!(
        spec_support::has(&v, "INFO", "not a delta spec"),
        ".nix under specs/: {v}"
    );
    assert!(
        spec_support::has(
            &v,
            "ERROR",
            "delta header `## ADDED Requirements` in a main spec"
        ),
        "{v}"
    );
    assert!(spec_support::has(&v, "ERROR", "not valid UTF-8"), "{v}");
    assert!(
        spec_support::has(&v, "WARNING", "no `## Risk Assessment` section"),
        "{v}"
    );

    let (_, got, _) = verdicts(&t, &["validate", "--all", "--strict"]);
    assert!(!got["desktop"] && !got["tracked-security"]);
    // 1.13.2: list items without one checkbox in tasks.md are a warning.
    assert!(!got["refactor-module-tree"]);
    assert!(got["add-zephyrus-facter"] && got["networking"]);

    let (_, got, v) = verdicts(&t, &["validate", "--all", "--legacy"]);
    assert!(
        !got.contains_key("notes-only"),
        "legacy: no proposal.md, no change: {v}"
    );
    assert!(!got["desktop"], "legacy: missing SHALL is an error");
    assert_eq!(got.len(), 13);
}

#[test]
fn every_command_reads_the_corpus_without_crashing() {
    let t = corpus();
    let (code, v) = t.json(&["list"]);
    assert_eq!(code, 0);
    let statuses: BTreeMap<String, String> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        statuses["refactor-module-tree"], "no-tasks",
        "prose task lists have no checkboxes"
    );
    assert_eq!(statuses["add-zephyrus-facter"], "in-progress");
    assert_eq!(
        t.json(&["list", "--specs"]).1["specs"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(t.json(&["view"]).0, 0);
    for id in statuses.keys() {
        let (code, v) = t.json(&["show", id]);
        assert!(code == 0 || code == 1, "{id}: {v}");
        // As 1.13.2, `--deltas-only` too needs a readable proposal with Why and What Changes.
        let (code, v) = t.json(&["show", id, "--deltas-only"]);
        assert!(
            code == 0 || (code == 1 && v["status"][0]["code"] == "show_error"),
            "{id}: {v}"
        );
    }
    let (code, v) = t.json(&["show", "secrets"]);
    assert_eq!(code, 0);
    assert_eq!(v["requirementCount"], 0);
}

#[test]
fn archive_verdicts_on_the_corpus() {
    let t = corpus();
    // MODIFIED "Aggregators" targets a `### Aggregators` topic, which is no
    // `### Requirement:` block, so the merge refuses and writes nothing.
    let snap = t.snapshot();
    let (code, v) = t.json(&["archive", "refactor-module-tree", "--yes"]);
    assert_eq!(code, 1);
    assert!(
        v["status"][0]["message"]
            .as_str()
            .unwrap()
            .contains("MODIFIED \"Aggregators\" is not in the spec"),
        "{v}"
    );
    assert_eq!(t.snapshot(), snap);

    let (code, v) = t.json(&["archive", "add-zephyrus-facter", "--yes"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["archive"]["totals"]["added"], 1);
    assert!(
        t.read("openspec/specs/hardware-discovery/spec.md")
            .contains("### Requirement: Report path wired")
    );
    let (code, _) = t.json(&["validate", "hardware-discovery", "--strict"]);
    assert_eq!(code, 0);
}
