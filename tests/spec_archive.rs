//! `archive`: merge order, no-ops, near misses, new capabilities, the
//! all-or-nothing abort, destinations, flags, lock, lessons, injected faults.
mod spec_support;

use std::os::unix::fs::MetadataExt;

use fs2::FileExt;
use spec_support::{PURPOSE, Tree, main_spec, req};

const OK: &str = "The system SHALL work.";

fn today() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

fn archive(t: &Tree, id: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["archive", id, "--yes"];
    args.extend_from_slice(extra);
    t.json(&args)
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["status"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["code"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn all_messages(v: &serde_json::Value) -> String {
    v["status"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["message"].as_str().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn applies_renamed_removed_modified_added_in_order() {
    let t = Tree::new();
    t.spec(
        "auth",
        &format!(
            "{}\n## Notes\nKept as written.\n",
            main_spec(
                "auth",
                &[
                    &req("Login", OK, &["ok"]),
                    &req("Legacy", OK, &["old"]),
                    &req("Audit", OK, &["log"])
                ]
            )
            .trim_end()
        ),
    );
    t.change(
        "rework-auth",
        &[(
            "auth",
            &format!(
                "## ADDED Requirements\n{}\n## MODIFIED Requirements\n{}\n## REMOVED Requirements\n- `### Requirement: Legacy`\n**Reason**: gone\n\n## RENAMED Requirements\n- FROM: `### Requirement: Login`\n- TO: `### Requirement: Sign in`\n",
                req("Tokens", "The system SHALL issue tokens.", &["issue"]),
                req("Sign in", "The system SHALL sign users in with keys.", &["ok", "keys"]),
            ),
        )],
    );
    let (code, v) = archive(&t, "rework-auth", &[]);
    assert_eq!(code, 0, "{v}");
    let a = &v["archive"];
    assert_eq!(a["change"], "rework-auth");
    assert_eq!(a["archivedAs"], format!("{}-rework-auth", today()));
    assert_eq!(
        a["path"],
        format!("openspec/changes/archive/{}-rework-auth", today())
    );
    assert_eq!(
        a["totals"],
        serde_json::json!({"added": 1, "modified": 1, "removed": 1, "renamed": 1})
    );
    assert_eq!(a["specsUpdated"][0]["spec"], "auth");
    let expected = format!(
        "# auth Specification\n\n## Purpose\n{PURPOSE}\n\n## Requirements\n\n### Requirement: Sign in\nThe system SHALL sign users in with keys.\n\n#### Scenario: ok\n- **WHEN** x\n- **THEN** y\n\n#### Scenario: keys\n- **WHEN** x\n- **THEN** y\n\n### Requirement: Audit\nThe system SHALL work.\n\n#### Scenario: log\n- **WHEN** x\n- **THEN** y\n\n### Requirement: Tokens\nThe system SHALL issue tokens.\n\n#### Scenario: issue\n- **WHEN** x\n- **THEN** y\n\n## Notes\nKept as written.\n"
    );
    assert_eq!(t.read("openspec/specs/auth/spec.md"), expected);
    assert!(!t.path("openspec/changes/rework-auth").exists());
    assert!(
        t.path(&format!(
            "openspec/changes/archive/{}-rework-auth/proposal.md",
            today()
        ))
        .is_file()
    );
}

#[test]
fn rename_keeps_the_body_and_its_place() {
    let t = Tree::new();
    t.spec(
        "s",
        &main_spec(
            "s",
            &[
                &req("A", "The system SHALL a.\n\nSecond paragraph kept.", &["x"]),
                &req("B", OK, &["y"]),
            ],
        ),
    );
    t.change(
        "r",
        &[(
            "s",
            "## RENAMED Requirements\nFROM: ### Requirement: A\nTO: ### Requirement: A prime\n",
        )],
    );
    let (code, v) = archive(&t, "r", &[]);
    assert_eq!(code, 0, "{v}");
    let text = t.read("openspec/specs/s/spec.md");
    assert!(
        text.contains("### Requirement: A prime\nThe system SHALL a.\n\nSecond paragraph kept.\n"),
        "{text}"
    );
    assert!(text.find("A prime").unwrap() < text.find("Requirement: B").unwrap());
}

#[test]
fn re_applying_an_archived_delta_is_a_no_op_and_does_not_rewrite() {
    let t = Tree::new();
    t.spec(
        "s",
        &main_spec("s", &[&req("A", OK, &["x"]), &req("B", OK, &["y"])]),
    );
    let delta = format!(
        "## ADDED Requirements\n{}\n## MODIFIED Requirements\n{}\n## REMOVED Requirements\n- `### Requirement: B`\n## RENAMED Requirements\n- FROM: `### Requirement: A`\n- TO: `### Requirement: A2`\n",
        req("C", OK, &["z"]),
        req("A2", "The system SHALL do a2.", &["x"])
    );
    t.change("first", &[("s", &delta)]);
    assert_eq!(archive(&t, "first", &[]).0, 0);
    let before = std::fs::read(t.path("openspec/specs/s/spec.md")).unwrap();
    let inode = std::fs::metadata(t.path("openspec/specs/s/spec.md"))
        .unwrap()
        .ino();
    t.change("second", &[("s", &delta)]);
    let (code, v) = archive(&t, "second", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["archive"]["totals"],
        serde_json::json!({"added": 0, "modified": 0, "removed": 0, "renamed": 0})
    );
    assert_eq!(v["archive"]["specsUpdated"][0]["changed"], false);
    let warnings = v["archive"]["warnings"].to_string();
    assert!(
        warnings.contains("already renamed") && warnings.contains("already removed"),
        "{warnings}"
    );
    assert_eq!(
        std::fs::read(t.path("openspec/specs/s/spec.md")).unwrap(),
        before
    );
    assert_eq!(
        std::fs::metadata(t.path("openspec/specs/s/spec.md"))
            .unwrap()
            .ino(),
        inode,
        "unchanged file was rewritten"
    );
}

#[test]
fn near_miss_names_and_headers() {
    // `###Requirement:` without a space and a lower-case keyword still start blocks.
    let t = Tree::new();
    t.spec("s", &format!("# s\n\n## Purpose\n{PURPOSE}\n\n## Requirements\n\n###Requirement: Tight\nThe system SHALL t.\n\n#### Scenario: a\n- ok\n\n### requirement: Lower\nThe system SHALL l.\n\n#### Scenario: b\n- ok\n"));
    t.change(
        "ok",
        &[(
            "s",
            "## REMOVED Requirements\n- `### Requirement: Tight`\n- `### Requirement: Lower`\n",
        )],
    );
    let (code, v) = archive(&t, "ok", &["--no-validate"]);
    assert_eq!(
        code, 1,
        "removing every requirement leaves an invalid spec: {v}"
    );
    assert!(all_messages(&v).contains("holds no requirement"), "{v}");

    for (delta, needle) in [
        (
            "## REMOVED Requirements\n- `### Requirement: tight`\n",
            "only matches \"Tight\" up to case or spaces",
        ),
        (
            &*format!("## MODIFIED Requirements\n{}", req("Missing", OK, &["a"])),
            "MODIFIED \"Missing\" is not in the spec",
        ),
        (
            &*format!(
                "## ADDED Requirements\n{}",
                req("Tight", "The system SHALL differ.", &["a"])
            ),
            "ADDED \"Tight\" already exists with different text",
        ),
        (
            "## RENAMED Requirements\n- FROM: `### Requirement: X`\n- TO: `### Requirement: Y`\n",
            "neither requirement exists",
        ),
        (
            "## RENAMED Requirements\n- FROM: `### Requirement: Tight`\n- TO: `### Requirement: Lower`\n",
            "\"Lower\" already exists",
        ),
    ] {
        let before = t.snapshot();
        t.change("bad", &[("s", delta)]);
        let snap = t.snapshot();
        let (code, v) = archive(&t, "bad", &[]);
        assert_eq!(code, 1, "{delta}: {v}");
        assert!(all_messages(&v).contains(needle), "{needle}: {v}");
        assert_eq!(t.snapshot(), snap, "{delta}: something was written");
        std::fs::remove_dir_all(t.path("openspec/changes/bad")).unwrap();
        assert_eq!(t.snapshot(), before);
    }
}

#[test]
fn modified_dropping_a_scenario_fails_even_without_validation() {
    let t = Tree::new();
    t.spec("s", &main_spec("s", &[&req("A", OK, &["one", "two"])]));
    t.change(
        "c",
        &[(
            "s",
            &format!("## MODIFIED Requirements\n{}", req("A", OK, &["one"])),
        )],
    );
    let snap = t.snapshot();
    let (code, v) = archive(&t, "c", &["--no-validate"]);
    assert_eq!(code, 1);
    assert!(all_messages(&v).contains("drops scenario"), "{v}");
    assert_eq!(t.snapshot(), snap);
}

#[test]
fn new_capability_gets_a_skeleton() {
    let t = Tree::new();
    t.change(
        "add-cap",
        &[
            ("fresh", &format!("## ADDED Requirements\n{}\n## REMOVED Requirements\n- `### Requirement: Ghost`\n", req("First", OK, &["s"]))),
            ("area/seeded", &format!("## Purpose\nSeeded purpose text that is long enough to be a real purpose.\n\n## ADDED Requirements\n{}", req("Nested", OK, &["s"]))),
        ],
    );
    let (code, v) = archive(&t, "add-cap", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        t.read("openspec/specs/fresh/spec.md"),
        "# fresh Specification\n\n## Purpose\nTBD - created by archiving change add-cap. Update Purpose after archive.\n\n## Requirements\n\n### Requirement: First\nThe system SHALL work.\n\n#### Scenario: s\n- **WHEN** x\n- **THEN** y\n"
    );
    assert!(
        t.read("openspec/specs/area/seeded/spec.md")
            .contains("## Purpose\nSeeded purpose text")
    );
    assert!(
        v["archive"]["warnings"]
            .to_string()
            .contains("REMOVED entries (1) ignored"),
        "{v}"
    );
    assert_eq!(v["archive"]["specsUpdated"][0]["created"], true);

    let t = Tree::new();
    t.change(
        "bad",
        &[(
            "fresh",
            &format!("## MODIFIED Requirements\n{}", req("X", OK, &["s"])),
        )],
    );
    let snap = t.snapshot();
    let (code, v) = archive(&t, "bad", &[]);
    assert_eq!(code, 1);
    assert!(
        all_messages(&v).contains("only ADDED requirements can create it"),
        "{v}"
    );
    assert_eq!(t.snapshot(), snap);
}

#[test]
fn failure_in_the_second_spec_leaves_every_byte_unchanged() {
    let t = Tree::new();
    t.spec("a", &main_spec("a", &[&req("A", OK, &["s"])]));
    t.spec("b", &main_spec("b", &[&req("B", OK, &["s"])]));
    t.change(
        "two",
        &[
            (
                "a",
                &format!("## ADDED Requirements\n{}", req("A2", OK, &["s"])),
            ),
            (
                "b",
                &format!("## MODIFIED Requirements\n{}", req("Nope", OK, &["s"])),
            ),
            (
                "c-new",
                &format!("## ADDED Requirements\n{}", req("C", OK, &["s"])),
            ),
        ],
    );
    let snap = t.snapshot();
    let (code, v) = archive(&t, "two", &[]);
    assert_eq!(code, 1);
    assert_eq!(v["archive"], serde_json::Value::Null);
    assert_eq!(codes(&v), ["merge-failed"]);
    assert_eq!(v["status"][0]["severity"], "error");
    assert_eq!(t.snapshot(), snap);
}

fn two_spec_change() -> Tree {
    let t = Tree::new();
    t.spec("a", &main_spec("a", &[&req("A", OK, &["s"])]));
    t.spec("b", &main_spec("b", &[&req("B", OK, &["s"])]));
    t.change(
        "two",
        &[
            (
                "a",
                &format!("## ADDED Requirements\n{}", req("A2", OK, &["s"])),
            ),
            (
                "b",
                &format!("## ADDED Requirements\n{}", req("B2", OK, &["s"])),
            ),
            (
                "new/deep",
                &format!("## ADDED Requirements\n{}", req("N", OK, &["s"])),
            ),
        ],
    );
    t
}

#[test]
fn injected_write_failure_midway_writes_nothing() {
    for target in [
        "specs/b/.openspec-archive-spec.md",
        "specs/new/deep/.openspec-archive-spec.md",
        ".archive-journal.json",
    ] {
        let t = two_spec_change();
        let snap = t.snapshot();
        let out = t
            .cmd()
            .args(["archive", "two", "--yes", "--lessons", "x", "--json"])
            .env("OPENSPEC_FAULT_WRITE", target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{target}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(codes(&v), ["write-failed"], "{v}");
        assert!(all_messages(&v).contains("nothing was changed"), "{v}");
        assert_eq!(t.snapshot(), snap, "{target}");
        // Without the fault the same archive succeeds.
        assert_eq!(archive(&t, "two", &[]).0, 0);
    }
}

#[test]
fn a_directory_in_the_way_of_a_write_aborts_cleanly() {
    let t = two_spec_change();
    std::fs::create_dir_all(t.path("openspec/specs/b/.openspec-archive-spec.md")).unwrap();
    let snap = t.snapshot();
    let (code, v) = archive(&t, "two", &[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(t.snapshot(), snap);

    let t = two_spec_change();
    std::fs::create_dir_all(t.path("openspec/specs/new/deep/spec.md")).unwrap();
    let snap = t.snapshot();
    let (code, v) = archive(&t, "two", &[]);
    assert_eq!(code, 1, "{v}");
    assert!(
        all_messages(&v).contains("openspec/specs/new/deep/spec.md: cannot read"),
        "{v}"
    );
    assert_eq!(t.snapshot(), snap);
}

#[test]
fn dated_ids_keep_their_name_and_existing_destination_is_refused() {
    let t = Tree::new();
    t.change(
        "2025-03-04-old-style",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("A", OK, &["s"])),
        )],
    );
    let (code, v) = archive(&t, "2025-03-04-old-style", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["archive"]["archivedAs"], "2025-03-04-old-style");
    assert!(
        t.path("openspec/changes/archive/2025-03-04-old-style")
            .is_dir()
    );

    t.change(
        "again",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("B", OK, &["s"])),
        )],
    );
    std::fs::create_dir_all(t.path(&format!("openspec/changes/archive/{}-again", today())))
        .unwrap();
    let snap = t.snapshot();
    let (code, v) = archive(&t, "again", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&v), ["destination-exists"]);
    assert_eq!(t.snapshot(), snap);
}

#[test]
fn skip_specs_moves_the_change_only() {
    let t = Tree::new();
    t.spec("s", &main_spec("s", &[&req("A", OK, &["s"])]));
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("B", OK, &["s"])),
        )],
    );
    let spec_before = t.read("openspec/specs/s/spec.md");
    let (code, v) = archive(&t, "c", &["--skip-specs"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["archive"]["specsUpdated"], serde_json::json!([]));
    assert_eq!(t.read("openspec/specs/s/spec.md"), spec_before);
    assert!(
        t.path(&format!(
            "openspec/changes/archive/{}-c/specs/s/spec.md",
            today()
        ))
        .is_file()
    );
}

#[test]
fn incomplete_tasks_need_yes_without_a_terminal() {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("A", OK, &["s"])),
        )],
    );
    t.write("openspec/changes/c/tasks.md", "- [x] a\n- [ ] b\n");
    let snap = t.snapshot();
    let out = t
        .cmd()
        .args(["archive", "c", "--json"])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(codes(&v), ["tasks-incomplete"]);
    assert_eq!(v["status"][0]["fix"], "pass --yes to archive anyway");
    assert_eq!(t.snapshot(), snap);
    assert_eq!(archive(&t, "c", &[]).0, 0);
}

#[test]
fn a_held_lock_refuses_the_archive() {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("A", OK, &["s"])),
        )],
    );
    let dir = std::fs::File::open(t.path("openspec")).unwrap();
    dir.lock_exclusive().unwrap();
    let snap = t.snapshot();
    let (code, v) = archive(&t, "c", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&v), ["locked"]);
    assert_eq!(t.snapshot(), snap);
    FileExt::unlock(&dir).unwrap();
    assert_eq!(archive(&t, "c", &[]).0, 0);
}

#[test]
fn validation_errors_stop_unless_no_validate() {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("A", OK, &["s"])),
        )],
    );
    t.write("openspec/changes/c/specs/spec.md", "stray");
    let snap = t.snapshot();
    let (code, v) = archive(&t, "c", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&v), ["invalid", "validation"]);
    assert!(all_messages(&v).contains("spec.md directly under"), "{v}");
    assert_eq!(t.snapshot(), snap);
    assert_eq!(archive(&t, "c", &["--no-validate"]).0, 0);
}

#[test]
fn lessons_and_tracking_travel_with_the_change() {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("A", OK, &["s"])),
        )],
    );
    t.write("openspec/changes/c/tracking.json", "{\"kind\":\"host\",\"phase\":3,\"state\":\"verified\",\"created\":\"2026-01-01T00:00:00Z\",\"reviews\":[],\"custom\":true}");
    let (code, v) = archive(&t, "c", &["--lessons", "Build the VPS hosts first."]);
    assert_eq!(code, 0, "{v}");
    let dir = format!("openspec/changes/archive/{}-c", today());
    let lessons = t.read(&format!("{dir}/lessons.md"));
    assert!(
        lessons.starts_with("# Lessons Learned\n")
            && lessons.contains("Build the VPS hosts first."),
        "{lessons}"
    );
    let tracking: serde_json::Value =
        serde_json::from_str(&t.read(&format!("{dir}/tracking.json"))).unwrap();
    assert_eq!(tracking["state"], "archived");
    assert_eq!(tracking["archived"], format!("{}-c", today()));
    assert_eq!(tracking["custom"], true);
}

#[test]
fn bom_and_crlf_of_a_rewritten_spec_are_kept() {
    let t = Tree::new();
    let text = main_spec("s", &[&req("A", OK, &["s"])]).replace('\n', "\r\n");
    t.write("openspec/specs/s/spec.md", format!("\u{feff}{text}"));
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("B", OK, &["s"])),
        )],
    );
    assert_eq!(archive(&t, "c", &[]).0, 0);
    let bytes = std::fs::read(t.path("openspec/specs/s/spec.md")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let s = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(s.contains("### Requirement: B\r\n"));
    assert!(!s.replace("\r\n", "").contains('\n'), "mixed line ends");
}

#[test]
fn unknown_or_escaping_ids_and_missing_root_give_one_json_document() {
    let t = Tree::new();
    let (code, v) = archive(&t, "nope", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&v), ["not-found"]);
    let (code, v) = archive(&t, "../../etc", &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&v), ["invalid-id"]);
    let empty = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("openspec")
        .unwrap()
        .arg("--root")
        .arg(empty.path())
        .args(["archive", "x", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["archive"], serde_json::Value::Null);
    assert_eq!(codes(&v), ["environment"]);
}

#[test]
fn human_report() {
    let t = Tree::new();
    t.spec(
        "s",
        &main_spec("s", &[&req("A", OK, &["s"]), &req("B", OK, &["s"])]),
    );
    t.change(
        "c",
        &[(
            "s",
            &format!(
                "## ADDED Requirements\n{}\n## REMOVED Requirements\n- `### Requirement: B`\n",
                req("C", OK, &["s"])
            ),
        )],
    );
    let out = t.cmd().args(["archive", "c", "--yes"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).replace(&today(), "DATE");
    insta::assert_snapshot!(text, @r###"
    openspec/specs/s/spec.md (updated): + 1, ~ 0, - 1, → 0
    Totals: + 1 added, ~ 0 modified, - 1 removed, → 0 renamed
    Archived c as openspec/changes/archive/DATE-c
    "###);
}

/// Run the archive on a pseudo-terminal (util-linux `script`) with `input` typed.
fn archive_on_a_terminal(t: &Tree, input: &str) -> std::process::Output {
    let cmd = format!(
        "{} --root {} archive c",
        env!("CARGO_BIN_EXE_openspec"),
        t.root().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` provides the terminal");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_terminal_it_asks_for_confirmation_and_lessons() {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("A", OK, &["s"])),
        )],
    );
    t.write("openspec/changes/c/tasks.md", "- [ ] open\n");
    let snap = t.snapshot();
    let out = archive_on_a_terminal(&t, "n\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Archive anyway? [y/N]") && text.contains("archive cancelled"),
        "{text}"
    );
    assert_eq!(t.snapshot(), snap);

    let out = archive_on_a_terminal(&t, "y\nPin the kernel first.\n");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Lessons learned"), "{text}");
    let lessons = t.read(&format!(
        "openspec/changes/archive/{}-c/lessons.md",
        today()
    ));
    assert!(lessons.contains("Pin the kernel first."), "{lessons}");
}

#[test]
fn recover_reports_a_broken_journal_and_nothing_to_do() {
    let t = Tree::new();
    let (code, v) = t.json(&["archive", "--recover"]);
    assert_eq!(code, 0);
    assert_eq!(v["recovered"], serde_json::Value::Null);
    t.write("openspec/.archive-journal.json", "{ not json");
    let (code, v) = t.json(&["archive", "--recover"]);
    assert_eq!(code, 2);
    assert_eq!(codes(&v), ["journal"]);
    t.write("openspec/.archive-journal.json", r#"{"version":1,"phase":"commit","change":"x","source":"../../etc","destination":"changes/archive/x","writes":[],"created_dirs":[]}"#);
    let (code, v) = t.json(&["archive", "--recover"]);
    assert_eq!(code, 2);
    assert!(all_messages(&v).contains("outside openspec/"), "{v}");
    let out = t.cmd().args(["list"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("archive --recover"),
        "pending journal is announced"
    );
}

#[test]
fn structurally_invalid_target_names_its_lines() {
    let t = Tree::new();
    t.spec(
        "s",
        &main_spec("s", &[&req("A", OK, &["x"]), &req("A", OK, &["y"])]),
    );
    t.change(
        "c",
        &[(
            "s",
            &format!("## ADDED Requirements\n{}", req("B", OK, &["s"])),
        )],
    );
    let snap = t.snapshot();
    let (code, v) = archive(&t, "c", &["--no-validate"]);
    assert_eq!(code, 1);
    assert!(
        all_messages(&v).contains(
            "openspec/specs/s/spec.md:15: requirement \"A\" appears twice (lines 8 and 15)"
        ),
        "{v}"
    );
    assert_eq!(t.snapshot(), snap);
}

#[test]
fn skip_specs_marker_in_openspec_yaml_archives_without_deltas() {
    let t = Tree::new();
    t.spec("s", &main_spec("s", &[&req("A", OK, &["s"])]));
    t.change("docs-only", &[]);
    t.write(
        "openspec/changes/docs-only/.openspec.yaml",
        "schema: spec-driven\nskip_specs: true\n",
    );
    let spec_before = t.read("openspec/specs/s/spec.md");
    let (code, v) = archive(&t, "docs-only", &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["archive"]["specsUpdated"], serde_json::json!([]));
    assert_eq!(t.read("openspec/specs/s/spec.md"), spec_before);
    let meta = t.read(&format!(
        "openspec/changes/archive/{}-docs-only/.openspec.yaml",
        today()
    ));
    assert_eq!(
        meta, "schema: spec-driven\nskip_specs: true\n",
        "never rewritten"
    );
}
