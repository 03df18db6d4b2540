//! Snapshot helpers in the style of uv's `uv_snapshot!`: run the real binary,
//! render `success`, `exit_code`, stdout and stderr as one text, and replace
//! what changes from run to run (temporary directories, /nix/store hashes,
//! git revisions, timings) by stable placeholders before insta compares it.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use walkdir::WalkDir;

/// Nix settings of their own for every Nix process: offline, no sandbox, no
/// registry, no substituters (as tests/verify_support and tests/soundness_support do).
pub const NIX_CONFIG: &str = "experimental-features = nix-command flakes\n\
sandbox = false\n\
build-users-group =\n\
substituters =\n\
flake-registry =";

/// A fixed instant for commits and file times: revisions and `lastModified` stay put.
pub const EPOCH: u64 = 1_750_000_000;

/// A temporary directory holding one fixture, the filters that make its
/// output stable, and the real binary pointed at it.
pub struct TestContext {
    _dir: tempfile::TempDir,
    /// The repository root (`--root`), a directory below the temporary one.
    pub root: PathBuf,
    /// (regex, replacement), applied in order before the generic filters.
    filters: Vec<(String, String)>,
    /// (literal, placeholder) for the command line shown in the snapshot's description.
    names: Vec<(String, String)>,
}

/// The bundled fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

impl TestContext {
    /// An empty root.
    pub fn empty() -> TestContext {
        let dir = tempfile::Builder::new()
            .prefix("openspec-snap-")
            .tempdir()
            .expect("temporary directory");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).expect("create root");
        let mut ctx = TestContext {
            _dir: dir,
            root: root.clone(),
            filters: Vec::new(),
            names: Vec::new(),
        };
        if let Ok(canon) = root.canonicalize()
            && canon != root
        {
            ctx.filter_literal(&canon.display().to_string(), "[ROOT]");
        }
        ctx.filter_literal(&root.display().to_string(), "[ROOT]");
        let tmp = ctx._dir.path().display().to_string();
        ctx.filter_literal(&tmp, "[TMP]");
        ctx
    }

    /// A copy of `tests/fixtures/<rel>` as the root.
    pub fn copy_of(rel: &str) -> TestContext {
        let ctx = TestContext::empty();
        copy_tree(&fixture(rel), &ctx.root);
        ctx
    }

    /// A copy of the example flake.
    pub fn example() -> TestContext {
        TestContext::copy_of("example")
    }

    /// A copy of the example flake committed to a new git repository on `main`.
    pub fn example_repo() -> TestContext {
        let ctx = TestContext::example();
        ctx.git(&["init", "-q", "-b", "main"]);
        ctx.commit("example flake");
        ctx
    }

    /// A copy of the pantherOS-shaped OpenSpec tree, every file and directory
    /// at one fixed time except one file per change, so `list`'s default
    /// (most recent first) order and `lastModified` are the same on every run.
    pub fn pantheros() -> TestContext {
        let ctx = TestContext::copy_of("openspec-pantheros");
        // Not alphabetical: the order shows that `list` sorts by time.
        let order = [
            ("openspec/changes/tracked-security/proposal.md", 5),
            ("openspec/changes/harden-ssh/proposal.md", 4),
            ("openspec/changes/add-niri-shell/tasks.md", 3),
            ("openspec/changes/reorganize-hosts/proposal.md", 2),
            ("openspec/changes/refactor-module-tree/tasks.md", 1),
        ];
        ctx.set_times(&order);
        ctx
    }

    /// Every file and directory to `EPOCH`, then each listed file `hours` later.
    pub fn set_times(&self, later: &[(&str, u64)]) {
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        for e in WalkDir::new(&self.root).contents_first(true) {
            let e = e.expect("walk");
            if e.path().components().any(|c| c.as_os_str() == ".git") {
                continue;
            }
            let f = std::fs::File::open(e.path()).expect("open for times");
            f.set_modified(at(EPOCH)).expect("set mtime");
        }
        for (rel, hours) in later {
            let f = std::fs::File::options()
                .write(true)
                .open(self.root.join(rel))
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            f.set_modified(at(EPOCH + hours * 3600)).expect("set mtime");
        }
    }

    /// Replace a literal string (before the generic filters).
    pub fn filter_literal(&mut self, literal: &str, placeholder: &str) {
        self.filters
            .push((regex_escape(literal), placeholder.to_string()));
        self.names
            .push((literal.to_string(), placeholder.to_string()));
    }

    /// Name a git revision: its full and 12-, 8- and 7-character forms become `[NAME]`.
    pub fn name_revision(&mut self, rev: &str, name: &str) {
        let rev = rev.trim().to_string();
        assert_eq!(rev.len(), 40, "a full revision: {rev}");
        let placeholder = format!("[{name}]");
        self.filter_literal(&rev, &placeholder);
        for n in [12, 8, 7] {
            self.filters
                .push((format!(r"\b{}\b", &rev[..n]), placeholder.clone()));
        }
    }

    /// Every filter: this context's, then the generic ones.
    pub fn filters(&self) -> Vec<(String, String)> {
        let mut all = self.filters.clone();
        all.extend(
            GENERIC_FILTERS
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string())),
        );
        all
    }

    /// The command line as shown in the snapshot's header.
    pub fn describe(&self, cmd: &Command) -> String {
        let mut s = String::from("openspec");
        for a in cmd.get_args() {
            let mut a = a.to_string_lossy().into_owned();
            for (lit, ph) in &self.names {
                a = a.replace(lit.as_str(), ph);
            }
            s.push(' ');
            if a.is_empty() || a.contains(' ') {
                s.push_str(&format!("{a:?}"));
            } else {
                s.push_str(&a);
            }
        }
        s
    }

    /// The real binary in the root, colourless, with per-process Nix settings
    /// and a fixed git identity; the caller adds `--root` when it wants one.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_openspec"));
        c.current_dir(&self.root)
            .env("NO_COLOR", "1")
            .env("NIX_CONFIG", NIX_CONFIG)
            .env_remove("OPENSPEC_TIMING")
            .env_remove("OPENSPEC_FAULT_WRITE")
            .env_remove("CLICOLOR_FORCE")
            .envs(git_env());
        c
    }

    /// `openspec --root <root> <args…>`.
    pub fn openspec(&self, args: &[&str]) -> Command {
        let mut c = self.cmd();
        c.arg("--root").arg(&self.root).args(args);
        c
    }

    /// Write a file below the root.
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }

    /// Append to a file below the root.
    pub fn append(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        let mut old = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        old.push_str(text);
        std::fs::write(p, old).expect("write");
    }

    /// Run git in the root; its stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .envs(git_env())
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `git add -A && git commit`; the new revision.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// Fixed identity and dates: the same tree gives the same revisions on every run.
pub fn git_env() -> Vec<(&'static str, String)> {
    let date = format!("@{EPOCH} +0000");
    vec![
        ("GIT_AUTHOR_NAME", "openspec test".into()),
        ("GIT_AUTHOR_EMAIL", "test@openspec.invalid".into()),
        ("GIT_COMMITTER_NAME", "openspec test".into()),
        ("GIT_COMMITTER_EMAIL", "test@openspec.invalid".into()),
        ("GIT_AUTHOR_DATE", date.clone()),
        ("GIT_COMMITTER_DATE", date),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
    ]
}

/// Volatile text in any output, after each context's own literal filters.
pub const GENERIC_FILTERS: &[(&str, &str)] = &[
    // Store paths: the hash part.
    (r"/nix/store/[0-9a-z]{32}-", "/nix/store/[HASH]-"),
    // Result directories of nixos-check without a change, and other temp dirs.
    (r"/tmp/openspec-nixos-check-[A-Za-z0-9_.]+", "[CHECK_DIR]"),
    (r"/tmp/\.tmp[A-Za-z0-9_]+", "[TMP]"),
    // Any revision no context named.
    (r"\b[0-9a-f]{40}\b", "[REV]"),
    // Timings: JSON fields in seconds, and the text summary's "in 1.2s".
    (
        r#""(\w*(?:[sS]econds|[dD]uration|Ms|_ms|elapsed)\w*)": ?-?[0-9][0-9.eE+-]*"#,
        r#""$1": "[DURATION]""#,
    ),
    // When a run started (a recorded clock time, not a file's).
    (
        r#""(started_at|finished_at)": "[^"]*""#,
        r#""$1": "[TIMESTAMP]""#,
    ),
    (r"\b\d+(\.\d+)?(ms|s)\b", "[TIME]"),
];

/// Escape a literal for use in a regex.
pub fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `success`, `exit_code`, stdout and stderr of a run, as uv's snapshots show them.
pub fn render(out: &Output) -> String {
    let code = out
        .status
        .code()
        .map_or_else(|| format!("signal {:?}", signal(out)), |c| c.to_string());
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}\n",
        out.status.success(),
        code,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    )
}

fn signal(out: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    out.status.signal()
}

/// Run, render, and return the rendered text with the output.
pub fn run(cmd: &mut Command) -> (String, Output) {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openspec runs");
    (render(&out), out)
}

pub fn copy_tree(src: &Path, dst: &Path) {
    for entry in WalkDir::new(src).sort_by_file_name() {
        let entry = entry.expect("walk the fixture");
        let rel = entry.path().strip_prefix(src).expect("below the fixture");
        let to = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("create directory");
        } else {
            std::fs::copy(entry.path(), &to).expect("copy fixture file");
        }
    }
}

/// Run a command and snapshot its rendered output under `name` (a file
/// `tests/snapshots/snapshots__<name>.snap`), with the context's filters.
/// Returns the `Output` for further checks.
macro_rules! openspec_snapshot {
    ($ctx:expr, $name:expr, $cmd:expr) => {{
        let ctx = &$ctx;
        let name: String = ($name).to_string();
        let mut cmd = $cmd;
        let description = ctx.describe(&cmd);
        let (rendered, output) = $crate::snapshot_support::run(&mut cmd);
        let mut settings = insta::Settings::clone_current();
        for (re, with) in ctx.filters() {
            settings.add_filter(&re, with);
        }
        settings.set_description(description);
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!(name.as_str(), rendered);
        });
        output
    }};
}
