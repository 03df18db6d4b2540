//! Edits that change a host in ways that are easy to miss statically: a
//! flake.nix edit seen through the whole source, outputs read through
//! `inputs.self` or beside an `//`, a symbolic link's target, an input
//! reached as `self.inputs.<x>`, and a "read" function that is not the
//! builtin. Each case: a commit, then `impact --base HEAD~1 --head HEAD`
//! must name the host.
mod repo_support;

use std::path::Path;

use repo_support::{commit_all, git, json, openspec, strings, write};

/// Commit `files`, apply `edit` (path, from, to), commit, and answer.
fn affected(files: &[(&str, &str)], edit: (&str, &str, &str)) -> Vec<String> {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path();
    for (rel, text) in files {
        write(root, rel, text);
    }
    git(root, &["init", "-q", "-b", "main"]);
    commit_all(root, "c0");
    apply(root, edit);
    commit_all(root, "c1");
    let out = openspec(
        root,
        &["impact", "--base", "HEAD~1", "--head", "HEAD", "--json"],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    strings(&json(&out)["affected_hosts"])
}

fn apply(root: &Path, (rel, from, to): (&str, &str, &str)) {
    let text = std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(text.contains(from), "{rel} holds {from:?}");
    write(root, rel, &text.replacen(from, to, 1));
}

#[test]
fn a_flake_nix_edit_counts_for_a_host_that_reads_the_whole_source() {
    let flake = r#"{
  description = "d";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ { environment.etc.src.source = "${self}"; } ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./b.nix ]; };
  };
}
"#;
    let files = [("flake.nix", flake), ("b.nix", "{ }\n")];
    assert_eq!(affected(&files, ("flake.nix", "\"d\"", "\"e\"")), ["a"]);
}

#[test]
fn outputs_read_through_inputs_self_count() {
    let flake = r#"{
  outputs = { self, nixpkgs, ... }@inputs: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { specialArgs = { inherit inputs; }; modules = [ ./a.nix ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./b.nix inputs.self.nixosModules.x ]; };
    nixosConfigurations.c = nixpkgs.lib.nixosSystem { modules = [ ./b.nix ]; };
    nixosModules.x = ./x.nix;
  };
}
"#;
    let files = [
        ("flake.nix", flake),
        (
            "a.nix",
            "{ inputs, ... }: { imports = [ inputs.self.nixosModules.x ]; }\n",
        ),
        ("b.nix", "{ }\n"),
        ("x.nix", "{ }\n"),
        ("y.nix", "{ }\n"),
    ];
    assert_eq!(
        affected(&files, ("flake.nix", "./x.nix", "./y.nix")),
        ["a", "b"]
    );
}

#[test]
fn outputs_beside_an_update_count() {
    let flake = r#"{
  outputs = { self, nixpkgs, ... }: { nixosModules.x = ./x.nix; } // {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ self.nixosModules.x ]; };
  };
}
"#;
    let files = [("flake.nix", flake), ("x.nix", "{ }\n"), ("y.nix", "{ }\n")];
    assert_eq!(affected(&files, ("flake.nix", "./x.nix", "./y.nix")), ["a"]);
}

#[test]
fn an_edit_behind_a_symbolic_link_counts() {
    for (link, target, module) in [
        ("link.nix", "a.nix", "./link.nix"),
        ("mods", "real", "./mods/x.nix"),
    ] {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = t.path();
        let flake = format!(
            "{{ outputs = {{ self, nixpkgs }}: {{ nixosConfigurations.a = nixpkgs.lib.nixosSystem {{ modules = [ {module} ]; }}; nixosConfigurations.b = nixpkgs.lib.nixosSystem {{ modules = [ ./b.nix ]; }}; }}; }}\n"
        );
        write(root, "flake.nix", &flake);
        write(root, "b.nix", "{ }\n");
        write(root, "a.nix", "{ }\n");
        write(root, "real/x.nix", "{ }\n");
        std::os::unix::fs::symlink(target, root.join(link)).unwrap_or_else(|e| panic!("{e}"));
        git(root, &["init", "-q", "-b", "main"]);
        commit_all(root, "c0");
        let edited = if link == "mods" {
            "real/x.nix"
        } else {
            "a.nix"
        };
        write(root, edited, "{ networking.hostName = \"x\"; }\n");
        commit_all(root, "c1");
        for args in [
            &["impact", "--base", "HEAD~1", "--head", "HEAD", "--json"][..],
            &["impact", "--json", "--files", edited],
        ] {
            let out = openspec(root, args);
            assert_eq!(
                strings(&json(&out)["affected_hosts"]),
                ["a"],
                "{link} -> {target}, {args:?}"
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("does not exist"), "{err}");
        }
    }
}

#[test]
fn an_input_reached_as_self_inputs_counts_for_its_lock() {
    let flake = r#"{
  inputs.foo.url = "github:o/foo";
  outputs = { self, nixpkgs, foo, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ self.inputs.foo.nixosModules.default ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./b.nix ]; };
  };
}
"#;
    let lock = r#"{"nodes":{"foo":{"locked":{"rev":"1","type":"github","owner":"o","repo":"foo"}},"root":{"inputs":{"foo":"foo"}}},"root":"root","version":7}"#;
    let files = [
        ("flake.nix", flake),
        ("flake.lock", lock),
        ("b.nix", "{ }\n"),
    ];
    let got = affected(&files, ("flake.lock", "\"rev\":\"1\"", "\"rev\":\"2\""));
    assert!(got.contains(&"a".to_string()), "{got:?}");
}

#[test]
fn a_function_named_like_a_reader_may_import_its_argument() {
    let flake = r#"{
  outputs = { self, nixpkgs, helpers, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ (helpers.lib.path ./m.nix) ]; };
  };
}
"#;
    let files = [
        ("flake.nix", flake),
        ("m.nix", "{ imports = [ ./deep.nix ]; }\n"),
        ("deep.nix", "{ }\n"),
    ];
    assert_eq!(
        affected(
            &files,
            ("deep.nix", "{ }", "{ networking.hostName = \"d\"; }")
        ),
        ["a"]
    );
}
