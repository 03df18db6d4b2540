//! Helpers for the spec_* tests: fixture trees in temp dirs, the real
//! binary, and byte-exact snapshots of `openspec/`.
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    /// A repository with an empty `openspec/{specs,changes/archive}`.
    pub fn new() -> Tree {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["openspec/specs", "openspec/changes/archive"] {
            std::fs::create_dir_all(dir.path().join(d)).expect("mkdir");
        }
        Tree { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Write a file below the root, creating parents.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Tree {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn spec(&self, cap: &str, text: &str) -> &Tree {
        self.write(&format!("openspec/specs/{cap}/spec.md"), text)
    }

    /// A change with a valid proposal and the given delta files (cap, text).
    pub fn change(&self, id: &str, deltas: &[(&str, &str)]) -> &Tree {
        self.write(&format!("openspec/changes/{id}/proposal.md"), PROPOSAL);
        self.write(
            &format!("openspec/changes/{id}/tasks.md"),
            "## 1. Work\n- [x] 1.1 Done\n",
        );
        for (cap, text) in deltas {
            self.write(&format!("openspec/changes/{id}/specs/{cap}/spec.md"), text);
        }
        self
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("openspec").expect("binary");
        c.arg("--root")
            .arg(self.root())
            .env("NO_COLOR", "1")
            .env_remove("OPENSPEC_FAULT_WRITE");
        c
    }

    /// Run with `--json`; the exit code and the one JSON document on stdout.
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        let out = self.cmd().args(args).arg("--json").output().expect("run");
        let code = out.status.code().expect("exit code");
        let text = String::from_utf8_lossy(&out.stdout);
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!(
                "{args:?}: stdout is not one JSON document ({e}):\n{text}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, v)
    }

    /// Every file and directory under `openspec/` with its bytes.
    pub fn snapshot(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        snapshot(&self.path("openspec"))
    }
}

pub fn snapshot(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("walk"))
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .to_string();
            let bytes = e
                .file_type()
                .is_file()
                .then(|| std::fs::read(e.path()).expect("read"));
            (rel, bytes)
        })
        .collect()
}

pub const PROPOSAL: &str = "# Change: Test change\n\n## Why\nThe hosts need this change because the current behaviour is wrong and costly.\n\n## What Changes\n- Something changes\n\n## Impact\n- Affected specs: some\n";

pub const PURPOSE: &str = "This capability covers everything the tests need to exercise the rules.";

/// A main spec with the given requirement blocks.
pub fn main_spec(cap: &str, blocks: &[&str]) -> String {
    let mut s = format!("# {cap} Specification\n\n## Purpose\n{PURPOSE}\n\n## Requirements\n");
    for b in blocks {
        s.push('\n');
        s.push_str(b.trim_end());
        s.push('\n');
    }
    s
}

/// A requirement block with text and scenarios.
pub fn req(name: &str, text: &str, scenarios: &[&str]) -> String {
    let mut s = format!("### Requirement: {name}\n{text}\n");
    for sc in scenarios {
        s.push_str(&format!(
            "\n#### Scenario: {sc}\n- **WHEN** x\n- **THEN** y\n"
        ));
    }
    s
}

/// Issues of the only item of a `validate --json` report.
pub fn issues(report: &Value) -> Vec<(String, String, Option<u64>)> {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|i| i["issues"].as_array().cloned().unwrap_or_default())
        .map(|i| {
            (
                i["level"].as_str().unwrap_or_default().to_string(),
                i["message"].as_str().unwrap_or_default().to_string(),
                i["line"].as_u64(),
            )
        })
        .collect()
}

/// Whether some issue has `level` and a message containing `needle`.
pub fn has(report: &Value, level: &str, needle: &str) -> bool {
    issues(report)
        .iter()
        .any(|(l, m, _)| l == level && m.contains(needle))
}
