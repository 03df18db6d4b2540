//! Real git repositories in temporary directories, and the real binary run
//! in them: what the impact tests share.
#![allow(dead_code)]
use std::path::Path;
use std::process::{Command, Output};

/// `git ARGS` in `dir` with a fixed identity; panics with git's message on
/// failure. Returns stdout, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        // `git status` would otherwise refresh the index it reads.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e} (the tests need git)"));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Stage everything and commit; returns the new commit id.
pub fn commit_all(dir: &Path, msg: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Write `text` to `rel` below `root`, creating directories.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(p, text).unwrap_or_else(|e| panic!("{rel}: {e}"));
}

/// Copy the tree `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap_or_else(|e| panic!("walking {}: {e}", from.display()));
        let rel = e
            .path()
            .strip_prefix(from)
            .unwrap_or_else(|e| panic!("{e}"));
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap_or_else(|e| panic!("{e}"));
        } else {
            std::fs::copy(e.path(), &dest).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

/// The bundled example flake.
pub fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example")
}

/// `openspec ARGS` run in `cwd`, without colour.
pub fn openspec_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_openspec"))
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `openspec --root ROOT ARGS`.
pub fn openspec(root: &Path, args: &[&str]) -> Output {
    let mut full = vec![
        "--root",
        root.to_str().unwrap_or_else(|| panic!("a UTF-8 path")),
    ];
    full.extend_from_slice(args);
    openspec_in(root, &full)
}

/// stdout as one JSON document.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A JSON array of strings.
pub fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// The layout fixture `tests/fixtures/layouts/<name>` copied to `to`, with
/// the stand-ins it shares with other fixtures copied into its `nix/`
/// folder, each kept once: the example's module system and `nixosSystem`
/// (`nix-stub/lib.nix`, `eval-modules.nix`, `nixos-system.nix`) and the
/// flake-parts fixture's `flake-parts.nix` for the two flake-parts layouts,
/// the read-dir fixture's plain `system.nix` for the other three that build
/// hosts from one.
pub fn layout_fixture(name: &str, to: &Path) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    copy_dir(&fixtures.join("layouts").join(name), to);
    let shared: &[(&str, &str)] = match name {
        "flake-parts" | "import-tree" => &[
            ("example/nix-stub", "lib.nix"),
            ("example/nix-stub", "eval-modules.nix"),
            ("example/nix-stub", "nixos-system.nix"),
            ("layouts/flake-parts/nix", "flake-parts.nix"),
        ],
        "flake-utils-plus" | "nixos-unified" | "snowfall-lib" => {
            &[("layouts/read-dir/nix", "system.nix")]
        }
        _ => &[],
    };
    for (dir, stub) in shared {
        std::fs::copy(fixtures.join(dir).join(stub), to.join("nix").join(stub))
            .unwrap_or_else(|e| panic!("{name}: {stub}: {e}"));
    }
}
