//! Hosts in every layout: one fixture flake per layout under
//! tests/fixtures/layouts (flake-parts modules, import-tree, snowfall-lib,
//! nixos-unified, flake-utils-plus, easy-hosts, haumea, a readDir helper),
//! each with its exact `hosts --json` (names, kinds, rules, entries) and an
//! `impact --json` in which a file the framework imports on the hosts'
//! behalf affects exactly the hosts it serves. The fixtures with stand-ins
//! (all but easy-hosts and haumea, whose frameworks are inputs) are also
//! asked for their host names by real Nix, which must agree. And `--eval`:
//! hosts only Nix can name, marked as depending on the whole source.
mod repo_support;

use std::path::{Path, PathBuf};

use repo_support::{commit_all, git, json, openspec, strings, write};

/// A committed copy of the fixture `name` in a temporary git repository.
fn repo(name: &str) -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    repo_support::layout_fixture(name, &root);
    git(&root, &["init", "-q", "-b", "main"]);
    commit_all(&root, "fixture");
    (t, root)
}

/// (name, kind, rule, entry file, entry line) of every host.
fn hosts(root: &Path) -> Vec<(String, String, String, String, u64)> {
    let out = openspec(root, &["hosts", "--json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    doc["hosts"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc}"))
        .iter()
        .map(|h| {
            let s = |k: &str| h[k].as_str().unwrap_or_default().to_string();
            (
                s("name"),
                s("kind"),
                s("rule"),
                h["entry"]["file"].as_str().unwrap_or_default().to_string(),
                h["entry"]["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn expect(rows: &[(&str, &str, &str, &str, u64)]) -> Vec<(String, String, String, String, u64)> {
    rows.iter()
        .map(|(n, k, r, f, l)| {
            (
                n.to_string(),
                k.to_string(),
                r.to_string(),
                f.to_string(),
                *l,
            )
        })
        .collect()
}

/// `affected_hosts` of `impact --json --files FILE`.
fn affected(root: &Path, file: &str) -> Vec<String> {
    let out = openspec(root, &["impact", "--json", "--files", file]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{file}: {doc}");
    strings(&doc["affected_hosts"])
}

/// Nix's own names of the hosts: (name, kind), as `hosts` lists them.
fn nix_names(root: &Path) -> Vec<(String, String)> {
    let expr = format!(
        "let f = builtins.getFlake \"{}\"; in {{ nixos = builtins.attrNames (f.nixosConfigurations or {{ }}); darwin = builtins.attrNames (f.darwinConfigurations or {{ }}); }}",
        root.display()
    );
    let out = std::process::Command::new("nix")
        .args(["eval", "--json", "--impure", "--expr", &expr])
        .env(
            "NIX_CONFIG",
            "experimental-features = nix-command flakes\nsubstituters =\nflake-registry =",
        )
        .output()
        .unwrap_or_else(|e| panic!("nix: {e} (the tests need Nix)"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let mut names: Vec<(String, String)> = ["nixos", "darwin"]
        .iter()
        .flat_map(|k| strings(&doc[*k]).into_iter().map(|n| (n, k.to_string())))
        .collect();
    names.sort();
    names
}

/// Static names agree with Nix's.
fn agrees_with_nix(root: &Path) {
    let mut ours: Vec<(String, String)> =
        hosts(root).into_iter().map(|(n, k, ..)| (n, k)).collect();
    ours.sort();
    assert_eq!(ours, nix_names(root));
}

#[test]
fn flake_parts_modules_each_define_their_host() {
    let (_t, root) = repo("flake-parts");
    assert_eq!(
        hosts(&root),
        expect(&[
            ("alpha", "nixos", "flake-parts", "hosts/alpha.nix", 5),
            ("beta", "nixos", "flake-parts", "hosts/beta.nix", 4),
            (
                "gamma",
                "nixos",
                "flake-parts",
                "hosts/gamma/default.nix",
                5
            ),
        ])
    );
    agrees_with_nix(&root);
    // perSystem values reach the host built inside `withSystem` only.
    assert_eq!(affected(&root, "parts/per-system.nix"), ["beta"]);
    // The module that defines `flake.nixosModules.common` serves the hosts
    // that read it (beta reads every module through `withSystem`).
    assert_eq!(
        affected(&root, "parts/modules.nix"),
        ["alpha", "beta", "gamma"]
    );
    assert_eq!(
        affected(&root, "hosts/gamma/default.nix"),
        ["beta", "gamma"]
    );
    // The text names the rule and the entry.
    let out = openspec(&root, &["hosts"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("gamma") && l.contains("flake-parts  hosts/gamma/default.nix:5")),
        "{text}"
    );
}

#[test]
fn import_tree_modules_are_every_file_of_the_folder() {
    let (_t, root) = repo("import-tree");
    assert_eq!(
        hosts(&root),
        expect(&[
            (
                "alpha",
                "nixos",
                "import-tree",
                "modules/hosts/alpha.nix",
                3
            ),
            ("beta", "nixos", "import-tree", "modules/hosts/beta.nix", 3),
        ])
    );
    agrees_with_nix(&root);
    assert_eq!(affected(&root, "modules/nixos/base.nix"), ["alpha", "beta"]);
    assert!(affected(&root, "modules/_private/notes.nix").is_empty());
    // A module added to the scanned folder may define anything: every host it serves.
    write(&root, "modules/nixos/extra.nix", "{ }\n");
    assert_eq!(
        affected(&root, "modules/nixos/extra.nix"),
        ["alpha", "beta"]
    );
}

#[test]
fn snowfall_lib_systems_and_their_auto_imported_modules() {
    let (_t, root) = repo("snowfall-lib");
    assert_eq!(
        hosts(&root),
        expect(&[
            (
                "alpha",
                "nixos",
                "snowfall-lib",
                "systems/x86_64-linux/alpha/default.nix",
                1
            ),
            (
                "beta",
                "nixos",
                "snowfall-lib",
                "systems/x86_64-linux/beta/default.nix",
                1
            ),
            (
                "mac",
                "darwin",
                "snowfall-lib",
                "systems/aarch64-darwin/mac/default.nix",
                1
            ),
        ])
    );
    agrees_with_nix(&root);
    // modules/nixos/** is imported into every NixOS system, modules/darwin/** into darwin ones.
    assert_eq!(
        affected(&root, "modules/nixos/ssh/default.nix"),
        ["alpha", "beta"]
    );
    assert_eq!(affected(&root, "modules/darwin/dock/default.nix"), ["mac"]);
    assert_eq!(
        affected(&root, "systems/x86_64-linux/alpha/hardware.nix"),
        ["alpha"]
    );
    // A new module folder is imported too.
    write(&root, "modules/nixos/new/default.nix", "{ }\n");
    assert_eq!(
        affected(&root, "modules/nixos/new/default.nix"),
        ["alpha", "beta"]
    );
}

#[test]
fn nixos_unified_autowired_configurations() {
    let (_t, root) = repo("nixos-unified");
    assert_eq!(
        hosts(&root),
        expect(&[
            (
                "alpha",
                "nixos",
                "nixos-unified",
                "configurations/nixos/alpha.nix",
                1
            ),
            (
                "beta",
                "nixos",
                "nixos-unified",
                "configurations/nixos/beta/default.nix",
                1
            ),
            (
                "mac",
                "darwin",
                "nixos-unified",
                "configurations/darwin/mac.nix",
                1
            ),
        ])
    );
    agrees_with_nix(&root);
    assert_eq!(affected(&root, "configurations/nixos/alpha.nix"), ["alpha"]);
    // Autowired modules are reachable from every configuration (`flake.self.nixosModules`).
    assert_eq!(
        affected(&root, "modules/nixos/common.nix"),
        ["alpha", "beta", "mac"]
    );
}

#[test]
fn flake_utils_plus_hosts_with_host_defaults() {
    let (_t, root) = repo("flake-utils-plus");
    assert_eq!(
        hosts(&root),
        expect(&[
            ("alpha", "nixos", "flake-utils-plus", "flake.nix", 12),
            ("mac", "darwin", "flake-utils-plus", "flake.nix", 13),
        ])
    );
    agrees_with_nix(&root);
    assert_eq!(affected(&root, "common.nix"), ["alpha", "mac"]);
    assert_eq!(affected(&root, "hosts/alpha.nix"), ["alpha"]);
    assert!(affected(&root, "tool.nix").is_empty());
}

#[test]
fn easy_hosts_folders_and_shared_settings() {
    let (_t, root) = repo("easy-hosts");
    assert_eq!(
        hosts(&root),
        expect(&[
            (
                "alpha",
                "nixos",
                "easy-hosts",
                "hosts/x86_64-nixos/alpha/default.nix",
                1
            ),
            (
                "mac",
                "darwin",
                "easy-hosts",
                "hosts/aarch64-darwin/mac/default.nix",
                1
            ),
        ])
    );
    assert_eq!(affected(&root, "modules/shared.nix"), ["alpha", "mac"]);
    assert_eq!(
        affected(&root, "hosts/x86_64-nixos/alpha/default.nix"),
        ["alpha"]
    );
}

#[test]
fn haumea_tree_names_a_host_per_file() {
    let (_t, root) = repo("haumea");
    assert_eq!(
        hosts(&root),
        expect(&[
            ("alpha", "nixos", "haumea", "hosts/alpha.nix", 1),
            ("beta", "nixos", "haumea", "hosts/beta.nix", 1),
        ])
    );
    assert_eq!(affected(&root, "hosts/_shared/base.nix"), ["alpha", "beta"]);
    assert_eq!(affected(&root, "hosts/_alpha/hardware.nix"), ["alpha"]);
}

#[test]
fn a_read_dir_helper_names_a_host_per_folder() {
    let (_t, root) = repo("read-dir");
    assert_eq!(
        hosts(&root),
        expect(&[
            ("alpha", "nixos", "helper", "flake.nix", 11),
            ("beta", "nixos", "helper", "flake.nix", 11),
        ])
    );
    agrees_with_nix(&root);
    assert_eq!(affected(&root, "hosts/beta/default.nix"), ["beta"]);
}

/// Hosts the static reading cannot name: an error that points to `--eval`;
/// with it, Nix names them and each depends on the whole source.
#[test]
fn eval_names_what_the_static_reading_cannot() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path();
    write(
        root,
        "flake.nix",
        "{\n  outputs = { self }: {\n    nixosConfigurations = builtins.foldl' (acc: n: acc // { ${n} = n; }) { } [ \"a\" \"b.c\" ];\n    darwinConfigurations.mac = { };\n  };\n}\n",
    );
    write(root, "x.nix", "{ }\n");
    git(root, &["init", "-q", "-b", "main"]);
    commit_all(root, "c0");

    let out = openspec(root, &["hosts", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--eval"), "{err}");

    let out = openspec(root, &["hosts", "--eval", "--json"]);
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    let got: Vec<(String, String, String, bool)> = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| {
            (
                h["name"].as_str().unwrap_or_default().to_string(),
                h["kind"].as_str().unwrap_or_default().to_string(),
                h["rule"].as_str().unwrap_or_default().to_string(),
                h["whole_source"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    let want = [
        ("a", "nixos", "nix", true),
        ("b.c", "nixos", "nix", true),
        ("mac", "darwin", "literal", false),
    ];
    assert_eq!(
        got,
        want.map(|(n, k, r, w)| (n.to_string(), k.to_string(), r.to_string(), w))
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs its inputs"), "{err}");

    // impact: the hosts Nix named count for any file.
    let out = openspec(root, &["impact", "--json", "--files", "x.nix"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "no --eval-hosts: hosts may be missing"
    );
    let out = openspec(
        root,
        &["impact", "--eval-hosts", "--json", "--files", "x.nix"],
    );
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert_eq!(strings(&doc["affected_hosts"]), ["a", "b.c"]);
    write(root, "x.nix", "{ a = 1; }\n");
    commit_all(root, "c1");
    let out = openspec(
        root,
        &[
            "impact",
            "--eval-hosts",
            "--json",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
        ],
    );
    let doc = json(&out);
    assert_eq!(out.status.code(), Some(0), "{doc}");
    assert_eq!(strings(&doc["affected_hosts"]), ["a", "b.c"]);
}
