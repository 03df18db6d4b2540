//! Edits of layout only (comments, whitespace): no host that reads the file
//! as code alone is affected; a host that reads it as data (`readFile`, a
//! path value, a directory copied whole) or whose code sees source
//! positions still is. A `.nix` file read only as data is never parsed as
//! code, so it raises no parse error.
mod repo_support;

use std::path::Path;

use repo_support::{git, write};

fn affected(root: &Path) -> Vec<String> {
    let out = repo_support::openspec(root, &["impact", "--base", "HEAD", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo_support::strings(&repo_support::json(&out)["affected_hosts"])
}

const FLAKE: &str = r#"{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.code = nixpkgs.lib.nixosSystem { modules = [ ./hosts/code.nix ]; };
    nixosConfigurations.data = nixpkgs.lib.nixosSystem { modules = [ ./hosts/data.nix ]; };
    nixosConfigurations.value = nixpkgs.lib.nixosSystem { modules = [ ./hosts/value.nix ]; };
    nixosConfigurations.positions = nixpkgs.lib.nixosSystem { modules = [ ./hosts/positions.nix ]; };
  };
}
"#;

#[test]
fn layout_edits_count_only_where_layout_can_be_seen() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path();
    write(root, "flake.nix", FLAKE);
    write(
        root,
        "hosts/code.nix",
        "{ imports = [ ../shared/m.nix ]; }\n",
    );
    write(
        root,
        "hosts/data.nix",
        "{ environment.etc.m.text = builtins.readFile ../shared/m.nix; }\n",
    );
    write(
        root,
        "hosts/value.nix",
        "{ environment.etc.m.source = ../shared/m.nix; }\n",
    );
    write(
        root,
        "hosts/positions.nix",
        "{ imports = [ ../shared/m.nix ]; environment.etc.p.text = builtins.toJSON (builtins.unsafeGetAttrPos \"a\" { a = 1; }); }\n",
    );
    write(
        root,
        "shared/m.nix",
        "{ lib, ... }: { networking.domain = \"x\"; }\n",
    );
    // Read as data only, and not Nix at all.
    write(root, "shared/template.nix", "@HOSTNAME@ is { not nix\n");
    write(
        root,
        "hosts/code.nix",
        "{ imports = [ ../shared/m.nix ]; environment.etc.t.text = builtins.readFile ../shared/template.nix; }\n",
    );
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "c0"]);

    // Layout only: a comment and re-indentation.
    write(
        root,
        "shared/m.nix",
        "# the domain\n{ lib, ... }:\n{\n  networking.domain = \"x\";\n}\n",
    );
    assert_eq!(affected(root), ["data", "positions", "value"]);
    // A real edit counts for every host that reaches it.
    write(
        root,
        "shared/m.nix",
        "{ lib, ... }: { networking.domain = \"y\"; }\n",
    );
    assert_eq!(affected(root), ["code", "data", "positions", "value"]);

    // The template is data: no parse error, no whole-source widening.
    let out = repo_support::openspec(root, &["hosts", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let code = doc["hosts"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["name"] == "code"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(code["whole_source"], false, "{doc:#}");
    assert!(
        code["files"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "shared/template.nix")),
        "{doc:#}"
    );
    let errors: Vec<&serde_json::Value> = doc["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["level"] == "error" || d["level"] == "warning")
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
