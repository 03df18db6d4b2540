//! The change lifecycle end to end: real git repositories with fixture
//! flakes (verify_support), the real binary, real Nix for `nixos-check`,
//! the real OpenSpec 1.13.2 for the `status` shape.
mod parity_support;
mod verify_support;

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use verify_support::{Fixture, Host, git, write};

fn run(f: &Fixture, args: &[&str]) -> Output {
    f.openspec().args(args).output().expect("openspec runs")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `openspec ARGS --json`, which must exit `code`; its JSON document.
fn json_exit(f: &Fixture, args: &[&str], code: i32) -> Value {
    let mut full = args.to_vec();
    full.push("--json");
    let o = run(f, &full);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&o)))
}

fn ok(f: &Fixture, args: &[&str]) -> Value {
    json_exit(f, args, 0)
}

fn status(f: &Fixture, id: &str) -> Value {
    ok(f, &["status", id])
}

fn roles(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|r| r["role"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn tracking(f: &Fixture, id: &str) -> Value {
    let p = f
        .path()
        .join("openspec/changes")
        .join(id)
        .join("tracking.json");
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Two hosts (alpha imports the desktop and fonts modules, beta does not),
/// both importing modules/firewall.nix; `openspec init`; committed.
fn fixture() -> Fixture {
    let f = Fixture::new(&[("alpha", Host::Ok), ("beta", Host::Ok)]);
    let root = f.path();
    write(
        root,
        "modules/firewall.nix",
        "{ config.networking.firewall.enable = true; }\n",
    );
    write(
        root,
        "modules/base.nix",
        "{ imports = [ ./firewall.nix ]; config.environment.etc.motd = \"welcome\"; }\n",
    );
    git(root, &["config", "user.name", "Git User"]);
    ok(&f, &["init"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "openspec init"]);
    f
}

/// `id` proposed, filled, approved by architect and librarian, committed,
/// and under `code-impl`: the start of every implementation test.
fn implementing(f: &Fixture, id: &str) {
    ok(f, &["new", id]);
    fill(f.path(), id);
    ok(f, &["review", id, "--role", "architect", "--approve"]);
    ok(f, &["review", id, "--role", "librarian", "--approve"]);
    git(f.path(), &["add", "-A"]);
    git(f.path(), &["commit", "-q", "-m", "proposal"]);
    ok(f, &["code-impl", id]);
}

/// A proposal, delta and tasks an assistant would write for change `id`
/// touching `modules/fonts.nix`.
fn fill(root: &Path, id: &str) {
    let dir = format!("openspec/changes/{id}");
    write(
        root,
        &format!("{dir}/proposal.md"),
        "# Change: Fonts\n\n## Why\nThe desktop hosts ship a font that lacks the glyphs our terminals need, so text renders as boxes.\n\n## What Changes\n- Switch the desktop font to dejavu.\n\n## Impact\n- Modified: `modules/fonts.nix`\n- Hosts: alpha\n",
    );
    write(
        root,
        &format!("{dir}/specs/{id}/spec.md"),
        "## ADDED Requirements\n### Requirement: Desktop font\nThe system SHALL ship the dejavu font on desktop hosts.\n\n#### Scenario: Font present\n- **WHEN** a desktop host is built\n- **THEN** its etc holds the dejavu font setting\n",
    );
}

fn tick_all(root: &Path, id: &str) {
    let p = root.join(format!("openspec/changes/{id}/tasks.md"));
    let t = std::fs::read_to_string(&p)
        .unwrap()
        .replace("- [ ]", "- [x]");
    std::fs::write(p, t).unwrap();
}

#[test]
fn happy_path_from_proposal_to_archive_with_status_at_each_step() {
    let f = fixture();
    let root = f.path();
    let id = "desktop-fonts";
    ok(&f, &["new", id]);
    let s = status(&f, id);
    assert_eq!(s["state"], "draft");
    assert_eq!(s["tracked"], true);
    assert_eq!(roles(&s["reviews"]["required"]), ["architect", "librarian"]);
    assert_eq!(s["reviews"]["approved"], false);
    assert!(
        s["next_step"]
            .as_str()
            .unwrap()
            .contains("openspec review desktop-fonts --role architect"),
        "{s:#}"
    );
    assert_eq!(s["changeName"], id, "OpenSpec's keys are there");
    fill(root, id);
    ok(&f, &["validate", id, "--strict"]);

    let r = ok(
        &f,
        &[
            "review",
            id,
            "--role",
            "architect",
            "--approve",
            "--by",
            "Alice",
        ],
    );
    assert_eq!(
        (r["previous_state"].as_str(), r["state"].as_str()),
        (Some("draft"), Some("in-review"))
    );
    assert_eq!(r["review"]["by"], "Alice");
    let s = status(&f, id);
    assert_eq!(s["state"], "in-review");
    assert_eq!(s["reviews"]["given"].as_array().unwrap().len(), 1);
    assert_eq!(
        s["reviews"]["missing"][0],
        "librarian review missing (technical feasibility)"
    );

    // Without --by, git's user.name.
    let r = ok(
        &f,
        &[
            "review",
            id,
            "--role",
            "librarian",
            "--approve",
            "--note",
            "inputs fine",
        ],
    );
    assert_eq!(r["state"], "approved");
    assert_eq!(r["review"]["by"], "Git User");
    let s = status(&f, id);
    assert_eq!(s["state"], "approved");
    assert_eq!(s["reviews"]["approved"], true);
    assert!(
        s["next_step"]
            .as_str()
            .unwrap()
            .contains("openspec code-impl desktop-fonts")
    );

    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "proposal"]);
    let head = verify_support_head(root);
    let c = ok(&f, &["code-impl", id]);
    assert_eq!(c["state"], "implementing");
    assert_eq!(c["base_revision"], head.as_str());
    assert_eq!(c["forced"], false);
    let tasks: Vec<&str> = c["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        tasks[0], "1.1 Implement the change",
        "tasks in file order: {tasks:?}"
    );
    assert!(tasks[1].starts_with("2.1 "), "{tasks:?}");
    let s = status(&f, id);
    assert_eq!(s["state"], "implementing");
    assert_eq!(s["base_revision"], head.as_str());
    assert_eq!(s["tasks"]["completed"], 0);

    // The implementation: a harmless edit of the fonts module (alpha only).
    write(
        root,
        "modules/fonts.nix",
        "{ config.environment.etc.fonts = \"dejavu\"; }\n",
    );
    tick_all(root, id);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "fonts"]);
    let s = status(&f, id);
    assert_eq!(
        s["impact"]["computed"]["hosts"],
        serde_json::json!(["alpha"]),
        "{:#}",
        s["impact"]
    );
    assert_eq!(
        s["impact"]["declared"]["hosts"],
        serde_json::json!(["alpha"])
    );
    assert!(
        !roles(&s["reviews"]["required"]).contains(&"security".to_string()),
        "a harmless edit needs no security review"
    );
    assert_eq!(s["tasks"]["completed"], s["tasks"]["total"]);
    assert!(s["next_step"].as_str().unwrap().contains("nixos-check"));

    let check = ok(&f, &["nixos-check", id]);
    assert_eq!(check["summary"]["failed"], 0, "{check:#}");
    let s = status(&f, id);
    assert_eq!(s["state"], "verified", "{s:#}");
    assert_eq!(
        s["verification"]["succeeded"],
        check["summary"]["succeeded"]
    );
    assert!(
        s["next_step"]
            .as_str()
            .unwrap()
            .contains("openspec archive desktop-fonts")
    );

    let a = ok(&f, &["archive", id, "--yes"]);
    let path = a["archive"]["path"].as_str().unwrap().to_string();
    let t: Value =
        serde_json::from_slice(&std::fs::read(root.join(&path).join("tracking.json")).unwrap())
            .unwrap();
    assert_eq!(t["state"], "archived");
    let states: Vec<&str> = t["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        [
            "in-review",
            "approved",
            "implementing",
            "verified",
            "archived"
        ]
    );
    for h in t["history"].as_array().unwrap() {
        assert!(h["at"].as_str().unwrap().ends_with('Z'), "{h}");
        assert_eq!(h["revision"].as_str().map(str::len), Some(40), "{h}");
        assert!(!h["by"].as_str().unwrap().is_empty(), "{h}");
    }
    assert!(
        root.join("openspec/specs")
            .join(id)
            .join("spec.md")
            .is_file()
    );
    // An archived change takes no reviews.
    let o = run(&f, &["review", id, "--role", "reviewer", "--approve"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is archived"), "{}", text(&o));
}

fn verify_support_head(root: &Path) -> String {
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn stale_approval_and_code_impl_gate_with_force() {
    let f = fixture();
    let root = f.path();
    let id = "fonts-stale";
    ok(&f, &["new", id]);
    fill(root, id);
    let o = run(&f, &["code-impl", id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("not approved") && text(&o).contains("--force --reason"),
        "{}",
        text(&o)
    );
    let refused = json_exit(&f, &["code-impl", id], 1);
    assert_eq!(refused["error"]["exit_code"], 1, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("librarian review missing"),
        "{refused}"
    );
    ok(
        &f,
        &[
            "review",
            id,
            "--role",
            "architect",
            "--approve",
            "--by",
            "A",
        ],
    );
    ok(
        &f,
        &[
            "review",
            id,
            "--role",
            "librarian",
            "--approve",
            "--by",
            "L",
        ],
    );
    assert_eq!(status(&f, id)["reviews"]["approved"], true);
    // Editing the proposal makes both approvals stale.
    let p = root.join(format!("openspec/changes/{id}/proposal.md"));
    let mut t = std::fs::read_to_string(&p).unwrap();
    t.push_str("- Also the console font.\n");
    std::fs::write(&p, t).unwrap();
    let s = status(&f, id);
    assert_eq!(s["reviews"]["approved"], false);
    let stale: Vec<bool> = s["reviews"]["given"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["stale"].as_bool().unwrap())
        .collect();
    assert_eq!(stale, [true, true]);
    assert!(
        s["reviews"]["missing"][0]
            .as_str()
            .unwrap()
            .contains("stale"),
        "{s:#}"
    );
    // Ticking tasks is not a change of the proposal.
    tick_all(root, id);
    let o = run(&f, &["code-impl", id]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("stale"), "{}", text(&o));
    assert_eq!(
        status(&f, id)["state"],
        "in-review",
        "a refused code-impl records that the approval no longer holds"
    );
    let o = run(&f, &["code-impl", id, "--force"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--force needs --reason: {}",
        text(&o)
    );
    let c = ok(
        &f,
        &[
            "code-impl",
            id,
            "--force",
            "--reason",
            "maintenance window tonight",
            "--by",
            "Ops",
        ],
    );
    assert_eq!(
        (c["state"].as_str(), c["forced"].as_bool()),
        (Some("implementing"), Some(true))
    );
    let t = tracking(&f, id);
    let last = t["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["to"], "implementing");
    assert_eq!(last["forced"], true);
    assert_eq!(last["reason"], "maintenance window tonight");
    assert_eq!(last["by"], "Ops");
    // Reviewing again with the new content clears the staleness.
    ok(&f, &["review", id, "--role", "architect", "--approve"]);
    ok(&f, &["review", id, "--role", "librarian", "--approve"]);
    assert_eq!(status(&f, id)["reviews"]["approved"], true);
}

#[test]
fn a_security_edit_in_a_plain_change_needs_a_security_review() {
    let f = fixture();
    let root = f.path();
    let id = "open-port";
    implementing(&f, id);
    assert_eq!(
        roles(&status(&f, id)["reviews"]["required"]),
        ["architect", "librarian"]
    );
    // The implementation opens a port in the firewall module.
    write(
        root,
        "modules/firewall.nix",
        "{ config.networking.firewall.enable = true; config.networking.firewall.allowedTCPPorts = [ 8080 ]; }\n",
    );
    let s = status(&f, id);
    assert!(
        s["impact"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "security-model"),
        "{:#}",
        s["impact"]
    );
    assert_eq!(
        roles(&s["reviews"]["required"]),
        ["architect", "librarian", "security"]
    );
    assert_eq!(s["reviews"]["approved"], false);
    // Verified or not, archive waits for the security review.
    tick_all(root, id);
    ok(&f, &["nixos-check", id]);
    assert_eq!(status(&f, id)["state"], "verified");
    let o = run(&f, &["archive", id, "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("security review missing"), "{}", text(&o));
    ok(
        &f,
        &[
            "review",
            id,
            "--role",
            "security",
            "--approve",
            "--note",
            "port 8080 is the metrics endpoint",
        ],
    );
    ok(&f, &["archive", id, "--yes"]);
}

/// Another change's files (here an emergency named after ssh) are not this
/// change's impact: they neither list as its files nor make it security-model.
#[test]
fn another_changes_files_do_not_set_this_changes_categories() {
    let f = fixture();
    let root = f.path();
    let id = "fonts";
    implementing(&f, id);
    write(
        root,
        "modules/fonts.nix",
        "{ config.fonts.enableDefaultPackages = true; }\n",
    );
    ok(
        &f,
        &[
            "emergency",
            "harden-ssh",
            "--reason",
            "sshd was open",
            "--kind",
            "security",
        ],
    );
    let s = status(&f, id);
    let computed = &s["impact"]["computed"];
    assert!(
        computed["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| !p.as_str().unwrap().starts_with("openspec/")),
        "{computed:#}"
    );
    assert!(
        !s["impact"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "security-model"),
        "{:#}",
        s["impact"]
    );
    assert_eq!(roles(&s["reviews"]["required"]), ["architect", "librarian"]);
    assert_eq!(s["reviews"]["approved"], true, "{:#}", s["reviews"]);
}

/// A delta edited after verification makes the approvals stale, which
/// archive does not require again; status names archive as the next step.
#[test]
fn a_verified_change_with_a_stale_approval_is_told_to_archive() {
    let f = fixture();
    let root = f.path();
    let id = "fonts";
    implementing(&f, id);
    write(
        root,
        "modules/fonts.nix",
        "{ config.environment.etc.fonts = \"dejavu\"; }\n",
    );
    tick_all(root, id);
    ok(&f, &["nixos-check", id]);
    let spec = format!("openspec/changes/{id}/specs/{id}/spec.md");
    let text = std::fs::read_to_string(root.join(&spec)).unwrap();
    write(
        root,
        &spec,
        &format!("{text}- **AND** the terminals render it\n"),
    );
    let s = status(&f, id);
    assert_eq!(s["state"], "verified");
    assert!(
        s["reviews"]["given"][0]["stale"] == true,
        "{:#}",
        s["reviews"]
    );
    assert_eq!(
        s["next_step"],
        format!("archive: openspec archive {id} --yes"),
        "{:#}",
        s["reviews"]
    );
    ok(&f, &["archive", id, "--yes"]);
}

#[test]
fn an_emergency_archives_only_after_its_post_incident_review() {
    let f = fixture();
    let root = f.path();
    let id = "block-scan";
    let head = verify_support_head(root);
    let e = ok(
        &f,
        &[
            "emergency",
            id,
            "--reason",
            "port scan from a botnet",
            "--kind",
            "security",
            "--by",
            "Oncall",
        ],
    );
    assert_eq!(e["state"], "emergency");
    assert_eq!(e["base_revision"], head.as_str());
    assert_eq!(e["emergency"]["kind"], "security");
    assert_eq!(e["post_incident_review"], "security");
    let s = status(&f, id);
    assert_eq!(s["state"], "emergency");
    assert_eq!(roles(&s["reviews"]["required"]), ["security"]);
    assert!(
        s["next_step"]
            .as_str()
            .unwrap()
            .contains("post-incident sections"),
        "{s:#}"
    );
    // No approval gate for the fix itself.
    ok(&f, &["code-impl", id]);
    let o = run(&f, &["archive", id, "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let msg = text(&o);
    for part in [
        "What Happened",
        "What Was Changed",
        "Follow-ups",
        "security review missing",
    ] {
        assert!(msg.contains(part), "{part}: {msg}");
    }
    let p = root.join(format!("openspec/changes/{id}/proposal.md"));
    let t = std::fs::read_to_string(&p).unwrap();
    let t = t
        .replace("<!-- Timeline: what was seen, when, which hosts. -->", "At 03:10 a scan hit every host.")
        .replace("<!-- The fix as made: files, options, hosts, revisions. -->", "Closed port 8080 in modules/firewall.nix.")
        .replace(
            "<!-- What must still be done: proper fix, monitoring, procedure updates, lessons learned. -->",
            "- Alert on scans.",
        );
    std::fs::write(&p, t).unwrap();
    // An architect's review is not the security incident's post-incident review.
    ok(&f, &["review", id, "--role", "architect", "--approve"]);
    let o = run(&f, &["archive", id, "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("security review missing") && !text(&o).contains("What Happened"),
        "{}",
        text(&o)
    );
    ok(
        &f,
        &[
            "review",
            id,
            "--role",
            "security",
            "--approve",
            "--note",
            "post-incident review held",
        ],
    );
    assert!(
        status(&f, id)["next_step"]
            .as_str()
            .unwrap()
            .contains("openspec archive")
    );
    let a = ok(&f, &["archive", id, "--yes"]);
    assert!(a["archive"]["path"].as_str().unwrap().ends_with(id));
}

#[test]
fn bad_input_is_refused_and_broken_tracking_files_are_never_rewritten() {
    let f = fixture();
    let root = f.path();
    let id = "bad-input";
    ok(&f, &["new", id]);
    // A change declared as kind security needs the security review from the start.
    ok(&f, &["new", "declared-security", "--kind", "security"]);
    assert_eq!(
        roles(&status(&f, "declared-security")["reviews"]["required"]),
        ["architect", "librarian", "security"]
    );
    let o = run(&f, &["review", id, "--role", "janitor", "--approve"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("architect, librarian, security, reviewer"),
        "{}",
        text(&o)
    );
    let o = run(&f, &["review", id, "--role", "architect"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a verdict is required: {}",
        text(&o)
    );
    let o = run(
        &f,
        &[
            "review",
            "no-such-change",
            "--role",
            "architect",
            "--approve",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let p = root.join(format!("openspec/changes/{id}/tracking.json"));
    for (bad, expect) in [
        ("{\"kind\": \"change\",\n \"state\": \"draft\",\n", "line 3"),
        (
            "{\"kind\": \"change\",\n \"state\": \"shipped\", \"created\": \"x\"}\n",
            "shipped",
        ),
    ] {
        std::fs::write(&p, bad).unwrap();
        for args in [
            vec!["review", id, "--role", "architect", "--approve"],
            vec!["code-impl", id],
            vec!["status", id],
            vec!["archive", id, "--yes"],
        ] {
            let o = run(&f, &args);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
            let msg = text(&o);
            assert!(
                msg.contains("tracking.json") && msg.contains(expect),
                "{args:?}: {msg}"
            );
            assert_eq!(
                std::fs::read_to_string(&p).unwrap(),
                bad,
                "{args:?} rewrote the file"
            );
        }
    }
}

#[test]
fn concurrent_reviews_are_all_recorded() {
    let f = fixture();
    let id = "concurrent";
    ok(&f, &["new", id]);
    let roles = ["architect", "librarian", "security", "reviewer"];
    let mut expected = 0;
    for round in 0..3 {
        let children: Vec<_> = roles
            .iter()
            .map(|r| {
                let by = format!("{r}-{round}");
                f.openspec()
                    .args(["review", id, "--role", r, "--approve", "--by", &by])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        expected += roles.len();
        let t = tracking(&f, id);
        let mut got: Vec<String> = t["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["by"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(got.len(), expected, "no review lost: {got:?}");
        got.sort();
        got.dedup();
        assert_eq!(got.len(), expected);
    }
}

/// Every key of `reference` is in `ours` with an equal value (objects
/// compared key by key, arrays element by element).
fn superset(path: &str, reference: &Value, ours: &Value) {
    match (reference, ours) {
        (Value::Object(r), Value::Object(o)) => {
            for (k, v) in r {
                let Some(ov) = o.get(k) else {
                    panic!("{path}.{k} missing in ours: {ours:#}")
                };
                superset(&format!("{path}.{k}"), v, ov);
            }
        }
        (Value::Array(r), Value::Array(o)) => {
            assert_eq!(r.len(), o.len(), "{path}: {reference:#} vs {ours:#}");
            for (i, (a, b)) in r.iter().zip(o).enumerate() {
                superset(&format!("{path}[{i}]"), a, b);
            }
        }
        _ => assert_eq!(reference, ours, "{path}"),
    }
}

#[test]
fn status_json_is_a_superset_of_openspec_1_13_2() {
    use parity_support::{ours_run, reference, reference_run};
    let pkg = reference();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    git(&root, &["init", "-q", "-b", "main"]);
    let both = |args: &[&str]| (reference_run(&pkg, &root, args), ours_run(&root, args));
    let same = |args: &[&str]| {
        let (r, o) = both(args);
        assert_eq!(
            r.code, o.code,
            "{args:?}: reference {} / ours {}",
            r.stderr, o.stderr
        );
        if args.contains(&"--json") {
            superset("$", &r.json(), &o.json());
        }
        (r, o)
    };
    assert_eq!(ours_run(&root, &["init"]).code, 0);
    // No changes: exit 0 with a message.
    let (r, o) = same(&["status"]);
    assert_eq!(r.stdout.trim(), o.stdout.trim());
    same(&["status", "--json"]);
    // A change made by `new` (tracked), one by hand with every artifact, an empty one.
    assert_eq!(ours_run(&root, &["new", "tracked-one"]).code, 0);
    write(&root, "openspec/changes/full/proposal.md", "# P\n");
    write(&root, "openspec/changes/full/design.md", "# D\n");
    write(&root, "openspec/changes/full/tasks.md", "- [ ] 1.1 a\n");
    write(
        &root,
        "openspec/changes/full/specs/cap/spec.md",
        "## ADDED Requirements\n",
    );
    std::fs::create_dir_all(root.join("openspec/changes/empty")).unwrap();
    for id in ["tracked-one", "full", "empty"] {
        same(&["status", "--change", id, "--json"]);
        let (r, o) = same(&["status", "--change", id]);
        if id != "tracked-one" {
            assert_eq!(o.stdout.trim(), r.stdout.trim(), "{id}: the same text");
        }
        assert!(o.stdout.contains(&format!("Change: {id}")), "{}", o.stdout);
    }
    let ours = ours_run(&root, &["status", "tracked-one", "--json"]).json();
    assert_eq!(
        ours["state"], "draft",
        "our positional form adds the lifecycle"
    );
    same(&["status", "--all", "--json"]);
    // Without --change while changes exist, and an unknown change: exit 1.
    let (r, o) = same(&["status", "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json(), o.json());
    let (r, o) = same(&["status", "--change", "nope", "--json"]);
    assert_eq!(r.json(), o.json());
    let (r, o) = same(&["status"]);
    assert!(
        r.stderr.contains("Missing required option --change")
            && o.stderr.contains("Missing required option --change"),
        "{}",
        o.stderr
    );
}
