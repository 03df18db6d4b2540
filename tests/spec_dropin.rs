//! The drop-in command line: every OpenSpec command line that pantherOS's
//! 0.16-era assistant instructions and the Claude Code / OpenCode files of
//! OpenSpec 1.13.2's `init --tools claude,opencode` use, run with our binary
//! and with the real OpenSpec 1.13.2 on the same tree (the pantherOS-shaped
//! corpus, a fresh copy per line): the same exit code, and under `--json` the
//! same keys with the same value types (extra keys are fine). Deliberate
//! differences are named in `DELIBERATE`.
mod parity_support;

use std::path::Path;

use parity_support::*;
use serde_json::Value;

/// The command lines (arguments after `openspec`), with the README's table
/// in the same order.
const LINES: &[&str] = &[
    "list",
    "list --json",
    "list --specs",
    "list --specs --json",
    "spec list",
    "spec list --long",
    "spec list --json",
    "spec show networking --json",
    "spec show networking --json -r 1",
    "spec validate networking --json",
    "change list",
    "change list --json",
    "change show add-zephyrus-facter --json --deltas-only",
    "change validate add-zephyrus-facter --json",
    "show networking",
    "show networking --json",
    "show networking --json -r 1",
    "show networking --type spec",
    "show networking --type spec --json",
    "show networking --type spec --json --no-scenarios",
    "show add-zephyrus-facter",
    "show add-zephyrus-facter --json",
    "show add-zephyrus-facter --json --deltas-only",
    "show add-zephyrus-facter --json --diff",
    "show add-zephyrus-facter --diff",
    "show",
    "validate",
    "validate --strict",
    "validate add-zephyrus-facter --strict",
    "validate add-zephyrus-facter --strict --json",
    "validate add-zephyrus-facter --strict --no-interactive",
    "validate --strict --no-interactive --json",
    "validate --all --json --no-interactive",
    "validate --all --json --report findings",
    "validate --specs",
    "validate --specs --json",
    "validate --changes --json",
    "archive add-zephyrus-facter --yes",
    "archive add-zephyrus-facter -y --json",
    "archive add-zephyrus-facter --yes --json",
    "archive refactor-module-tree --skip-specs --yes --json",
    "update",
    "update .",
    "new change add-thing",
    "new change add-thing --schema spec-driven",
    "instructions proposal --change add-zephyrus-facter --json",
    "instructions specs --change add-zephyrus-facter --json",
    "instructions design --change add-zephyrus-facter --json",
    "instructions tasks --change add-zephyrus-facter --json",
    "instructions apply --change add-zephyrus-facter --json",
    "instructions archive --change add-zephyrus-facter --json",
    "instructions proposal --change add-zephyrus-facter",
    "schemas --json",
    "templates --json",
    "context --json",
    "context --json --store work",
    "instructions apply --change add-zephyrus-facter --json --store work",
    "store list --json",
    "config list --json",
];

/// Where we differ on purpose: the command line and the reason.
const DELIBERATE: &[(&str, &str)] = &[
    (
        "validate --strict --no-interactive --json",
        "without an item ours validates everything (one JSON report, exit 1 when an item fails); 1.13.2 prints \"Nothing to validate\" as text without a terminal",
    ),
    (
        "archive add-zephyrus-facter --yes --json: .archive.specsUpdated",
        "specsUpdated is the list of per-spec updates (our documented archive interface); 1.13.2 has a boolean",
    ),
    (
        "archive add-zephyrus-facter -y --json: .archive.specsUpdated",
        "as above",
    ),
    (
        "archive refactor-module-tree --skip-specs --yes --json: .archive.specsUpdated",
        "as above",
    ),
    (
        "store list --json",
        "OpenSpec's stores are not carried: exit 2 and one JSON document with code not_supported",
    ),
    (
        "config list --json",
        "OpenSpec's global configuration is not carried: exit 2 and one JSON document with code not_supported",
    ),
];

fn corpus() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openspec-pantheros"),
        t.path(),
    );
    t
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `r` (the reference) that `o` lacks or holds with another
/// type, by path; arrays compare their first elements.
fn shape(r: &Value, o: &Value, path: &str, out: &mut Vec<String>) {
    if kind(r) != kind(o) {
        out.push(format!("{path}: {} (1.13.2: {})", kind(o), kind(r)));
        return;
    }
    match (r, o) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    None => out.push(format!("{path}.{k}: missing")),
                    Some(w) => shape(v, w, &format!("{path}.{k}"), out),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if let (Some(x), Some(y)) = (a.first(), b.first()) {
                shape(x, y, &format!("{path}[0]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn drop_in_lines_match_1_13_2() {
    let pkg = reference();
    let results: Vec<(String, Run, Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = LINES
            .iter()
            .map(|line| {
                let pkg = &pkg;
                s.spawn(move || {
                    let args: Vec<&str> = line.split_whitespace().collect();
                    let (a, b) = (corpus(), corpus());
                    let r = reference_run(pkg, a.path(), &args);
                    let o = ours_run(b.path(), &args);
                    (line.to_string(), r, o)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut diffs = Vec::new();
    for (line, r, o) in &results {
        if r.code != o.code {
            diffs.push(format!("{line}: exit {} (1.13.2: {})", o.code, r.code));
        }
        if line.contains("--json") {
            let (Ok(rv), Ok(ov)) = (
                serde_json::from_str::<Value>(&r.stdout),
                serde_json::from_str::<Value>(&o.stdout),
            ) else {
                diffs.push(format!(
                    "{line}: not one JSON document each\nours: {}\n1.13.2: {}",
                    o.stdout, r.stdout
                ));
                continue;
            };
            let mut out = Vec::new();
            shape(&rv, &ov, "", &mut out);
            for d in out {
                diffs.push(format!("{line}: {d}"));
            }
        }
    }
    // The deliberate differences still hold what they promise.
    for (line, _, o) in &results {
        if line.starts_with("store ") || line.starts_with("config ") {
            assert_eq!(o.code, 2, "{line}: {}", o.stderr);
            assert_eq!(o.json()["status"][0]["code"], "not_supported", "{line}");
        }
        if line == "validate --strict --no-interactive --json" {
            assert_eq!(o.code, 1);
            assert!(o.json()["items"].as_array().is_some_and(|a| a.len() > 5));
        }
    }
    let known: Vec<String> = DELIBERATE.iter().map(|(l, _)| l.to_string()).collect();
    diffs.retain(|d| !known.iter().any(|k| d.starts_with(&format!("{k}: "))));
    assert!(
        diffs.is_empty(),
        "differences from 1.13.2:\n{}",
        diffs.join("\n")
    );
}

/// An unknown id names the closest change or spec.
#[test]
fn unknown_ids_suggest_the_closest_one() {
    let t = corpus();
    for (args, want) in [
        (
            &["show", "add-zephyrus-factor"][..],
            "did you mean \"add-zephyrus-facter\"?",
        ),
        (
            &["validate", "networkin"][..],
            "did you mean \"networking\"?",
        ),
        (
            &["archive", "harden-sh", "--yes"][..],
            "did you mean \"harden-ssh\"?",
        ),
        (
            &["instructions", "apply", "--change", "harden-sh"][..],
            "did you mean \"harden-ssh\"?",
        ),
    ] {
        let run = ours_run(t.path(), args);
        assert_ne!(run.code, 0, "{args:?}");
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
    }
    let run = ours_run(t.path(), &["show", "zzzzzzzz"]);
    assert!(!run.stderr.contains("did you mean"), "{}", run.stderr);
}

/// `validate` with a path-traversing item name, and without a root: the
/// `status[0].code` of OpenSpec 1.13.2 (`unknown_item`, `no_openspec_root`)
/// and its keys. Deliberate: without a root we exit 2 (our code for the
/// environment), 1.13.2 exits 1.
#[test]
fn validate_bad_item_and_no_root_match_1_13_2() {
    let pkg = reference();
    let t = corpus();
    let empty = tempfile::tempdir().unwrap();
    for (dir, args, our_exit) in [
        (t.path(), &["validate", "../x", "--json"][..], 1),
        (t.path(), &["validate", "../../etc/passwd", "--json"][..], 1),
        (empty.path(), &["validate", "--all", "--json"][..], 2),
    ] {
        let (r, o) = std::thread::scope(|s| {
            let h = s.spawn(|| reference_run(&pkg, dir, args));
            (h.join().unwrap(), ours_run(dir, args))
        });
        assert_eq!(r.code, 1, "{args:?}: 1.13.2 {}", r.stdout);
        assert_eq!(o.code, our_exit, "{args:?}: {}", o.stderr);
        let (rv, ov) = (r.json(), o.json());
        assert_eq!(
            ov["status"][0]["code"], rv["status"][0]["code"],
            "{args:?}: {ov} vs {rv}"
        );
        let mut d = Vec::new();
        shape(&rv, &ov, "", &mut d);
        assert!(d.is_empty(), "{args:?}: {d:?}");
    }
}

/// The values (not only the keys) of the newer 1.13.2 lines on a small
/// tree, against the reference: the change id as the title of a bare
/// `# Proposal`, the `diff` of each MODIFIED delta (byte for byte), the
/// `nested` field and warning of `list --json`, the items of `validate
/// --report findings`, and the artifact graph of `instructions`.
#[test]
fn newer_lines_match_1_13_2_values() {
    let pkg = reference();
    let t = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let f = t.path().join(rel);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    };
    let block = |then: &str| {
        format!(
            "### Requirement: Login\nThe system SHALL log in.\n\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n\n#### Scenario: ok\n- **WHEN** x\n- **THEN** {then}\n"
        )
    };
    w("openspec/changes/archive/.keep", "");
    w(
        "openspec/specs/auth/spec.md",
        &format!(
            "# auth Specification\n\n## Purpose\nAuthentication for the whole system, long enough to pass.\n\n## Requirements\n\n{}\n### Requirement: Same\nThe system SHALL stay.\n\n#### Scenario: s\n- ok\n",
            block("y")
        ),
    );
    w(
        "openspec/specs/short/spec.md",
        "# short Specification\n\n## Purpose\nShort.\n\n## Requirements\n\n### Requirement: A\nThe system SHALL a.\n\n#### Scenario: a\n- ok\n",
    );
    let proposal = "# Proposal\n\n## Why\nBecause the login needs to be faster for everyone who uses it daily.\n\n## What Changes\n- faster login\n";
    w("openspec/changes/mod/proposal.md", proposal);
    w(
        "openspec/changes/mod/specs/auth/spec.md",
        &format!(
            "## MODIFIED Requirements\n{}\n### Requirement: Same\nThe system SHALL stay.\n\n#### Scenario: s\n- ok\n\n### Requirement: Absent\nThe system SHALL be absent.\n\n#### Scenario: a\n- ok\n",
            block("z").replace("log in.", "log in now.")
        ),
    );
    w(
        "openspec/changes/mod/tasks.md",
        "## 1. Work\n- [x] 1.1 Done\n- [ ] 1.2 Left\n",
    );
    w("openspec/changes/mobile/refresh/proposal.md", proposal);
    w(
        "openspec/changes/mobile/refresh/specs/auth/spec.md",
        "## ADDED Requirements\n### Requirement: Refresh\nThe system SHALL refresh.\n\n#### Scenario: r\n- ok\n",
    );
    let both = |args: &[&str]| {
        std::thread::scope(|s| {
            let h = s.spawn(|| reference_run(&pkg, t.path(), args));
            let o = ours_run(t.path(), args);
            (h.join().unwrap(), o)
        })
    };
    // Title and diffs.
    let (r, o) = both(&["show", "mod", "--json", "--diff"]);
    assert_eq!((o.code, r.code), (0, 0), "{}", o.stderr);
    let (rv, ov) = (r.json(), o.json());
    assert_eq!(ov["title"], "mod");
    assert_eq!(ov["title"], rv["title"]);
    let diffs = |v: &Value| -> Vec<(String, Value)> {
        let mut d: Vec<(String, Value)> = v["deltas"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["operation"] == "MODIFIED")
            .map(|d| {
                (
                    d["requirement"]["text"].as_str().unwrap().to_string(),
                    d.get("diff").cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        d.sort_by(|a, b| a.0.cmp(&b.0));
        d
    };
    let (rd, od) = (diffs(&rv), diffs(&ov));
    assert_eq!(od.len(), 3);
    assert_eq!(od, rd, "ours vs 1.13.2");
    // A folder wrapping a nested change.
    let (r, o) = both(&["list", "--json"]);
    let (rv, ov) = (r.json(), o.json());
    let nested = |v: &Value| {
        v["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "mobile")
            .map(|c| c["nested"].clone())
    };
    assert_eq!(nested(&ov), Some(serde_json::json!(["mobile/refresh"])));
    assert_eq!(nested(&ov), nested(&rv));
    assert_eq!(ov["warnings"][0]["code"], rv["warnings"][0]["code"]);
    assert_eq!(ov["warnings"][0]["nested"], rv["warnings"][0]["nested"]);
    // Findings: the same items, the same counts.
    for scope in ["--all", "--specs", "--changes"] {
        let (r, o) = both(&["validate", scope, "--json", "--report", "findings"]);
        assert_eq!(o.code, r.code, "{scope}");
        let (rv, ov) = (r.json(), o.json());
        let ids = |v: &Value| -> Vec<String> {
            let mut ids: Vec<String> = v["itemFindings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&ov), ids(&rv), "{scope}");
        for k in ["kind", "scope", "returnedItems", "totalItems"] {
            assert_eq!(ov["report"][k], rv["report"][k], "{scope}: report.{k}");
        }
    }
    let (r, o) = both(&["validate", "short", "--json", "--report", "findings"]);
    assert_eq!(
        (o.code, &o.json()["status"][0]["code"]),
        (r.code, &r.json()["status"][0]["code"])
    );
    // The artifact graph and task state of instructions.
    for artifact in ["proposal", "specs", "design", "tasks", "apply"] {
        let (r, o) = both(&["instructions", artifact, "--change", "mod", "--json"]);
        assert_eq!((o.code, r.code), (0, 0), "{artifact}: {}", o.stderr);
        let (rv, ov) = (r.json(), o.json());
        for k in [
            "artifactId",
            "outputPath",
            "dependencies",
            "unlocks",
            "existingOutputPaths",
            "state",
            "progress",
            "tasks",
            "contextFiles",
            "missingPrerequisites",
            "changeDir",
        ] {
            assert_eq!(ov.get(k), rv.get(k), "instructions {artifact}: {k}");
        }
    }
}
