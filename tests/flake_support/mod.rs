//! Shared by the tests/flake_*.rs suites: real Nix 2.8 with its own settings,
//! and temp copies of this repository, the nixpkgs stand-in
//! (tests/fixtures/nixpkgs-stub, given the openspec binary cargo just built)
//! and the consumer fixture (tests/fixtures/consumer).
// Each test crate uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const SYSTEM: &str = "x86_64-linux";

/// Settings for every Nix process: flakes on, no sandbox (the stand-in
/// builds with host tools), nothing fetched from a cache or a registry.
pub const NIX_CONFIG: &str = "experimental-features = nix-command flakes\nsandbox = false\nbuild-users-group =\nsubstituters =\nflake-registry =";

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn openspec_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_openspec"))
}

/// A `nix` (or `nix-instantiate`, …) command with the test settings.
pub fn nix_cmd(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("NIX_CONFIG", NIX_CONFIG);
    cmd
}

/// Runs `cmd`; panics with its output when the exit status is not success.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The files a clone of this repository would hold (tracked, plus new files
/// not ignored), repository-relative.
pub fn project_files() -> Vec<PathBuf> {
    let out = run_ok(
        Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(repo_root()),
    );
    out.stdout
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| PathBuf::from(String::from_utf8_lossy(s).into_owned()))
        .filter(|p| repo_root().join(p).is_file())
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Temp copies of the three flakes a test evaluates.
pub struct Flakes {
    pub dir: tempfile::TempDir,
    /// This repository, as a clone would have it.
    pub repo: PathBuf,
    /// The nixpkgs stand-in, with prebuilt/openspec.
    pub stub: PathBuf,
    /// The consumer fixture.
    pub consumer: PathBuf,
}

impl Flakes {
    pub fn new() -> Flakes {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("openspec");
        for rel in project_files() {
            let dest = repo.join(&rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(repo_root().join(&rel), &dest).unwrap();
        }
        let stub = dir.path().join("nixpkgs-stub");
        copy_tree(&repo_root().join("tests/fixtures/nixpkgs-stub"), &stub);
        std::fs::create_dir_all(stub.join("prebuilt")).unwrap();
        std::fs::copy(openspec_bin(), stub.join("prebuilt/openspec")).unwrap();
        let consumer = dir.path().join("consumer");
        copy_tree(&repo_root().join("tests/fixtures/consumer"), &consumer);
        git(&consumer, &["init", "-q"]);
        commit_all(&consumer, "host flake");
        Flakes {
            dir,
            repo,
            stub,
            consumer,
        }
    }

    fn url(p: &Path) -> String {
        format!("path:{}", p.display())
    }

    /// `nix <sub>` on this repository's flake with nixpkgs replaced by the stand-in.
    pub fn ours(&self, sub: &[&str], attr: &str) -> Command {
        let mut cmd = nix_cmd("nix");
        cmd.args(sub)
            .arg("--no-write-lock-file")
            .args(["--override-input", "nixpkgs", &Self::url(&self.stub)])
            .arg(format!("{}{attr}", Self::url(&self.repo)));
        cmd
    }

    /// `nix <sub>` on the consumer fixture (a git checkout, so Nix reads its
    /// committed tree as a user's `nix run .#openspec` would), with its nixpkgs and openspec inputs
    /// replaced by the stand-in and the copy of this repository.
    pub fn consumer(&self, sub: &[&str], attr: &str) -> Command {
        let mut cmd = nix_cmd("nix");
        cmd.args(sub)
            .arg("--no-write-lock-file")
            .args(["--override-input", "nixpkgs", &Self::url(&self.stub)])
            .args(["--override-input", "openspec", &Self::url(&self.repo)])
            .arg(format!("git+file://{}{attr}", self.consumer.display()));
        cmd
    }

    /// The store path Nix copied the consumer's source to (its `self`).
    pub fn consumer_store_path(&self) -> String {
        let out = run_ok(&mut self.consumer(&["flake", "metadata", "--json"], ""));
        let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        meta["path"].as_str().unwrap().to_string()
    }
}

/// `nix eval --json` of `cmd`'s installable, parsed.
pub fn eval_json(mut cmd: Command) -> serde_json::Value {
    let out = run_ok(&mut cmd);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{cmd:?}: not JSON ({e}): {}", stdout(&out)))
}

/// The `out` path of a `nix build --json --no-link` result.
pub fn built_out(out: &Output) -> PathBuf {
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    PathBuf::from(doc[0]["outputs"]["out"].as_str().unwrap())
}

/// git with a fixed identity, as the tests' commits need.
pub fn git(dir: &Path, args: &[&str]) -> Output {
    run_ok(
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "openspec tests")
            .env("GIT_AUTHOR_EMAIL", "tests@openspec.invalid")
            .env("GIT_COMMITTER_NAME", "openspec tests")
            .env("GIT_COMMITTER_EMAIL", "tests@openspec.invalid"),
    )
}

pub fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}
