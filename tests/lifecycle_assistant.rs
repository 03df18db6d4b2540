//! The assistant command files of `init --tools` and `update`: what they
//! write, what they keep, and every command line in them run against a
//! fixture repository (real git, real Nix, the real binary), exiting as the
//! file says.
mod parity_support;
mod verify_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use verify_support::{Fixture, Host, git, git_env, nix_config, write};

const START: &str = "<!-- OPENSPEC-NIXOS:START -->";
const END: &str = "<!-- OPENSPEC-NIXOS:END -->";
const NAMES: [&str; 8] = [
    "spec-gen",
    "review-librarian",
    "review-architect",
    "review-security",
    "code-impl",
    "review-reviewer",
    "nixos-check",
    "openspec-archive",
];

fn ours(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_openspec"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .envs(git_env())
        .output()
        .expect("openspec runs")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let o = ours(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    o
}

/// Every file under `dir` (except .git) with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn ours_paths() -> Vec<String> {
    NAMES
        .iter()
        .flat_map(|n| {
            [
                format!(".claude/commands/openspec/{n}.md"),
                format!(".opencode/command/{n}.md"),
            ]
        })
        .collect()
}

fn git_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    d
}

#[test]
fn init_tools_writes_the_command_files_and_none_writes_nothing() {
    let d = git_repo();
    let o = ok(d.path(), &["init", "--tools", "none", "--json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["tools"], serde_json::json!([]));
    assert!(!d.path().join(".claude").exists() && !d.path().join(".opencode").exists());
    let o = ours(d.path(), &["init", "--tools", "claude,vim"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown tool \"vim\""), "{}", text(&o));
    assert!(!d.path().join(".claude").exists());
    let o = ok(d.path(), &["init", "--tools", "claude,opencode", "--json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut created: Vec<String> = doc["created"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .filter(|p| p.starts_with('.'))
        .map(str::to_string)
        .collect();
    created.sort();
    let mut want = ours_paths();
    want.sort();
    assert_eq!(created, want);
    for p in ours_paths() {
        let t = std::fs::read_to_string(d.path().join(&p)).unwrap();
        assert!(
            t.starts_with("---\n") && t.contains(START) && t.trim_end().ends_with(END),
            "{p}"
        );
        assert!(
            t.contains("**Steps**") && t.contains("**Gate**") && t.contains("**Report back**"),
            "{p}"
        );
    }
    let role = |r: &str| {
        std::fs::read_to_string(
            d.path()
                .join(format!(".claude/commands/openspec/review-{r}.md")),
        )
        .unwrap()
    };
    assert!(role("librarian").contains("technical feasibility against the flake and its inputs"));
    assert!(role("architect").contains("architectural alignment and impact"));
    assert!(role("security").contains("host security diff"));
    assert!(role("reviewer").contains("implementation quality"));
}

#[test]
fn update_keeps_user_text_and_openspec_files_and_is_idempotent() {
    let pkg = parity_support::reference();
    let d = git_repo();
    let root = d.path();
    // OpenSpec 1.13.2's own files first, and a 0.16-era OpenCode command
    // whose name is one of ours.
    let r = parity_support::reference_run(&pkg, root, &["init", "--tools", "claude,opencode"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let theirs = tree(root);
    assert!(
        theirs
            .keys()
            .any(|k| k.starts_with(".claude/commands/opsx/")),
        "{:?}",
        theirs.keys()
    );
    let old = "---\nagent: build\ndescription: Archive a deployed OpenSpec change.\n---\n<!-- OPENSPEC:START -->\nRun `openspec archive <id> --yes`.\n<!-- OPENSPEC:END -->\n";
    write(root, ".opencode/command/openspec-archive.md", old);
    ok(root, &["init", "--tools", "claude,opencode"]);
    let after = tree(root);
    for (k, v) in &theirs {
        if k != "openspec/config.yaml" {
            assert_eq!(after.get(k), Some(v), "{k} changed");
        }
    }
    for p in ours_paths() {
        assert!(
            !theirs.contains_key(&p),
            "{p} collides with OpenSpec's files"
        );
    }
    let merged =
        std::fs::read_to_string(root.join(".opencode/command/openspec-archive.md")).unwrap();
    assert!(merged.starts_with(old), "{merged}");
    assert!(merged.contains(START));

    // The user's text around our block survives; our block is restored.
    let p = root.join(".claude/commands/openspec/code-impl.md");
    let t = std::fs::read_to_string(&p).unwrap();
    let user = t
        .replace(START, &format!("My own note before.\n{START}"))
        .replace("**Steps**", "**Steps** (edited by hand)")
        + "\nMy own note after.\n";
    std::fs::write(&p, &user).unwrap();
    let o = ok(root, &["update", "--json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        doc["updated"],
        serde_json::json!([".claude/commands/openspec/code-impl.md"]),
        "{doc:#}"
    );
    let t2 = std::fs::read_to_string(&p).unwrap();
    assert!(
        t2.contains("My own note before.\n") && t2.ends_with("\nMy own note after.\n"),
        "{t2}"
    );
    assert!(!t2.contains("(edited by hand)"), "{t2}");
    assert_eq!(
        t2.replace("My own note before.\n", "")
            .replace("\nMy own note after.\n", ""),
        t
    );
    // A second update changes nothing.
    let before = tree(root);
    let o = ok(root, &["update", "--json"]);
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["updated"], serde_json::json!([]));
    assert_eq!(tree(root), before);
    for (k, v) in &theirs {
        if k != "openspec/config.yaml" && k != ".opencode/command/openspec-archive.md" {
            assert_eq!(before.get(k), Some(v), "{k} changed by update");
        }
    }

    // Broken markers: nothing is written, the file and line are named.
    std::fs::write(&p, format!("{START}\nhalf a block\n")).unwrap();
    std::fs::remove_file(root.join(".opencode/command/spec-gen.md")).unwrap();
    let o = ours(root, &["update"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("code-impl.md:1: "), "{}", text(&o));
    assert!(
        !root.join(".opencode/command/spec-gen.md").exists(),
        "all or nothing"
    );
}

/// The command lines of a command file: those in code fences (with the
/// exit codes their comment names) and those in backticks in the prose.
fn command_lines(text: &str) -> Vec<(String, Vec<i32>)> {
    let mut out = vec![];
    let mut fenced = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            if t.starts_with("openspec ") {
                let (cmd, comment) = t.split_once("  #").unwrap_or((t, ""));
                let codes: Vec<i32> = comment
                    .split("exit ")
                    .skip(1)
                    .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
                    .collect();
                assert!(!codes.is_empty(), "no exit code stated for {t:?}");
                out.push((cmd.trim().to_string(), codes));
            }
            continue;
        }
        for (i, part) in t.split('`').enumerate() {
            if i % 2 == 1 && part.starts_with("openspec ") {
                out.push((part.to_string(), vec![0]));
            }
        }
    }
    out
}

struct Runner {
    f: Fixture,
    path: String,
    id: &'static str,
}

impl Runner {
    /// Run `line` (placeholders replaced) with `sh -c`, as an assistant does.
    fn sh(&self, line: &str) -> Output {
        let line = line
            .replace("<id>", self.id)
            .replace("\"TEXT\"", "\"checked by the test\"");
        Command::new("sh")
            .arg("-c")
            .arg(&line)
            .current_dir(self.f.path())
            .env("PATH", &self.path)
            .env("NIX_CONFIG", nix_config(&self.f.nix_marker))
            .env("NO_COLOR", "1")
            .envs(git_env())
            .output()
            .expect("sh runs")
    }

    /// Every command line of command file `name`, in order; each must exit
    /// 0 here (the stage's precondition holds) and 0 must be among the
    /// codes the file states. `after` runs after each line.
    fn stage(&self, name: &str, mut after: impl FnMut(&str)) -> Vec<String> {
        let claude = self.file(&format!(".claude/commands/openspec/{name}.md"));
        let opencode = self.file(&format!(".opencode/command/{name}.md"));
        let lines = command_lines(&claude);
        assert!(!lines.is_empty(), "{name} has no command line");
        assert_eq!(
            lines,
            command_lines(&opencode),
            "{name}: both tools carry the same command lines"
        );
        let mut ran = vec![];
        for (line, codes) in lines {
            assert!(codes.contains(&0), "{name}: {line}: {codes:?}");
            let o = self.sh(&line);
            assert_eq!(o.status.code(), Some(0), "{name}: {line}: {}", text(&o));
            if line.contains("--json") {
                serde_json::from_slice::<Value>(&o.stdout)
                    .unwrap_or_else(|e| panic!("{name}: {line}: {e}: {}", text(&o)));
            }
            after(&line);
            ran.push(line);
        }
        ran
    }

    fn file(&self, rel: &str) -> String {
        std::fs::read_to_string(self.f.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn state(&self) -> String {
        let o = self.sh("openspec status <id> --json");
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["state"].as_str().unwrap_or_default().to_string()
    }
}

#[test]
fn every_command_line_of_the_assistant_files_runs_as_the_file_says() {
    let f = Fixture::new(&[("alpha", Host::Ok), ("beta", Host::Ok)]);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_openspec"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    git(f.path(), &["config", "user.name", "Assistant"]);
    ok(f.path(), &["init", "--tools", "claude,opencode"]);
    git(f.path(), &["add", "-A"]);
    git(f.path(), &["commit", "-q", "-m", "init"]);
    let r = Runner {
        f,
        path,
        id: "console-font",
    };
    let root = r.f.path().to_path_buf();
    let mut all = vec![];

    all.extend(r.stage("spec-gen", |line| {
        if line.starts_with("openspec new ") {
            // What the assistant writes after creating the change.
            write(&root, "openspec/changes/console-font/proposal.md", "# Change: Console font\n\n## Why\nThe console font of the desktop host lacks glyphs our terminals need, so text renders as boxes.\n\n## What Changes\n- Switch the console font to dejavu.\n\n## Impact\n- Modified: `modules/fonts.nix`\n");
            write(&root, "openspec/changes/console-font/specs/console-font/spec.md", "## ADDED Requirements\n### Requirement: Console font\nThe system SHALL ship the dejavu font on desktop hosts.\n\n#### Scenario: Font present\n- **WHEN** a desktop host is built\n- **THEN** its etc holds the dejavu font setting\n");
        }
    }));
    // The gate the code-impl file states: exit 1 before approval.
    let code_impl = r.file(".claude/commands/openspec/code-impl.md");
    let (start, codes) = command_lines(&code_impl)
        .into_iter()
        .find(|(l, _)| l == "openspec code-impl <id> --json")
        .expect("code-impl line");
    assert!(codes.contains(&1));
    assert_eq!(r.sh(&start).status.code(), Some(1));
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "proposal"]);

    for role in ["review-librarian", "review-architect", "review-security"] {
        let lines = r.stage(role, |_| {});
        // The file's approval line, run again after its request-changes line.
        let approve = lines.iter().find(|l| l.contains("--approve")).unwrap();
        assert_eq!(r.sh(approve).status.code(), Some(0));
        all.extend(lines);
    }
    assert_eq!(r.state(), "approved");
    all.extend(r.stage("code-impl", |_| {}));
    assert_eq!(r.state(), "implementing");
    write(
        &root,
        "modules/fonts.nix",
        "{ config.environment.etc.fonts = \"dejavu\"; }\n",
    );
    let tasks = root.join("openspec/changes/console-font/tasks.md");
    let t = std::fs::read_to_string(&tasks)
        .unwrap()
        .replace("- [ ]", "- [x]");
    std::fs::write(&tasks, t).unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "implement"]);
    all.extend(r.stage("review-reviewer", |_| {}));
    all.extend(r.stage("nixos-check", |_| {}));
    assert_eq!(r.state(), "verified");
    all.extend(r.stage("openspec-archive", |_| {}));
    assert!(!root.join("openspec/changes/console-font").exists());
    assert!(root.join("openspec/specs/console-font/spec.md").is_file());
    // Every distinct line of every file ran.
    let mut every: Vec<String> = NAMES
        .iter()
        .flat_map(|n| {
            command_lines(
                &std::fs::read_to_string(root.join(format!(".claude/commands/openspec/{n}.md")))
                    .unwrap(),
            )
        })
        .map(|(l, _)| l)
        .collect();
    every.sort();
    every.dedup();
    for l in every {
        assert!(all.contains(&l), "never ran: {l}");
    }
}
