//! The flake model of a git revision, read from git objects
//! (`flake::load_revision`): the same model a checkout of that revision
//! gives, for the bundled example and for trees with symbolic links and a
//! flake below the repository's top level; and the user's working tree and
//! index are never touched.
mod repo_support;

use std::path::Path;

use repo_support::{commit_all, copy_dir, git};

use openspec::flake::{FlakeModel, load, load_revision};

/// The first line where two texts differ, with its neighbours.
fn first_difference(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = al
        .iter()
        .zip(&bl)
        .position(|(x, y)| x != y)
        .unwrap_or(al.len().min(bl.len()));
    let lo = i.saturating_sub(3);
    format!(
        "differ at line {}:\n--- left\n{}\n--- right\n{}",
        i + 1,
        al[lo..(i + 3).min(al.len())].join("\n"),
        bl[lo..(i + 3).min(bl.len())].join("\n")
    )
}

fn assert_same(a: &str, b: &str, what: &str) {
    assert!(a == b, "{what}: {}", first_difference(a, b));
}

/// The model as `hosts --json` shows it.
fn shape(m: &FlakeModel) -> String {
    serde_json::to_string_pretty(&openspec::report::hosts::json(m))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The model of a checkout of `rev` (a real `git worktree`).
fn checked_out(repo: &Path, rev: &str, sub: &str) -> String {
    let wt = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = wt.path().join("wt");
    let p = path.to_string_lossy().into_owned();
    git(repo, &["worktree", "add", "-q", "--detach", &p, rev]);
    // Read the way revisions are: parsing only what hosts reach.
    let m = openspec::flake::load_lazy(&path.join(sub)).unwrap_or_else(|e| panic!("{e}"));
    let s = shape(&m);
    git(repo, &["worktree", "remove", "--force", &p]);
    s
}

fn status(repo: &Path) -> (String, Option<std::time::SystemTime>) {
    let index = std::fs::metadata(repo.join(".git/index"))
        .and_then(|m| m.modified())
        .ok();
    (git(repo, &["status", "--porcelain", "-uall"]), index)
}

#[test]
fn a_revision_reads_as_its_checkout() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = tmp.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example"),
        repo,
    );
    git(repo, &["init", "-q", "-b", "main"]);
    let c0 = commit_all(repo, "c0");
    // c1: a new module imported by one host, a symlink to a file, one to a
    // directory and a dangling one; a host file removed from the tree.
    std::fs::write(repo.join("modules/extra.nix"), "{ ... }: { }\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let yoga = repo.join("hosts/yoga/default.nix");
    let text = std::fs::read_to_string(&yoga).unwrap_or_else(|e| panic!("{e}"));
    let edited = text.replacen(
        "imports = [",
        "imports = [\n    ../../modules/extra.nix\n    ../../modules/linked.nix\n    ../../modules/sec-link\n    ../../modules/dangling.nix",
        1,
    );
    assert_ne!(text, edited, "the fixture's yoga host has an imports list");
    std::fs::write(&yoga, edited).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("extra.nix", repo.join("modules/linked.nix"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("security", repo.join("modules/sec-link"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("nowhere.nix", repo.join("modules/dangling.nix"))
        .unwrap_or_else(|e| panic!("{e}"));
    let c1 = commit_all(repo, "c1");
    // The working tree moves on, uncommitted: the revisions must not see it.
    std::fs::write(
        repo.join("modules/extra.nix"),
        "{ ... }: { imports = [ ./wip.nix ]; }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(repo.join("untracked.nix"), "{ }\n").unwrap_or_else(|e| panic!("{e}"));
    let before = status(repo);
    let from_git: Vec<String> = [&c0, &c1]
        .iter()
        .map(|rev| shape(&load_revision(repo, rev, None).unwrap_or_else(|e| panic!("{e}"))))
        .collect();
    // Sharing the working tree's parses for unchanged files changes nothing.
    let worktree = load(repo).unwrap_or_else(|e| panic!("{e}"));
    let changed: std::collections::BTreeSet<String> =
        ["modules/extra.nix".to_string(), "untracked.nix".to_string()].into();
    let shared = shape(
        &load_revision(repo, &c1, Some((&worktree, &changed))).unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        status(repo),
        before,
        "the working tree and index are untouched"
    );

    assert_same(&from_git[0], &checked_out(repo, &c0, ""), "revision c0");
    assert_same(&from_git[1], &checked_out(repo, &c1, ""), "revision c1");
    assert!(from_git[1].contains("modules/extra.nix"));
    assert!(from_git[1].contains("modules/linked.nix"));
    assert!(from_git[1].contains("modules/sec-link/default.nix"));
    assert!(from_git[1].contains("`modules/dangling.nix` is a symlink that resolves to nothing"));
    assert_same(
        &shared,
        &from_git[1],
        "sharing parses with the working tree",
    );
    assert!(
        shape(&worktree).contains("modules/wip.nix"),
        "the working tree's edit is seen in the working tree's model"
    );
    assert!(!shared.contains("modules/wip.nix"));
}

#[test]
fn a_flake_below_the_top_level_and_bad_revisions() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = tmp.path();
    let flake = repo.join("infra/nixos");
    std::fs::create_dir_all(flake.join("hosts")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        flake.join("flake.nix"),
        "{ outputs = { self, nixpkgs }: {\n  nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a.nix ]; };\n}; }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        flake.join("hosts/a.nix"),
        "{ ... }: { imports = [ ../../../top.nix ]; }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(repo.join("top.nix"), "{ }\n").unwrap_or_else(|e| panic!("{e}"));
    git(repo, &["init", "-q", "-b", "main"]);
    let c0 = commit_all(repo, "c0");
    let from_git = load_revision(&flake, &c0, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(shape(&from_git), checked_out(repo, &c0, "infra/nixos"));
    assert_eq!(from_git.hosts.len(), 1);

    let err = load_revision(&flake, "no-such-rev", None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("unknown revision"), "{err}");
    // A revision before the flake existed.
    std::fs::remove_dir_all(repo.join("infra")).unwrap_or_else(|e| panic!("{e}"));
    let c1 = commit_all(repo, "flake removed");
    std::fs::create_dir_all(&flake).unwrap_or_else(|e| panic!("{e}"));
    let err = load_revision(&flake, &c1, None)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("no flake.nix at revision"), "{err}");
}

/// The files `impact --base B --head H` reports as changed are the files
/// `git diff --name-only --no-renames B H` names (committed objects are read
/// in-process, not by git): content, executable bit, file turned symlink,
/// file turned directory, deletions and additions, at the top level and for
/// a flake below it.
#[test]
fn changed_files_between_revisions_are_gits() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = tmp.path();
    for sub in ["", "infra/"] {
        repo_support::write(repo, &format!("{sub}flake.nix"), "{ outputs = _: { }; }\n");
        for f in ["a.nix", "b.sh", "c.nix", "d.nix", "e.nix", "keep.nix"] {
            repo_support::write(repo, &format!("{sub}m/{f}"), &format!("# {f}\n"));
        }
    }
    repo_support::write(repo, "outside.txt", "x\n");
    git(repo, &["init", "-q", "-b", "main"]);
    let c0 = commit_all(repo, "c0");
    for sub in ["", "infra/"] {
        let m = repo.join(sub).join("m");
        repo_support::write(repo, &format!("{sub}m/a.nix"), "# edited\n");
        let sh = m.join("b.sh");
        let mut perm = std::fs::metadata(&sh)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&sh, perm).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(m.join("c.nix")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink("keep.nix", m.join("c.nix")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::remove_file(m.join("d.nix")).unwrap_or_else(|e| panic!("{e}"));
        repo_support::write(repo, &format!("{sub}m/d.nix/default.nix"), "{ }\n");
        std::fs::remove_file(m.join("e.nix")).unwrap_or_else(|e| panic!("{e}"));
        repo_support::write(repo, &format!("{sub}m/new.nix"), "{ }\n");
    }
    repo_support::write(repo, "outside.txt", "y\n");
    let c1 = commit_all(repo, "c1");
    for sub in ["", "infra"] {
        let dir = repo.join(sub);
        let out = repo_support::openspec(&dir, &["impact", "--base", &c0, "--head", &c1, "--json"]);
        let ours = repo_support::strings(&repo_support::json(&out)["changed_files"]);
        let theirs: Vec<String> = git(
            &dir,
            &[
                "diff",
                "--name-only",
                "--no-renames",
                "--relative",
                &c0,
                &c1,
                "--",
                ".",
            ],
        )
        .lines()
        .map(str::to_string)
        .collect();
        assert_eq!(ours, theirs, "changed files of the flake in {sub:?}");
        assert!(
            ours.contains(&"m/b.sh".to_string()),
            "the executable bit is a change"
        );
        assert!(ours.contains(&"m/d.nix/default.nix".to_string()));
    }
}

/// The working tree is listed as git lists it: `.gitignore` files at any
/// depth (patterns, negations, ignored directories, patterns anchored to
/// their own directory) and `.git/info/exclude`; untracked files count.
/// A tree listed lazily (each top-level directory when first asked about)
/// answers as the tree listed whole, whichever part is asked about first.
#[test]
fn the_working_tree_is_listed_as_git_lists_it() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = tmp.path();
    let w = |rel: &str, text: &str| repo_support::write(repo, rel, text);
    w("flake.nix", "{ outputs = _: { }; }\n");
    w(".gitignore", "*.log\nresult\n/build/\n!keep.log\n");
    w("a.log", "x");
    w("keep.log", "x");
    w("result", "x");
    w("build/out.nix", "{ }");
    w("sub/build/in.nix", "{ }");
    w("sub/.gitignore", "secret.nix\n!important.log\n/local/\n");
    w("sub/secret.nix", "{ }");
    w("sub/important.log", "x");
    w("sub/deeper/other.log", "x");
    w("sub/local/x.nix", "{ }");
    w("sub/deeper/local/y.nix", "{ }");
    w("sub/deeper/secret.nix", "{ }");
    w("excluded.nix", "{ }");
    w("kept.nix", "{ }");
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join(".git/info/exclude"), "excluded.nix\n")
        .unwrap_or_else(|e| panic!("{e}"));
    commit_all(repo, "c0");
    w("untracked.nix", "{ }");
    let tree = openspec::flake::source::SourceTree::load(repo);
    let ours: Vec<String> = tree.files_under("").cloned().collect();
    // Asked about single paths first, then about the whole tree.
    let lazy = openspec::flake::source::SourceTree::load_lazy(repo);
    assert!(lazy.is_file("sub/deeper/local/y.nix"));
    assert!(!lazy.is_file("sub/deeper/secret.nix"));
    assert!(!lazy.is_file("sub/local/x.nix"));
    assert!(!lazy.is_dir("build"));
    assert!(lazy.is_dir("sub/deeper"));
    // The root's rules hold in a directory listed later.
    assert!(!lazy.is_file("sub/deeper/other.log"));
    assert!(lazy.nix_file("sub/build/in.nix").is_some());
    let lazily: Vec<String> = lazy.files_under("").cloned().collect();
    assert_eq!(lazily, ours);
    let dirs: Vec<&String> = tree.dirs_under("").collect();
    assert_eq!(lazy.dirs_under("").collect::<Vec<_>>(), dirs);
    assert!(dirs.iter().any(|d| *d == "sub") && dirs.iter().any(|d| *d == "sub/deeper"));
    assert_eq!(
        lazy.dirs_under("sub").collect::<Vec<_>>(),
        ["sub/build", "sub/deeper", "sub/deeper/local"]
    );
    let mut theirs: Vec<String> = git(
        repo,
        &["ls-files", "--cached", "--others", "--exclude-standard"],
    )
    .lines()
    .map(str::to_string)
    .collect();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert!(ours.contains(&"sub/important.log".to_string()));
    assert!(ours.contains(&"sub/deeper/local/y.nix".to_string()));
}
