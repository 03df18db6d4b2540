//! The reference OpenSpec 1.13.2 (installed from npm by tests/run.sh) and the
//! way both tools are run on the same trees: `validate --all --json`,
//! `list --json` and `archive <id> --yes --json`, compared by verdict, task
//! counts, archive outcome and the bytes of `openspec/specs/`.
#![allow(dead_code)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub const REF_VERSION: &str = "1.13.2";

/// The reference package folder; a missing or wrong reference is a test
/// failure naming the reason, never a skip.
pub fn reference() -> PathBuf {
    let prefix = match std::env::var_os("OPENSPEC_REF_PREFIX") {
        Some(p) => PathBuf::from(p),
        None => {
            let home = std::env::var_os("HOME").expect("HOME is not set: cannot find the reference OpenSpec under $HOME/.cache/openspec-ref");
            PathBuf::from(home)
                .join(".cache/openspec-ref")
                .join(REF_VERSION)
        }
    };
    let pkg = prefix.join("node_modules/@fission-ai/openspec");
    let manifest = pkg.join("package.json");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| {
        panic!(
            "the reference OpenSpec {REF_VERSION} is not installed ({}: {e}); tests/run.sh installs it with \
             `npm install --prefix {} @fission-ai/openspec@{REF_VERSION}`",
            manifest.display(),
            prefix.display()
        )
    });
    let v: Value = serde_json::from_str(&text).expect("reference package.json is JSON");
    assert_eq!(
        v["version"].as_str(),
        Some(REF_VERSION),
        "the reference at {} is not OpenSpec {REF_VERSION}",
        pkg.display()
    );
    let node = Command::new("node").arg("--version").output();
    match node {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`node --version` failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => {
            panic!("node (needed to run the reference OpenSpec {REF_VERSION}) cannot be run: {e}")
        }
    }
    pkg
}

/// One run: exit code, stdout, stderr.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

fn env(c: &mut Command, scratch: &Path) {
    c.env("DO_NOT_TRACK", "1")
        .env("OPENSPEC_TELEMETRY", "0")
        .env("NO_COLOR", "1")
        .env("CI", "1")
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .env("XDG_DATA_HOME", scratch.join("data"))
        .env("XDG_CACHE_HOME", scratch.join("cache"))
        .env_remove("OPENSPEC_FAULT_WRITE");
}

fn finish(out: std::process::Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The reference CLI in `dir`.
pub fn reference_run(pkg: &Path, dir: &Path, args: &[&str]) -> Run {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut c = Command::new("node");
    c.arg(pkg.join("bin/openspec.js"))
        .args(args)
        .current_dir(dir);
    env(&mut c, scratch.path());
    finish(c.output().expect("run the reference"))
}

/// Our binary in `dir` (found from the working directory, as the reference is).
pub fn ours_run(dir: &Path, args: &[&str]) -> Run {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("openspec"));
    c.args(args).current_dir(dir);
    env(&mut c, scratch.path());
    finish(c.output().expect("run openspec"))
}

/// The reference's archive command run in one Node process over many
/// (tree, change) jobs: loading the CLI costs about a second, archiving a
/// change a few milliseconds. It calls the same `ArchiveCommand.execute` the
/// CLI's `archive <id> --yes --json` calls, and records the exit code the
/// CLI would have had.
const DRIVER: &str = r#"
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
const [pkg, jobsFile, outFile] = process.argv.slice(2);
const { ArchiveCommand } = await import(pathToFileURL(pkg + '/dist/core/archive.js').href);
const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));
const results = [];
const log = console.log;
for (const [dir, id] of jobs) {
  process.chdir(dir);
  process.exitCode = 0;
  let stdout = '';
  console.log = (...a) => { stdout += a.join(' ') + '\n'; };
  let code;
  try {
    await new ArchiveCommand().execute(id, { yes: true, json: true });
    code = process.exitCode ?? 0;
  } catch (e) {
    stdout += String(e);
    code = 1;
  }
  console.log = log;
  results.push({ dir, id, code, stdout });
}
process.exitCode = 0;
fs.writeFileSync(outFile, JSON.stringify(results));
"#;

/// Archive each (tree, change id) with the reference, `workers` Node
/// processes in parallel; the exit code per job, in job order.
pub fn reference_archive_batch(pkg: &Path, jobs: &[(PathBuf, String)], workers: usize) -> Vec<i32> {
    let scratch = tempfile::tempdir().expect("tempdir");
    let driver = scratch.path().join("driver.mjs");
    std::fs::write(&driver, DRIVER).expect("write driver");
    let chunk = jobs.len().div_ceil(workers.max(1)).max(1);
    let parts: Vec<Vec<(PathBuf, String)>> = jobs.chunks(chunk).map(|c| c.to_vec()).collect();
    let results: Vec<Vec<i32>> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let driver = &driver;
                let scratch = scratch.path();
                s.spawn(move || {
                    let jf = scratch.join(format!("jobs-{i}.json"));
                    let of = scratch.join(format!("out-{i}.json"));
                    let list: Vec<(String, String)> = part
                        .iter()
                        .map(|(d, id)| (d.display().to_string(), id.clone()))
                        .collect();
                    std::fs::write(&jf, serde_json::to_string(&list).unwrap()).unwrap();
                    let mut c = Command::new("node");
                    c.arg(driver).arg(pkg).arg(&jf).arg(&of);
                    env(&mut c, scratch);
                    let run = finish(c.output().expect("run node"));
                    assert_eq!(run.code, 0, "the archive driver failed: {}", run.stderr);
                    let v: Value =
                        serde_json::from_str(&std::fs::read_to_string(&of).unwrap()).unwrap();
                    v.as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r["code"].as_i64().unwrap() as i32)
                        .collect::<Vec<i32>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("driver thread"))
            .collect()
    });
    results.into_iter().flatten().collect()
}

/// Copy a directory tree.
pub fn copy_tree(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src)
        .into_iter()
        .map(|e| e.expect("walk"))
    {
        let rel = e.path().strip_prefix(src).expect("prefix");
        let to = dst.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// id → valid from a `validate --all --json` document.
pub fn verdicts(v: &Value) -> BTreeMap<String, bool> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["valid"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// id → number of issues at `level` (`WARNING`, `ERROR`) from a
/// `validate --all --json` document (messages are each tool's own words,
/// so only the counts are compared).
pub fn issue_counts(v: &Value, level: &str) -> BTreeMap<String, usize> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
        .iter()
        .map(|i| {
            let n = i["issues"]
                .as_array()
                .map(|a| a.iter().filter(|x| x["level"] == level).count())
                .unwrap_or(0);
            (i["id"].as_str().unwrap().to_string(), n)
        })
        .collect()
}

/// name → (completedTasks, totalTasks) from a `list --json` document.
pub fn tasks(v: &Value) -> BTreeMap<String, (u64, u64)> {
    v["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes: {v}"))
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                (
                    c["completedTasks"].as_u64().unwrap(),
                    c["totalTasks"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The change folders directly under `openspec/changes/` (not `archive`).
pub fn change_dirs(root: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root.join("openspec/changes"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "archive" && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// What archive left behind: whether the change moved, and every file under
/// `openspec/specs/` with its bytes.
pub fn archive_state(root: &Path, id: &str) -> (bool, BTreeMap<String, Vec<u8>>) {
    let moved = !root.join("openspec/changes").join(id).exists();
    let specs = root.join("openspec/specs");
    let mut files = BTreeMap::new();
    if specs.exists() {
        for e in walkdir::WalkDir::new(&specs).sort_by_file_name() {
            let e = e.expect("walk");
            if e.file_type().is_file() {
                let rel = e
                    .path()
                    .strip_prefix(&specs)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(rel, std::fs::read(e.path()).expect("read"));
            }
        }
    }
    (moved, files)
}

/// A small deterministic generator (xorshift64*), so a seed names a tree.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}
