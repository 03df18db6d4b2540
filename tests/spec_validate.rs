//! `validate`: each rule of openspec-format.md on its own fixture, run
//! through the real binary with `--json`.
mod spec_support;

use spec_support::{PURPOSE, Tree, has, issues, main_spec, req};

const OK_REQ: &str = "The system SHALL work.";

fn validate_spec(text: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let t = Tree::new();
    t.spec("cap", text);
    let mut args = vec!["validate", "cap", "--type", "spec"];
    args.extend_from_slice(extra);
    t.json(&args)
}

fn validate_change(deltas: &[(&str, &str)], extra: &[&str]) -> (i32, serde_json::Value) {
    let t = Tree::new();
    t.change("c", deltas);
    let mut args = vec!["validate", "c"];
    args.extend_from_slice(extra);
    t.json(&args)
}

#[test]
fn valid_main_spec_passes_with_json_shape() {
    let (code, r) = validate_spec(&main_spec("cap", &[&req("A", OK_REQ, &["s"])]), &[]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["version"], "1.0");
    assert_eq!(r["items"][0]["id"], "cap");
    assert_eq!(r["items"][0]["type"], "spec");
    assert_eq!(r["items"][0]["valid"], true);
    assert!(r["items"][0]["durationMs"].is_number());
    assert_eq!(
        r["summary"]["totals"],
        serde_json::json!({"items": 1, "passed": 1, "failed": 0})
    );
    assert_eq!(r["summary"]["byType"]["spec"]["passed"], 1);
    assert!(issues(&r).is_empty(), "{r}");
}

#[test]
fn main_spec_missing_sections_are_errors() {
    let (code, r) = validate_spec(
        "# cap Specification\n\n## Requirements\n### Requirement: A\nThe system SHALL a.\n#### Scenario: s\n- ok\n",
        &[],
    );
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "no `## Purpose` section"), "{r}");

    let (code, r) = validate_spec(&format!("# cap\n## Purpose\n{PURPOSE}\n"), &[]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "no `## Requirements` section"), "{r}");

    let (code, r) = validate_spec(&main_spec("cap", &[]), &[]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "holds no requirement"), "{r}");
}

#[test]
fn requirement_without_scenario_or_text_is_an_error() {
    let (code, r) = validate_spec(
        &main_spec(
            "cap",
            &[
                &req("A", OK_REQ, &[]),
                "### Requirement: B\n#### Scenario: s\n- ok\n",
                "### Requirement: C\nThe system SHALL c.\n#### Scenario: empty\n",
            ],
        ),
        &[],
    );
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "requirement \"A\" has no scenario"), "{r}");
    assert!(has(&r, "ERROR", "requirement \"B\" has no text"), "{r}");
    assert!(
        has(&r, "ERROR", "requirement \"C\" has no scenario"),
        "empty #### is no scenario: {r}"
    );
}

#[test]
fn metadata_lines_are_skipped_unless_whole_body() {
    let (code, r) = validate_spec(
        &main_spec(
            "cap",
            &[
                &req(
                    "A",
                    "**ID**: REQ-1\n**Priority**: high\nThe system SHALL a.",
                    &["s"],
                ),
                &req("B", "**Only**: metadata", &["s"]),
            ],
        ),
        &[],
    );
    assert_eq!(code, 0, "{r}");
    assert!(
        has(&r, "WARNING", "requirement \"B\" has no SHALL or MUST"),
        "{r}"
    );
    assert!(
        !issues(&r).iter().any(|(_, m, _)| m.contains("\"A\"")),
        "{r}"
    );
}

#[test]
fn short_purpose_and_missing_shall_warn_and_strict_fails() {
    let text = "# cap Specification\n## Purpose\nShort.\n## Requirements\n### Requirement: A\nThe MARSHALL shall act.\n#### Scenario: s\n- ok\n";
    let (code, r) = validate_spec(text, &[]);
    assert_eq!(code, 0, "{r}");
    assert!(has(&r, "WARNING", "Purpose is 6 characters"), "{r}");
    assert!(has(&r, "WARNING", "no SHALL or MUST"), "{r}");
    assert_eq!(r["items"][0]["valid"], true);
    let (code, r) = validate_spec(text, &["--strict"]);
    assert_eq!(code, 1);
    assert_eq!(r["items"][0]["valid"], false);
    let (code, r) = validate_spec(text, &["--legacy"]);
    assert_eq!(code, 1, "legacy: missing SHALL is an error");
    assert!(has(&r, "ERROR", "no SHALL or MUST"), "{r}");
}

#[test]
fn long_requirement_text_is_info() {
    let long = format!("The system SHALL {}.", "do things ".repeat(60));
    let (code, r) = validate_spec(
        &main_spec("cap", &[&req("A", &long, &["s"])]),
        &["--strict"],
    );
    assert_eq!(code, 0, "{r}");
    assert!(has(&r, "INFO", "over 500"), "{r}");
}

#[test]
fn structural_errors_name_their_lines() {
    let text = format!(
        "# cap\n## Purpose\n{PURPOSE}\n### Requirement: Early\nThe system SHALL e.\n#### Scenario: s\n- ok\n## Requirements\n{}\n{}\n## ADDED Requirements\n",
        req("A", OK_REQ, &["s"]),
        req("A", OK_REQ, &["s"])
    );
    let (code, r) = validate_spec(&text, &[]);
    assert_eq!(code, 1);
    let found = issues(&r);
    assert!(
        found.iter().any(|(l, m, line)| l == "ERROR"
            && m.contains("outside the `## Requirements`")
            && *line == Some(4)),
        "{r}"
    );
    assert!(
        found
            .iter()
            .any(|(l, m, _)| l == "ERROR" && m.contains("appears twice")),
        "{r}"
    );
    assert!(
        found
            .iter()
            .any(|(l, m, _)| l == "ERROR" && m.contains("delta header `## ADDED Requirements`")),
        "{r}"
    );
}

#[test]
fn headers_in_fences_bom_and_crlf_are_handled() {
    let text = main_spec(
        "cap",
        &[&req(
            "A",
            "The system SHALL a.\n\n```md\n## Requirements\n### Requirement: Fake\n```\n~~~\n## ADDED Requirements\n~~~",
            &["s"],
        )],
    );
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    let (code, r) = validate_spec(&crlf, &["--strict"]);
    assert_eq!(code, 0, "{r}");
    assert!(issues(&r).is_empty(), "{r}");
}

#[test]
fn invalid_utf8_and_unreadable_files_are_clear_errors() {
    let t = Tree::new();
    t.write(
        "openspec/specs/bad/spec.md",
        b"# bad\n## Purpose\n\xff\xfe\n",
    );
    std::fs::create_dir_all(t.path("openspec/changes/c/tasks.md")).unwrap();
    t.write("openspec/changes/c/proposal.md", spec_support::PROPOSAL);
    t.write(
        "openspec/changes/c/specs/cap/spec.md",
        format!("## ADDED Requirements\n{}", req("A", OK_REQ, &["s"])),
    );
    let (code, r) = t.json(&["validate", "--all"]);
    assert_eq!(code, 1);
    let found = issues(&r);
    assert!(
        found
            .iter()
            .any(|(l, m, line)| l == "ERROR" && m.contains("not valid UTF-8") && *line == Some(3)),
        "{r}"
    );
    assert!(
        found
            .iter()
            .any(|(l, m, _)| l == "ERROR" && m.contains("cannot read the file")),
        "{r}"
    );
    assert_eq!(r["summary"]["byType"]["change"]["failed"], 1);
    assert_eq!(r["summary"]["byType"]["spec"]["failed"], 1);
}

#[test]
fn change_without_delta_is_an_error_unless_skip_specs() {
    let (code, r) = validate_change(&[], &[]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "change has no delta"), "{r}");

    let t = Tree::new();
    t.change("c", &[]).write(
        "openspec/changes/c/.openspec.yaml",
        "schema: spec-driven\nskip_specs: true\n",
    );
    let (code, r) = t.json(&["validate", "c", "--strict"]);
    assert_eq!(code, 0, "{r}");
    assert!(has(&r, "INFO", "skip_specs is set"), "{r}");

    t.write("openspec/changes/c/specs/x/notes.txt", "stray");
    let (code, r) = t.json(&["validate", "c"]);
    assert_eq!(code, 1);
    assert!(
        has(&r, "ERROR", "skip_specs is true but 1 file(s) exist"),
        "{r}"
    );
}

#[test]
fn unusable_openspec_yaml_is_an_error() {
    for (yaml, needle) in [
        ("schema: [unclosed", "broken YAML"),
        (
            "schema: spec-driven\nskip_specs: \"yes\"\n",
            "must be true or false",
        ),
        ("schema: waterfall\n", "unknown schema \"waterfall\""),
    ] {
        let t = Tree::new();
        t.change(
            "c",
            &[(
                "cap",
                &format!("## ADDED Requirements\n{}", req("A", OK_REQ, &["s"])),
            )],
        )
        .write("openspec/changes/c/.openspec.yaml", yaml);
        let (code, r) = t.json(&["validate", "c"]);
        assert_eq!(code, 1, "{yaml}");
        assert!(has(&r, "ERROR", needle), "{yaml}: {r}");
    }
}

#[test]
fn spec_md_at_the_specs_root_is_an_error() {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "cap",
            &format!("## ADDED Requirements\n{}", req("A", OK_REQ, &["s"])),
        )],
    )
    .write(
        "openspec/changes/c/specs/spec.md",
        "## ADDED Requirements\n",
    );
    let (code, r) = t.json(&["validate", "c"]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "spec.md directly under"), "{r}");
}

#[test]
fn delta_without_entries_or_headers_is_an_error() {
    let (code, r) = validate_change(
        &[(
            "cap",
            "## ADDED Requirements\n### Login\nThe system SHALL log in.\n#### Scenario: s\n- ok\n",
        )],
        &[],
    );
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "hold no entries"), "{r}");
    assert!(
        has(&r, "INFO", "`### Login` is not a requirement header"),
        "{r}"
    );

    let (code, r) = validate_change(&[("cap", &req("A", OK_REQ, &["s"]))], &[]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "no delta section header"), "{r}");
}

#[test]
fn added_block_rules() {
    let delta = format!(
        "## ADDED Requirements\n### Requirement: NoText\n#### Scenario: s\n- ok\n{}{}### Requirement: The system SHALL x\nIt does x.\n#### Scenario: s\n- ok\n### Other topic\nabsorbed\n",
        req("NoScenario", OK_REQ, &[]),
        req("Weak", "It works.", &["s"]),
    );
    let (code, r) = validate_change(&[("cap", &delta)], &[]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "\"NoText\" has no text"), "{r}");
    assert!(has(&r, "ERROR", "\"NoScenario\" has no scenario"), "{r}");
    assert!(has(&r, "WARNING", "\"Weak\" has no SHALL or MUST"), "{r}");
    assert!(has(&r, "ERROR", "SHALL/MUST only in its header"), "{r}");
    assert!(
        has(&r, "INFO", "`### Other topic` is not a requirement header"),
        "{r}"
    );
    let (_, r) = validate_change(&[("cap", &delta)], &["--legacy"]);
    assert!(has(&r, "ERROR", "\"Weak\" has no SHALL or MUST"), "{r}");
}

#[test]
fn conflicting_and_duplicate_entries_are_errors() {
    let delta = format!(
        "## ADDED Requirements\n{}{}{}## MODIFIED Requirements\n{}{}## REMOVED Requirements\n- `### Requirement: dup  name`\n- `### Requirement: Mod`\n- `### Requirement: Gone`\n## RENAMED Requirements\n- FROM: `### Requirement: Gone`\n- TO: `### Requirement: Fresh`\n- FROM: `### Requirement: Old`\n- TO: `### Requirement: New`\n",
        req("Dup Name", OK_REQ, &["s"]),
        req("Twice", OK_REQ, &["s"]),
        req("New", OK_REQ, &["s"]) + &req("Twice", OK_REQ, &["s"]),
        req("Mod", OK_REQ, &["s"]),
        req("Old", OK_REQ, &["s"]),
    );
    let (code, r) = validate_change(&[("cap", &delta)], &[]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "\"Twice\" appears twice in ADDED"), "{r}");
    // As 1.13.2: names within a delta compare exactly, so `dup  name` is
    // not `Dup Name`; `--legacy` folds case and spaces as 0.x did.
    assert!(
        !has(&r, "ERROR", "\"Dup Name\" is both in ADDED and in REMOVED"),
        "{r}"
    );
    let (_, legacy) = validate_change(&[("cap", &delta)], &["--legacy"]);
    assert!(
        has(
            &legacy,
            "ERROR",
            "\"Dup Name\" is both in ADDED and in REMOVED"
        ),
        "{legacy}"
    );
    assert!(
        has(&r, "ERROR", "\"Mod\" is both in MODIFIED and in REMOVED"),
        "{r}"
    );
    assert!(
        has(&r, "ERROR", "\"Gone\" is both in RENAMED and in REMOVED"),
        "{r}"
    );
    assert!(
        has(
            &r,
            "ERROR",
            "MODIFIED names \"Old\", which RENAMED renames to \"New\""
        ),
        "{r}"
    );
    assert!(
        has(&r, "ERROR", "RENAMED to \"New\" collides with an ADDED"),
        "{r}"
    );
}

#[test]
fn modified_dropping_a_scenario_is_an_error_following_renames() {
    let t = Tree::new();
    t.spec(
        "cap",
        &main_spec(
            "cap",
            &[
                &req("Old", OK_REQ, &["one", "two"]),
                &req("Keep", OK_REQ, &["k"]),
            ],
        ),
    );
    t.change(
        "c",
        &[
            ("cap", &format!("## RENAMED Requirements\n- FROM: `### Requirement: Old`\n- TO: `### Requirement: New`\n## MODIFIED Requirements\n{}{}", req("New", OK_REQ, &["one"]), req("Keep", OK_REQ, &["k", "extra"]))),
            ("other", &format!("## MODIFIED Requirements\n{}", req("Anything", OK_REQ, &["x"]))),
        ],
    );
    let (code, r) = t.json(&["validate", "c"]);
    assert_eq!(code, 1);
    assert!(
        has(&r, "ERROR", "MODIFIED \"New\" drops scenario \"two\""),
        "{r}"
    );
    let drops = issues(&r)
        .iter()
        .filter(|(l, m, _)| l == "ERROR" && m.contains("drops scenario"))
        .count();
    assert_eq!(
        drops, 1,
        "Keep adds a scenario, and a missing main spec is silent: {r}"
    );
}

#[test]
fn legacy_only_counts_directories_with_a_proposal() {
    let t = Tree::new();
    t.write("openspec/changes/bare/tasks.md", "- [ ] a\n");
    let (_, r) = t.json(&["validate", "--changes"]);
    assert_eq!(r["items"][0]["id"], "bare");
    let (code, r) = t.json(&["validate", "--changes", "--legacy"]);
    assert_eq!(code, 0);
    assert_eq!(r["items"].as_array().unwrap().len(), 0, "{r}");
}

fn tracked(kind: &str, proposal: &str, tasks: &str) -> Tree {
    let t = Tree::new();
    t.change(
        "c",
        &[(
            "cap",
            &format!("## ADDED Requirements\n{}", req("A", OK_REQ, &["s"])),
        )],
    );
    t.write("openspec/changes/c/proposal.md", proposal);
    t.write("openspec/changes/c/tasks.md", tasks);
    t.write(
        "openspec/changes/c/tracking.json",
        format!("{{\"kind\":\"{kind}\",\"state\":\"proposed\",\"created\":\"2026-01-01T00:00:00Z\",\"reviews\":[]}}"),
    );
    t
}

const WHY: &str = "## Why\nRoot logins over SSH are still allowed on the servers, which is a risk.\n\n## What Changes\n- Disable root login\n\n## Impact\n- hetzner-vps, ovh-vps\n";

#[test]
fn security_change_without_risk_assessment_warns_and_fails_strict() {
    let proposal = format!(
        "# Security Model: SSH\n\n{WHY}\n## Current Security Model\n- Root may log in\n\n## Proposed Security Changes\n- Keys only\n\n## Implementation Requirements\n- Test a login\n"
    );
    let tasks = "## 1. Implementation\n- [ ] 1.1 Do it\n## 2. Rollback\n- [ ] 2.1 Re-enable the old config\n";
    let t = tracked("security", &proposal, tasks);
    let (code, r) = t.json(&["validate", "c"]);
    assert_eq!(code, 0, "warnings only: {r}");
    assert!(
        has(
            &r,
            "WARNING",
            "no `## Risk Assessment` section, which a security change requires"
        ),
        "{r}"
    );
    let (code, _) = t.json(&["validate", "c", "--strict"]);
    assert_eq!(code, 1);
    // The same change without a tracking file is a plain OpenSpec change.
    std::fs::remove_file(t.path("openspec/changes/c/tracking.json")).unwrap();
    let (code, r) = t.json(&["validate", "c", "--strict"]);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn module_change_needs_a_filled_migration_path_and_rollback() {
    let proposal = format!(
        "# Module Interface: net\n\n{WHY}\n## Current Interface\n- options.net\n\n## Proposed Interface\n- options.network\n\n## Migration Path\n- Compatibility requirements\n- Migration procedures\n- Deprecation timeline\n\n## Testing Requirements\n- Evaluate every host\n"
    );
    let t = tracked(
        "module",
        &proposal,
        "## 1. Implementation\n- [ ] 1.1 Do it\n",
    );
    let (code, r) = t.json(&["validate", "c", "--strict"]);
    assert_eq!(code, 1);
    assert!(
        has(
            &r,
            "WARNING",
            "`## Migration Path` is empty or still the template text"
        ),
        "{r}"
    );
    assert!(has(&r, "WARNING", "no rollback plan"), "{r}");
    assert!(!has(&r, "WARNING", "Testing Requirements"), "{r}");
}

#[test]
fn broken_tracking_file_is_an_error() {
    let t = tracked("security", "# x\n", "");
    t.write(
        "openspec/changes/c/tracking.json",
        "{\"kind\": \"spaceship\"}",
    );
    let (code, r) = t.json(&["validate", "c"]);
    assert_eq!(code, 1);
    assert!(has(&r, "ERROR", "not a valid tracking file"), "{r}");
}

#[test]
fn unknown_and_escaping_items_are_refused() {
    let t = Tree::new();
    let (code, r) = t.json(&["validate", "nope"]);
    assert_eq!(code, 1);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no change or spec \"nope\""),
        "{r}"
    );
    let (code, r) = t.json(&["validate", "../etc"]);
    assert_eq!(code, 1);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid name"),
        "{r}"
    );
    let empty = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("openspec")
        .unwrap()
        .args(["--root"])
        .arg(empty.path())
        .args(["validate", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("openspec init")
    );
}

#[test]
fn human_output_names_file_line_and_fix() {
    let t = Tree::new();
    t.spec("cap", &main_spec("cap", &[&req("A", OK_REQ, &[])]));
    let out = t.cmd().args(["validate", "--specs"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    insta::assert_snapshot!(text, @r###"
    ✗ spec cap
      ERROR openspec/specs/cap/spec.md:8: requirement "A" has no scenario; add `#### Scenario: <name>` with WHEN/THEN lines
      WARNING openspec/specs/cap/spec.md:8: requirement "A": scenarios are `#### Scenario: <name>` headers; turn WHEN/THEN bullet lists into one
    Totals: 1 item(s), 0 passed, 1 failed
    "###);
}

#[test]
fn json_report_snapshot() {
    let t = Tree::new();
    t.spec("cap", &main_spec("cap", &[&req("A", OK_REQ, &["s"])]));
    t.change(
        "c",
        &[(
            "cap",
            &format!(
                "## ADDED Requirements\n{}### Requirement: B\nIt works.\n#### Scenario: s\n- ok\n",
                req("A", OK_REQ, &["s"])
            ),
        )],
    );
    let (code, mut r) = t.json(&["validate", "--all"]);
    assert_eq!(code, 0);
    let root = r.as_object_mut().unwrap().remove("root").unwrap();
    assert_eq!(root["source"], "flag");
    for item in r["items"].as_array_mut().unwrap() {
        item["durationMs"] = serde_json::json!(0);
    }
    insta::assert_snapshot!(serde_json::to_string_pretty(&r).unwrap(), @r###"
    {
      "items": [
        {
          "durationMs": 0,
          "id": "c",
          "issues": [
            {
              "level": "WARNING",
              "line": 8,
              "message": "requirement \"B\" has no SHALL or MUST in its text; state it as \"The system SHALL …\"",
              "path": "openspec/changes/c/specs/cap/spec.md"
            }
          ],
          "type": "change",
          "valid": true
        },
        {
          "durationMs": 0,
          "id": "cap",
          "issues": [],
          "type": "spec",
          "valid": true
        }
      ],
      "summary": {
        "byType": {
          "change": {
            "failed": 0,
            "items": 1,
            "passed": 1
          },
          "spec": {
            "failed": 0,
            "items": 1,
            "passed": 1
          }
        },
        "totals": {
          "failed": 0,
          "items": 2,
          "passed": 2
        }
      },
      "version": "1.0"
    }
    "###);
}
