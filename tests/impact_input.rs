//! What `impact` makes of its input: `--files` in every spelling a user
//! types, bad revisions, hosts that cannot all be named, and `-q`.
mod repo_support;

use std::process::Output;

use repo_support::{git, openspec_in as openspec, write};

const FLAKE: &str = r#"{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a.nix ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b.nix ]; };
  };
}
"#;

fn tree() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let w = |rel: &str, text: &str| write(t.path(), rel, text);
    w("flake.nix", FLAKE);
    w("hosts/a.nix", "{ imports = [ ../modules/shared.nix ]; }\n");
    w("hosts/b.nix", "{ }\n");
    w("modules/shared.nix", "{ }\n");
    t
}

fn affected(out: &Output) -> Vec<String> {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    doc["affected_hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[test]
fn files_are_read_in_every_spelling() {
    let t = tree();
    let root = t.path();
    let abs = root.join("modules/shared.nix");
    let abs = abs.to_string_lossy();
    let from_root = ["modules/shared.nix", "./modules/shared.nix", &abs];
    for f in from_root {
        let out = openspec(root, &["impact", "--json", "--files", f]);
        assert_eq!(affected(&out), ["a"], "--files {f}");
        assert_eq!(out.status.code(), Some(0));
    }
    // From a subdirectory: relative to it, or to the flake.
    let sub = root.join("modules");
    for f in [
        "shared.nix",
        "./shared.nix",
        "../modules/shared.nix",
        "modules/shared.nix",
    ] {
        let out = openspec(&sub, &["impact", "--json", "--files", f]);
        assert_eq!(affected(&out), ["a"], "--files {f} from modules/");
    }
    // Outside the flake: a usage error that names the path.
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let elsewhere = outside.path().join("x.nix");
    let out = openspec(root, &["impact", "--files", &elsewhere.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("outside the flake"), "{err}");
    let out = openspec(root, &["impact", "--files", "../escape.nix"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A typo is a warning; the answer (no host) stands.
    let out = openspec(root, &["impact", "--json", "--files", "modules/sharde.nix"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(affected(&out).is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("neither in the flake nor in git"), "{err}");
    // `-q`: the answer only.
    let out = openspec(root, &["-q", "impact", "--files", "modules/shared.nix"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\n");
}

/// A deleted file is a change, not a typo: removed from disk only, or with
/// `git rm` (gone from the index too, still in the last commit); and from a
/// subdirectory, a deleted path that only the flake's root reading finds in
/// git is read from the root.
#[test]
fn deleted_files_are_changes_in_every_spelling() {
    let t = tree();
    let root = t.path();
    let sub = root.join("modules");
    git(root, &["init", "-q", "-b", "main"]);
    repo_support::commit_all(root, "c0");
    std::fs::remove_file(root.join("modules/shared.nix")).unwrap_or_else(|e| panic!("{e}"));
    for (cwd, f) in [
        (root, "modules/shared.nix"),
        (&*sub, "shared.nix"),
        (&*sub, "modules/shared.nix"),
    ] {
        let out = openspec(cwd, &["impact", "--json", "--files", f]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(affected(&out), ["a"], "--files {f} from {cwd:?}: {err}");
        assert!(!err.contains("neither in the flake nor in git"), "{err}");
    }
    git(root, &["rm", "-q", "--cached", "modules/shared.nix"]);
    let out = openspec(&sub, &["impact", "--json", "--files", "modules/shared.nix"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(affected(&out), ["a"], "after git rm: {err}");
    assert!(!err.contains("neither in the flake nor in git"), "{err}");
}

#[test]
fn hosts_that_cannot_all_be_named_fail_instead_of_a_green_empty_matrix() {
    let t = tree();
    let root = t.path();
    std::fs::write(
        root.join("flake.nix"),
        "{ outputs = { self, nixpkgs }: { nixosConfigurations = builtins.fromJSON (builtins.readFile ./hosts.json); }; }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = openspec(root, &["hosts"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nixosConfigurations"), "{err}");
    let out = openspec(
        root,
        &[
            "impact",
            "--format",
            "github-matrix",
            "--files",
            "hosts/a.nix",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!out.stderr.is_empty());
}

#[test]
fn bad_revisions_are_clear_errors() {
    let t = tree();
    let root = t.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "c0"]);
    let out = openspec(root, &["impact", "--base", "no-such-rev"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown revision \"no-such-rev\""));
    // A base with no history in common.
    git(root, &["checkout", "-q", "--orphan", "other"]);
    git(root, &["commit", "-qm", "unrelated"]);
    let out = openspec(root, &["impact", "--base", "main", "--head", "other"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no common ancestor"), "{err}");
    // A shallow clone that lacks the base: says how to fetch it.
    git(root, &["checkout", "-q", "main"]);
    std::fs::write(
        root.join("hosts/b.nix"),
        "{ networking.hostName = \"b\"; }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    git(root, &["commit", "-qam", "c1"]);
    let clone = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("file://{}", root.display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "c"]);
    let c = clone.path().join("c");
    let out = openspec(&c, &["impact", "--base", "HEAD~1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shallow") && err.contains("git fetch"),
        "{err}"
    );
}

#[test]
fn an_untracked_file_a_host_imports_gets_a_hint() {
    let t = tree();
    let root = t.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "flake.nix", "hosts/a.nix", "hosts/b.nix"]);
    git(root, &["commit", "-qm", "c0"]);
    let out = openspec(root, &["hosts"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("modules/shared.nix is not tracked by git") && err.contains("git add"),
        "{err}"
    );
    git(root, &["add", "-A"]);
    let out = openspec(root, &["hosts"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("not tracked"));
}
