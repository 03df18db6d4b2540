//! `init`, `new`/`spec-gen`, `list`, `show`, `view` through the real binary.
mod spec_support;

use serde_json::json;
use spec_support::{Tree, main_spec, req};

const OK: &str = "The system SHALL work.";

fn bare() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn run_in(dir: &std::path::Path, args: &[&str]) -> (i32, serde_json::Value) {
    let out = assert_cmd::Command::cargo_bin("openspec")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

#[test]
fn init_creates_the_layout_and_is_idempotent() {
    let d = bare();
    let (code, v) = run_in(d.path(), &["init"]);
    assert_eq!(code, 0, "{v}");
    for p in ["openspec/specs", "openspec/changes/archive"] {
        assert!(d.path().join(p).is_dir(), "{p}");
    }
    let config = std::fs::read_to_string(d.path().join("openspec/config.yaml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&config).unwrap();
    assert_eq!(yaml["schema"], "spec-driven");
    assert!(d.path().join("openspec/project.md").is_file());
    std::fs::write(d.path().join("openspec/project.md"), "mine").unwrap();
    let (code, v) = run_in(d.path(), &["init"]);
    assert_eq!(code, 0);
    assert_eq!(v["created"], json!([]));
    assert_eq!(
        std::fs::read_to_string(d.path().join("openspec/project.md")).unwrap(),
        "mine"
    );
}

fn sections(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("## "))
        .map(|l| l[3..].to_string())
        .collect()
}

#[test]
fn new_writes_kind_templates_tasks_delta_and_tracking() {
    let t = Tree::new();
    let expect = [
        (
            "hardware",
            "# Hardware Change: ",
            vec![
                "Current State",
                "Proposed Changes",
                "Impact Analysis",
                "Implementation Plan",
            ],
            Some(1),
        ),
        (
            "module",
            "# Module Interface: ",
            vec![
                "Current Interface",
                "Proposed Interface",
                "Migration Path",
                "Testing Requirements",
            ],
            Some(2),
        ),
        (
            "security",
            "# Security Model: ",
            vec![
                "Current Security Model",
                "Proposed Security Changes",
                "Risk Assessment",
                "Implementation Requirements",
            ],
            None,
        ),
        (
            "host",
            "# Host Configuration: ",
            vec![
                "Current Configuration",
                "Proposed Configuration",
                "Affected Hosts",
                "Deployment Plan",
            ],
            Some(3),
        ),
        (
            "skill",
            "# Skill: ",
            vec![
                "Skill Purpose",
                "Skill Interface",
                "Integration Points",
                "Testing Requirements",
            ],
            None,
        ),
        ("change", "# Change: ", vec![], None),
    ];
    for (kind, heading, own, phase) in expect {
        let id = format!("try-{kind}");
        let (code, v) = t.json(&["new", &id, "--kind", kind]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["kind"], kind);
        let dir = format!("openspec/changes/{id}");
        let proposal = t.read(&format!("{dir}/proposal.md"));
        assert!(proposal.starts_with(heading), "{proposal}");
        let mut want = vec!["Why".to_string(), "What Changes".to_string()];
        want.extend(own.iter().map(|s| s.to_string()));
        want.push("Impact".into());
        assert_eq!(sections(&proposal), want, "{kind}");
        let tasks = t.read(&format!("{dir}/tasks.md"));
        assert_eq!(
            sections(&tasks),
            ["1. Implementation", "2. Testing", "3. Rollback"]
        );
        assert!(
            t.read(&format!("{dir}/specs/{id}/spec.md"))
                .starts_with("## ADDED Requirements\n### Requirement: ")
        );
        let tracking: serde_json::Value =
            serde_json::from_str(&t.read(&format!("{dir}/tracking.json"))).unwrap();
        assert_eq!(tracking["kind"], kind);
        assert_eq!(tracking["state"], "draft");
        assert_eq!(
            tracking
                .get("phase")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
            json!(phase)
        );
        let meta = t.read(&format!("{dir}/.openspec.yaml"));
        assert!(
            meta.starts_with("schema: spec-driven\ncreated: "),
            "no openspec keys of ours: {meta}"
        );
        // A fresh template is structurally valid, and --strict asks for it to be filled in.
        let (code, r) = t.json(&["validate", &id]);
        assert_eq!(code, 0, "{r}");
        let (code, _) = t.json(&["validate", &id, "--strict"]);
        assert_eq!(code, 1);
    }
    // The hardware template carries the process document's bullets.
    let hw = t.read("openspec/changes/try-hardware/proposal.md");
    assert!(hw.contains("## Implementation Plan\n- Step-by-step implementation\n- Rollback procedures\n- Testing requirements\n"), "{hw}");
}

#[test]
fn new_phase_title_capability_and_alias() {
    let t = Tree::new();
    let out = t
        .cmd()
        .args([
            "spec-gen",
            "tune-disks",
            "--kind",
            "hardware",
            "--phase",
            "2",
            "--title",
            "Tune the disks",
            "--capability",
            "storage/disks",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        t.read("openspec/changes/tune-disks/proposal.md")
            .starts_with("# Hardware Change: Tune the disks\n")
    );
    assert!(
        t.path("openspec/changes/tune-disks/specs/storage/disks/spec.md")
            .is_file()
    );
    assert!(
        t.read("openspec/changes/tune-disks/tracking.json")
            .contains("\"phase\": 2")
    );
    let (code, _) = t.json(&["new", "x", "--phase", "4"]);
    assert_eq!(code, 2, "clap rejects phase 4");
}

#[test]
fn new_refuses_bad_or_existing_ids_and_leaves_nothing() {
    let t = Tree::new();
    assert_eq!(t.json(&["new", "taken"]).0, 0);
    let snap = t.snapshot();
    for (id, needle) in [
        ("../escape", "not a valid name"),
        ("a/b", "not kebab-case"),
        ("Upper", "not kebab-case"),
        ("a--b", "not kebab-case"),
        ("taken", "already exists"),
        ("archive/x", "not kebab-case"),
    ] {
        let (code, v) = t.json(&["new", id]);
        assert_eq!(code, 1, "{id}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(needle),
            "{id}: {v}"
        );
        assert_eq!(t.snapshot(), snap, "{id}");
    }
    let long = "a".repeat(201);
    assert_eq!(t.json(&["new", &long]).0, 1);
    let d = bare();
    std::fs::write(d.path().join("flake.nix"), "{ }").unwrap();
    let (code, v) = run_in(d.path(), &["new", "x"]);
    assert_eq!(code, 2, "no openspec/: {v}");
}

#[test]
fn new_failing_midway_leaves_nothing() {
    let t = Tree::new();
    let snap = t.snapshot();
    let out = t
        .cmd()
        .args(["new", "half", "--json"])
        .env("OPENSPEC_FAULT_WRITE", "tasks.md")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was created"),
        "{v}"
    );
    assert_eq!(t.snapshot(), snap);
}

fn sample() -> Tree {
    let t = Tree::new();
    t.spec(
        "auth",
        &main_spec(
            "auth",
            &[
                &req("Login", OK, &["ok", "fail"]),
                &req("Logout", OK, &["ok"]),
            ],
        ),
    );
    t.spec(
        "net/firewall",
        &main_spec("net/firewall", &[&req("Ports", OK, &["ssh"])]),
    );
    t.change(
        "b-change",
        &[(
            "auth",
            &format!(
                "## ADDED Requirements\n{}\n## REMOVED Requirements\n- `### Requirement: Logout`\n## RENAMED Requirements\n- FROM: `### Requirement: Login`\n- TO: `### Requirement: Sign in`\n",
                req("Tokens", "The system SHALL issue tokens.", &["issue"])
            ),
        )],
    );
    t.write(
        "openspec/changes/b-change/tasks.md",
        "## 1. Work\n- [x] 1.1 a\n- [ ] 1.2 b\n  - [X] 1.3 c\n",
    );
    t.write(
        "openspec/changes/a-change/proposal.md",
        "# Change: No why\n",
    );
    t.write(
        "openspec/changes/c-change/proposal.md",
        spec_support::PROPOSAL,
    );
    t.write("openspec/changes/c-change/tasks.md", "- [x] done\n");
    t.write("openspec/changes/.hidden/proposal.md", "x");
    t
}

#[test]
fn list_changes_and_specs() {
    let t = sample();
    let (code, v) = t.json(&["list", "--sort", "name"]);
    assert_eq!(code, 0);
    let rows = v["changes"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a-change", "b-change", "c-change"]);
    assert_eq!(
        (rows[0]["status"].as_str(), rows[0]["totalTasks"].as_u64()),
        (Some("no-tasks"), Some(0))
    );
    assert_eq!(
        (
            rows[1]["status"].as_str(),
            rows[1]["completedTasks"].as_u64(),
            rows[1]["totalTasks"].as_u64()
        ),
        (Some("in-progress"), Some(2), Some(3))
    );
    assert_eq!(rows[2]["status"], "complete");
    assert!(rows[0]["lastModified"].as_str().unwrap().ends_with('Z'));
    let (_, v) = t.json(&["list", "--specs"]);
    assert_eq!(
        v["specs"],
        json!([{"id": "auth", "requirementCount": 2}, {"id": "net/firewall", "requirementCount": 1}])
    );
    assert_eq!(v["root"]["source"], "flag");
}

#[test]
fn list_recent_puts_the_newest_change_first() {
    let t = sample();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for id in ["a-change", "b-change", "c-change"] {
        for e in walkdir::WalkDir::new(t.path(&format!("openspec/changes/{id}")))
            .into_iter()
            .flatten()
        {
            let f = std::fs::File::options().read(true).open(e.path()).unwrap();
            f.set_modified(old).unwrap();
        }
    }
    t.write("openspec/changes/b-change/design.md", "new");
    let (_, v) = t.json(&["list"]);
    assert_eq!(v["changes"][0]["name"], "b-change");
}

#[test]
fn show_change_json_and_deltas_only() {
    let t = sample();
    let (code, v) = t.json(&["show", "b-change"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["id"], "b-change");
    assert_eq!(v["title"], "Test change");
    assert_eq!(v["deltaCount"], 3);
    assert_eq!(
        v["deltas"][0],
        json!({"spec": "auth", "operation": "ADDED", "description": "Add requirement: Tokens",
               "requirement": {"text": "The system SHALL issue tokens.", "scenarios": [{"rawText": "- **WHEN** x\n- **THEN** y"}]},
               "requirements": [{"text": "The system SHALL issue tokens.", "scenarios": [{"rawText": "- **WHEN** x\n- **THEN** y"}]}]})
    );
    assert_eq!(v["deltas"][1]["operation"], "REMOVED");
    assert_eq!(
        v["deltas"][2]["rename"],
        json!({"from": "Login", "to": "Sign in"})
    );

    // As 1.13.2: the JSON of a change needs Why and What Changes, with
    // --deltas-only too (code show_error).
    for args in [
        &["show", "a-change"][..],
        &["show", "a-change", "--deltas-only"],
    ] {
        let (code, v) = t.json(args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(v["status"][0]["code"], "show_error", "{v}");
        assert!(
            v["status"][0]["message"]
                .as_str()
                .unwrap()
                .contains("no `## Why` or `## What Changes` section"),
            "{v}"
        );
    }
}

#[test]
fn show_spec_json_and_human() {
    let t = sample();
    let (code, v) = t.json(&["show", "net/firewall"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["id"], "net/firewall");
    assert_eq!(v["overview"], spec_support::PURPOSE);
    assert_eq!(v["requirementCount"], 1);
    assert_eq!(v["requirements"][0]["text"], OK);
    let out = t
        .cmd()
        .args(["show", "auth", "--type", "spec"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("# auth Specification"));
    let (code, _) = t.json(&["show", "auth", "--type", "change"]);
    assert_eq!(code, 1);
}

#[test]
fn view_summarises() {
    let t = sample();
    std::fs::create_dir_all(t.path("openspec/changes/archive/2025-01-01-old")).unwrap();
    let (code, v) = t.json(&["view"]);
    assert_eq!(code, 0);
    assert_eq!(v["summary"]["specs"], 2);
    assert_eq!(v["summary"]["requirements"], 3);
    assert_eq!(v["summary"]["activeChanges"], 3);
    assert_eq!(v["summary"]["archivedChanges"], 1);
    assert_eq!(v["summary"]["tasks"], json!({"completed": 3, "total": 4}));
    let out = t.cmd().arg("view").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("b-change") && text.contains("2/3") && text.contains("net/firewall"),
        "{text}"
    );
}
