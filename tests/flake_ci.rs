//! The CI recipes under nix/ci: the GitHub Actions workflow wires impact ->
//! one nixos-check job per host -> markdown comment, and the shell recipe
//! runs the real binary and agrees with it.
mod flake_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use flake_support::*;
use serde_yaml::Value;

fn workflow() -> Value {
    let path = repo_root().join("nix/ci/github-actions.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn runs(job: &Value) -> String {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn workflow_fans_out_one_nixos_check_job_per_affected_host() {
    let wf = workflow();
    assert!(wf["on"].as_mapping().unwrap().contains_key("pull_request"));
    let jobs = &wf["jobs"];

    let impact = &jobs["impact"];
    assert!(
        runs(impact)
            .contains("nix run .#openspec -- impact --base \"$BASE\" --format github-matrix")
    );
    assert_eq!(
        impact["outputs"]["matrix"].as_str(),
        Some("${{ steps.impact.outputs.matrix }}")
    );

    let check = &jobs["nixos-check"];
    assert_eq!(check["needs"].as_str(), Some("impact"));
    assert_eq!(
        check["strategy"]["matrix"].as_str(),
        Some("${{ fromJSON(needs.impact.outputs.matrix) }}")
    );
    assert_eq!(check["strategy"]["fail-fast"].as_bool(), Some(false));
    assert!(runs(check).contains("openspec -- nixos-check --hosts \"$HOST\""));
    let step_env = check["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find_map(|s| s["env"]["HOST"].as_str());
    assert_eq!(step_env, Some("${{ matrix.host }}"));

    let report = &jobs["report"];
    let needs: Vec<&str> = report["needs"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    assert_eq!(needs, ["impact", "nixos-check"]);
    assert!(
        runs(report).contains("impact --base \"$BASE\" --format markdown > openspec-report.md")
    );
    assert!(runs(report).contains("gh pr comment \"$PR\" --body-file openspec-report.md"));
    assert_eq!(
        report["permissions"]["pull-requests"].as_str(),
        Some("write")
    );
}

fn script() -> PathBuf {
    repo_root().join("nix/ci/openspec-ci.sh")
}

#[test]
fn shell_recipe_is_valid_bash_and_refuses_unknown_steps() {
    run_ok(Command::new("bash").arg("-n").arg(script()));
    let out = Command::new("bash")
        .arg(script())
        .arg("deploy")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown step 'deploy'"),
        "{}",
        stderr(&out)
    );
    let out = Command::new("bash")
        .arg(script())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("check HOST"), "{}", stderr(&out));
}

/// A host flake checkout whose last commit changes the web host.
fn checkout_with_a_change() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = repo_root().join("tests/fixtures/consumer");
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let dest = dir.path().join(entry.path().strip_prefix(&src).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit_all(dir.path(), "hosts");
    let host = dir.path().join("hosts/web/default.nix");
    let text = std::fs::read_to_string(&host).unwrap();
    std::fs::write(&host, text.replace("echo web", "echo web2")).unwrap();
    commit_all(dir.path(), "change web");
    dir
}

fn run_recipe(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("bash")
        .arg(script())
        .args(args)
        .current_dir(dir)
        .env("OPENSPEC", openspec_bin())
        .env("OPENSPEC_BASE", "HEAD~1")
        .env("NIX_CONFIG", NIX_CONFIG)
        .output()
        .unwrap()
}

#[test]
fn shell_recipe_hosts_agree_with_openspec_impact() {
    let jq_found = Command::new("sh")
        .args(["-c", "command -v jq"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        jq_found,
        "jq is not installed: run the suite with tests/run.sh, which installs it"
    );
    let dir = checkout_with_a_change();
    let direct = Command::new(openspec_bin())
        .args(["impact", "--base", "HEAD~1", "--json"])
        .current_dir(dir.path())
        .env("NIX_CONFIG", NIX_CONFIG)
        .output()
        .unwrap();
    let recipe = run_recipe(dir.path(), &["hosts"]);
    assert!(
        direct.status.success(),
        "impact on the fixture: {}",
        stderr(&direct)
    );
    let doc: serde_json::Value = serde_json::from_slice(&direct.stdout).unwrap();
    let expected: Vec<&str> = doc["affected_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h.as_str())
        .collect();
    assert!(!expected.is_empty(), "the fixture change affects a host");
    assert!(recipe.status.success(), "{}", stderr(&recipe));
    assert_eq!(stdout(&recipe).lines().collect::<Vec<_>>(), expected);
}

#[test]
fn github_matrix_has_one_include_entry_per_affected_host() {
    // The workflow reads `.include` and `matrix.host`: that is the contract
    // with `impact --format github-matrix`.
    let dir = checkout_with_a_change();
    let run = |format: &str| {
        Command::new(openspec_bin())
            .args(["impact", "--base", "HEAD~1", "--format", format])
            .current_dir(dir.path())
            .env("NIX_CONFIG", NIX_CONFIG)
            .output()
            .unwrap()
    };
    let matrix = run("github-matrix");
    assert!(matrix.status.success(), "{}", stderr(&matrix));
    let matrix: serde_json::Value = serde_json::from_slice(&matrix.stdout).unwrap();
    let json = run("json");
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let hosts: Vec<&serde_json::Value> = matrix["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["host"])
        .collect();
    let expected: Vec<&serde_json::Value> =
        json["affected_hosts"].as_array().unwrap().iter().collect();
    assert_eq!(hosts, expected);
}
