//! The consumer integration: tests/fixtures/consumer is a host flake (a git
//! checkout) that calls `openspec.lib.mkOpenspec { inherit self nixpkgs; }`.
//! Real Nix evaluates it with this repository and the nixpkgs stand-in as its
//! inputs, builds the wrapper and the check, and runs them.
mod flake_support;

use std::process::Command;

use flake_support::*;

#[test]
fn plain_flake_gets_the_app_and_the_validate_check() {
    let f = Flakes::new();
    let eval = |attr: &str, apply: &str| {
        let mut cmd = f.consumer(&["eval", "--json"], &format!("#{attr}"));
        cmd.args(["--apply", apply]);
        eval_json(cmd)
    };
    assert_eq!(
        eval("apps", "builtins.mapAttrs (s: a: builtins.attrNames a)"),
        serde_json::json!({ SYSTEM: ["openspec"] })
    );
    assert_eq!(
        eval("checks", "builtins.mapAttrs (s: c: builtins.attrNames c)"),
        serde_json::json!({ SYSTEM: ["openspec-validate"] })
    );
    let app = eval(&format!("apps.{SYSTEM}.openspec"), "a: a");
    assert_eq!(app["type"], "app");
    assert!(app["program"].as_str().unwrap().ends_with("/bin/openspec"));
    assert_eq!(
        eval(&format!("checks.{SYSTEM}.openspec-validate"), "c: c.type"),
        "derivation"
    );
    // Nix's own shape checks over the consumer's outputs.
    run_ok(&mut f.consumer(&["flake", "check", "--no-build"], ""));
}

/// The command line the app's wrapper ends in, traced by bash.
fn traced_exec(program: &str, cwd: &std::path::Path, args: &[&str]) -> String {
    let out = run_ok(
        Command::new("bash")
            .arg("-x")
            .arg(program)
            .args(args)
            .current_dir(cwd),
    );
    stderr(&out)
        .lines()
        .find(|l| l.starts_with("+ exec "))
        .unwrap_or_else(|| panic!("no exec in the trace:\n{}", stderr(&out)))
        .to_string()
}

#[test]
fn app_works_on_the_checkout_it_runs_in_else_on_the_flake_source() {
    let f = Flakes::new();
    let program = eval_json(f.consumer(
        &["eval", "--json"],
        &format!("#apps.{SYSTEM}.openspec.program"),
    ));
    let program = program.as_str().unwrap();
    // nix run realises the wrapper (and the package it calls) and runs it.
    let outside = tempfile::tempdir().unwrap();
    let mut run = f.consumer(&["run"], "#openspec");
    run.args(["--", "--version"]).current_dir(outside.path());
    assert_eq!(
        stdout(&run_ok(&mut run)).trim(),
        format!("openspec {}", env!("CARGO_PKG_VERSION"))
    );

    let source = f.consumer_store_path();
    // In a checkout (any directory below its root): the checkout, not the store copy.
    let inside = traced_exec(
        program,
        &f.consumer.join("openspec/changes"),
        &["--version"],
    );
    assert!(!inside.contains("--root"), "{inside}");
    assert!(inside.ends_with("/bin/openspec --version"), "{inside}");
    // Outside any checkout: the flake's source in the store.
    let fallback = traced_exec(program, outside.path(), &["--version"]);
    assert!(
        fallback.ends_with(&format!("/bin/openspec --root {source} --version")),
        "{fallback}"
    );
    // An explicit --root wins everywhere.
    let explicit = traced_exec(
        program,
        outside.path(),
        &["--root", "/srv/hosts", "--version"],
    );
    assert!(
        explicit.ends_with("/bin/openspec --root /srv/hosts --version"),
        "{explicit}"
    );
}

/// Build the consumer's check; it must agree with the binary run directly on
/// the same store copy of the consumer's tree.
fn check_agrees_with_validate(f: &Flakes) -> bool {
    let source = f.consumer_store_path();
    let drv = eval_json(f.consumer(
        &["eval", "--json"],
        &format!("#checks.{SYSTEM}.openspec-validate.drvPath"),
    ));
    let drv = drv.as_str().unwrap();
    let shown = run_ok(nix_cmd("nix").args(["show-derivation", drv]));
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let d = &shown[drv];
    let script = d["env"]["buildCommand"].as_str().unwrap();
    assert!(
        script.contains(&format!(
            "openspec --no-color --root {source} validate --all --strict"
        )),
        "{script}"
    );
    assert!(
        d["inputSrcs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == source.as_str()),
        "the consumer's source is not an input of the check: {d}"
    );

    let direct = Command::new(openspec_bin())
        .args([
            "--no-color",
            "--root",
            &source,
            "validate",
            "--all",
            "--strict",
        ])
        .output()
        .unwrap();
    let built = f
        .consumer(
            &["build", "--no-link"],
            &format!("#checks.{SYSTEM}.openspec-validate"),
        )
        .output()
        .unwrap();
    assert_eq!(
        built.status.success(),
        direct.status.success(),
        "check and direct run disagree:\ncheck:\n{}\ndirect:\n{}",
        stderr(&built),
        stderr(&direct)
    );
    if !direct.status.success() {
        let last = stderr(&direct);
        let last = last.lines().last().unwrap_or_default();
        assert!(
            stderr(&built).contains(last),
            "the check's log lacks the binary's message {last:?}:\n{}",
            stderr(&built)
        );
    }
    direct.status.success()
}

#[test]
fn validate_check_runs_validate_strict_on_the_consumer_tree() {
    let f = Flakes::new();
    check_agrees_with_validate(&f);
}

#[test]
fn validate_check_fails_on_a_broken_spec() {
    let f = Flakes::new();
    // A requirement without a scenario is an error in the OpenSpec rules.
    let spec = f.consumer.join("openspec/specs/ssh/spec.md");
    let text = std::fs::read_to_string(&spec).unwrap();
    let cut = text.find("#### Scenario").unwrap();
    std::fs::write(&spec, &text[..cut]).unwrap();
    commit_all(&f.consumer, "break the ssh spec");
    assert!(!check_agrees_with_validate(&f));
}
