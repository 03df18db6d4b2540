//! nix/flake-module.nix, the flake-parts face of the consumer integration.
//! flake-parts itself cannot be fetched here, so tests/flake_support/
//! flake-parts-harness.nix calls the module as flake-parts would and real Nix
//! compares what it yields with the plain lib.mkOpenspec.
mod flake_support;

use flake_support::*;

#[test]
fn flake_parts_module_yields_the_same_app_and_check_as_the_plain_lib() {
    let f = Flakes::new();
    let harness = repo_root().join("tests/flake_support/flake-parts-harness.nix");
    let expr = format!(
        "import {} {{ repo = \"{}\"; stub = \"{}\"; consumer = \"{}\"; system = \"{SYSTEM}\"; }}",
        harness.display(),
        f.repo.display(),
        f.stub.display(),
        f.consumer.display()
    );
    let mut cmd = nix_cmd("nix");
    cmd.args(["eval", "--impure", "--json", "--expr", &expr]);
    let doc = eval_json(cmd);
    assert_eq!(
        doc["types"],
        serde_json::json!({"package": "package", "src": "path", "checkEnable": "bool"})
    );
    assert_eq!(doc["srcDefaultIsSelf"], true);
    assert_eq!(doc["app"]["type"], "app");
    assert!(
        doc["app"]["program"]
            .as_str()
            .unwrap()
            .ends_with("/bin/openspec")
    );
    assert_eq!(doc["app"], doc["plainApp"]);
    assert_eq!(doc["checkCondition"], true);
    assert_eq!(doc["check"], doc["plainCheck"]);
    assert!(
        doc["check"]
            .as_str()
            .unwrap()
            .ends_with("-openspec-validate.drv")
    );
    assert_eq!(doc["disabledCondition"], false);
}
