//! Helpers for the analysis robustness tests: fixture flakes in temp dirs and
//! the real `openspec` binary run as a process with a hang guard.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Long enough for a debug build parsing a 5 MB file on a busy 2-core machine;
/// anything slower is treated as a hang.
const HANG_LIMIT: Duration = Duration::from_secs(120);

/// A fixture repository. The root is `<tmp>/repo`, so a path that leaves the
/// root (`../../outside.nix`) lands in `<tmp>`, where a test can place a real file.
pub struct Tree {
    tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("create a temp dir");
        let root = tmp.path().join("repo");
        std::fs::create_dir(&root).expect("create the fixture root");
        Tree { tmp, root }
    }

    /// A repository whose flake.nix declares `hosts` as `(name, module list)`.
    pub fn with_flake(hosts: &[(&str, &str)]) -> Self {
        let t = Tree::new();
        t.write("flake.nix", flake_nix(hosts));
        t
    }

    /// A repository from one string in the style of nil's fixtures: each file
    /// starts with a line `#- /path` and runs to the next marker.
    pub fn fixture(text: &str) -> Self {
        let t = Tree::new();
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some(path) = line.trim_start().strip_prefix("#- /") {
                if let Some((p, body)) = current.take() {
                    t.write(&p, body);
                }
                current = Some((path.trim().to_string(), String::new()));
            } else if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        if let Some((p, body)) = current {
            t.write(&p, body);
        }
        t
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory that holds the root: files here are outside the repository.
    pub fn outside(&self) -> &Path {
        self.tmp.path()
    }

    /// Write `rel` (repository-relative, parents created).
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Self {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(&path, contents).expect("write fixture file");
        self
    }

    /// Create the symlink `rel` pointing at `target` (as written, usually relative).
    pub fn symlink(&self, rel: &str, target: &str) -> &Self {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::os::unix::fs::symlink(target, &path).expect("create symlink");
        self
    }

    /// Run `openspec --root <root> ARGS...`.
    pub fn openspec(&self, args: &[&str]) -> Run {
        let mut full = vec!["--root", self.root.to_str().expect("utf-8 temp path")];
        full.extend_from_slice(args);
        run_openspec(&full)
    }

    /// `hosts --json`, checked to be one JSON document.
    pub fn hosts(&self) -> (Run, Value) {
        let run = self.openspec(&["hosts", "--json"]);
        let doc = run.json();
        (run, doc)
    }

    /// `impact --files FILES --format json`, checked to be one JSON document.
    pub fn impact(&self, files: &[&str]) -> (Run, Value) {
        let mut args = vec!["impact", "--format", "json", "--files"];
        args.extend_from_slice(files);
        let run = self.openspec(&args);
        let doc = run.json();
        (run, doc)
    }
}

/// `flake.nix` text: one `nixosConfigurations.<name> = nixpkgs.lib.nixosSystem`
/// call per host. `modules` is the inside of the module list. Nothing is
/// evaluated, so nixpkgs need not exist.
pub fn flake_nix(hosts: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "{\n  description = \"robustness fixture\";\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n  outputs = { self, nixpkgs, ... }: {\n",
    );
    for (name, modules) in hosts {
        s.push_str(&format!(
            "    nixosConfigurations.{name} = nixpkgs.lib.nixosSystem {{\n      system = \"x86_64-linux\";\n      modules = [ {modules} ];\n    }};\n"
        ));
    }
    s.push_str("  };\n}\n");
    s
}

/// The 1-based line of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("fixture text has no line containing {needle:?}"))
}

/// The outcome of one `openspec` process.
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as exactly one JSON document (serde_json rejects trailing data).
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "`openspec {}`: stdout is not exactly one JSON document ({e})\n{}",
                self.args.join(" "),
                self.context()
            )
        })
    }

    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            expected,
            "`openspec {}`: exit code\n{}",
            self.args.join(" "),
            self.context()
        );
        self
    }

    pub fn context(&self) -> String {
        format!(
            "--- exit {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            truncate(&self.stdout),
            truncate(&self.stderr)
        )
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(4000) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Run the binary; fail the test on a hang, a signal or a panic message.
pub fn run_openspec(args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_openspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn openspec");
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for openspec") {
            Some(status) => break status,
            None if started.elapsed() > HANG_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`openspec {}` hung: still running after {HANG_LIMIT:?}",
                    args.join(" ")
                );
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let run = Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: status.code().unwrap_or(-1),
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    };
    assert!(
        status.code().is_some(),
        "`openspec {}` was killed by a signal ({status}); a stack overflow aborts this way\n{}",
        args.join(" "),
        run.context()
    );
    assert!(
        !run.stderr.contains("panicked"),
        "`openspec {}` panicked\n{}",
        args.join(" "),
        run.context()
    );
    run
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

// ---- reading `hosts --json` / `impact --json` documents ----

/// The host object named `name` in a `hosts --json` document.
pub fn host<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["hosts"]
        .as_array()
        .and_then(|hs| hs.iter().find(|h| h["name"] == name))
        .unwrap_or_else(|| panic!("no host {name:?} in\n{doc:#}"))
}

pub fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The host's `files`, which must be an array of strings.
pub fn files(host: &Value) -> Vec<&str> {
    assert!(
        host["files"].is_array(),
        "host has no `files` array: {host:#}"
    );
    strings(&host["files"])
}

/// Does the host depend on `path` through `files` or a `directories` entry?
pub fn covers(host: &Value, path: &str) -> bool {
    files(host).contains(&path)
        || strings(&host["directories"])
            .iter()
            .any(|d| path.starts_with(d))
}

pub fn diagnostics(doc: &Value) -> Vec<&Value> {
    doc["diagnostics"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Diagnostics of `kind` that name `file`.
pub fn diagnostics_for<'a>(doc: &'a Value, kind: &str, file: &str) -> Vec<&'a Value> {
    diagnostics(doc)
        .into_iter()
        .filter(|d| d["kind"] == kind && d["file"] == file)
        .collect()
}

/// Exactly the one diagnostic of `kind` naming `file` (panics with the document otherwise).
pub fn one_diagnostic<'a>(doc: &'a Value, kind: &str, file: &str) -> &'a Value {
    let found = diagnostics_for(doc, kind, file);
    assert!(
        !found.is_empty(),
        "no `{kind}` diagnostic naming {file:?} in\n{doc:#}"
    );
    found[0]
}

/// No listed path may leave the root or be absolute or use `\`.
pub fn assert_paths_inside_root(doc: &Value) {
    for h in doc["hosts"].as_array().into_iter().flatten() {
        for key in ["files", "directories", "globs"] {
            for p in strings(&h[key]) {
                assert!(
                    !p.starts_with('/') && !p.contains('\\') && !p.split('/').any(|c| c == ".."),
                    "host {} lists {key} entry {p:?} outside the root",
                    h["name"]
                );
            }
        }
    }
}
