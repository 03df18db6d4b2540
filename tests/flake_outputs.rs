//! openspec's own flake, evaluated (and where the stand-in allows, built) by
//! real Nix with nixpkgs replaced by tests/fixtures/nixpkgs-stub.
mod flake_support;

use flake_support::*;

const SYSTEMS: [&str; 4] = [
    "x86_64-linux",
    "aarch64-linux",
    "x86_64-darwin",
    "aarch64-darwin",
];

#[test]
fn app_runs_bin_openspec_of_the_package() {
    let f = Flakes::new();
    let app = eval_json(f.ours(&["eval", "--json"], &format!("#apps.{SYSTEM}.openspec")));
    assert_eq!(app["type"], "app");
    let program = app["program"].as_str().unwrap();
    assert!(program.ends_with("/bin/openspec"), "{program}");
    let out = eval_json(f.ours(
        &["eval", "--json"],
        &format!("#packages.{SYSTEM}.openspec.outPath"),
    ));
    assert_eq!(program, format!("{}/bin/openspec", out.as_str().unwrap()));
}

#[test]
fn every_system_has_package_app_checks_shell_and_formatter() {
    let f = Flakes::new();
    let eval = |attr: &str, apply: &str| {
        let mut cmd = f.ours(&["eval", "--json"], &format!("#{attr}"));
        cmd.args(["--apply", apply]);
        eval_json(cmd)
    };
    let names = "builtins.mapAttrs (s: a: builtins.attrNames a)";
    let packages = eval("packages", names);
    let apps = eval("apps", names);
    let checks = eval("checks", names);
    let shells = eval("devShells", names);
    let formatter = eval("formatter", "builtins.mapAttrs (s: d: d.type)");
    for system in SYSTEMS {
        assert_eq!(packages[system], serde_json::json!(["default", "openspec"]));
        assert_eq!(apps[system], serde_json::json!(["default", "openspec"]));
        assert_eq!(
            checks[system],
            serde_json::json!(["clippy", "fmt", "openspec"])
        );
        assert_eq!(shells[system], serde_json::json!(["default"]));
        assert_eq!(formatter[system], "derivation");
    }
    assert_eq!(
        eval(
            &format!("packages.{SYSTEM}.default"),
            "p: p.meta.mainProgram"
        ),
        "openspec"
    );
    assert_eq!(eval("overlays", "o: builtins.isFunction o.default"), true);
    assert_eq!(
        eval("lib", "builtins.attrNames"),
        serde_json::json!([
            "appFor",
            "defaultNixpkgs",
            "mkOpenspec",
            "packageFor",
            "systems",
            "validateCheckFor"
        ])
    );
    assert_eq!(
        eval("flakeModules", "m: builtins.isFunction m.default"),
        true
    );
}

#[test]
fn nix_flake_check_evaluates_every_output() {
    // Nix's own checks of output shapes: apps point into the store, checks
    // and dev shells are derivations, the overlay is `final: prev:`.
    let f = Flakes::new();
    let out = run_ok(&mut f.ours(&["flake", "check", "--no-build"], ""));
    let err = stderr(&out);
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn package_source_holds_only_what_cargo_reads() {
    let f = Flakes::new();
    let mut cmd = f.ours(
        &["eval", "--json"],
        &format!("#packages.{SYSTEM}.openspec.src"),
    );
    cmd.args(["--apply", "builtins.readDir"]);
    assert_eq!(
        eval_json(cmd),
        serde_json::json!({
            "Cargo.lock": "regular",
            "Cargo.toml": "regular",
            "src": "directory",
            "tests": "directory"
        })
    );
}

#[test]
fn overlay_adds_openspec_to_a_package_set() {
    let f = Flakes::new();
    let expr = format!(
        "let o = builtins.getFlake \"path:{repo}\"; s = builtins.getFlake \"path:{stub}\"; \
         prev = s.legacyPackages.{SYSTEM}; \
         final = prev // o.overlays.default final prev; \
         in final.openspec.meta.mainProgram",
        repo = f.repo.display(),
        stub = f.stub.display()
    );
    // getFlake of the repository uses its own lock (the real nixpkgs), which
    // the overlay never touches: it only calls back into `final`.
    let mut cmd = nix_cmd("nix");
    cmd.args(["eval", "--impure", "--json", "--expr", &expr]);
    assert_eq!(eval_json(cmd), "openspec");
}
