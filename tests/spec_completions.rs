//! Dynamic shell completion (change ids, spec ids, host names, artifact ids)
//! through the scripts `openspec completions <shell>` prints, run in the real
//! bash, zsh and fish against the pantherOS-shaped corpus and the example
//! flake; and the EXIT STATUS and EXAMPLES sections of every man page, read
//! back through man and groff.
mod parity_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use parity_support::copy_tree;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("openspec")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A shell run in `dir` with `openspec` on PATH (the scripts call it by name).
struct Shell {
    path_dir: tempfile::TempDir,
}

impl Shell {
    fn new() -> Shell {
        let path_dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(bin(), path_dir.path().join("openspec")).unwrap();
        Shell { path_dir }
    }

    fn run(&self, dir: &Path, program: &str, args: &[&str]) -> String {
        let path = format!(
            "{}:{}",
            self.path_dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new(program)
            .args(args)
            .current_dir(dir)
            .env("PATH", path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("{program} cannot be run: {e}; tests/run.sh installs it"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn corpus() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("openspec-pantheros"), t.path());
    t
}

fn lines(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// Complete the last word of `line` in bash, as bash does on Tab.
fn bash(sh: &Shell, dir: &Path, line: &str) -> Vec<String> {
    let prog = format!(
        "source <(openspec completions bash) || exit 3\n\
         COMP_LINE='{line}'; COMP_WORDS=({line}); [[ '{line}' == *' ' ]] && COMP_WORDS+=(''); \
         COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_POINT=${{#COMP_LINE}}\n\
         $(complete -p openspec | sed -E 's/.*-F ([^ ]+) .*/\\1/') openspec \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    lines(&sh.run(dir, "bash", &["-c", &prog]))
}

#[test]
fn bash_completes_change_spec_and_artifact_ids() {
    let sh = Shell::new();
    let t = corpus();
    let d = t.path();
    assert_eq!(bash(&sh, d, "openspec show add-z"), ["add-zephyrus-facter"]);
    assert_eq!(bash(&sh, d, "openspec spec show net"), ["networking"]);
    assert_eq!(
        bash(&sh, d, "openspec archive harden"),
        ["harden-ssh"],
        "changes only"
    );
    assert_eq!(
        bash(&sh, d, "openspec instructions proposal --change add-z"),
        ["add-zephyrus-facter"]
    );
    assert_eq!(
        bash(&sh, d, "openspec instructions ap"),
        ["apply"],
        "artifact ids"
    );
    // `show` offers changes and specs; `--type spec` only specs.
    let all = bash(&sh, d, "openspec show ");
    assert!(all.contains(&"networking".to_string()) && all.contains(&"harden-ssh".to_string()));
    let specs = bash(&sh, d, "openspec show --type spec ");
    assert!(specs.contains(&"networking".to_string()));
    assert!(!specs.contains(&"harden-ssh".to_string()), "{specs:?}");
    // Where no id is expected, clap's static completion answers.
    assert_eq!(bash(&sh, d, "openspec imp"), ["impact"]);
    assert_eq!(bash(&sh, d, "openspec impact --for"), ["--format"]);
    // No `[ITEM]` placeholder and no stray names after the id.
    assert!(!all.iter().any(|w| w.starts_with('[')), "{all:?}");
}

#[test]
fn bash_completes_host_names_of_the_flake() {
    let sh = Shell::new();
    let flake = fixtures().join("example");
    let hosts = bash(&sh, &flake, "openspec nixos-check --hosts ");
    // The truth: the host list of `openspec hosts --json`.
    let out = Command::new(bin())
        .args(["hosts", "--json"])
        .current_dir(&flake)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut want: Vec<String> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert!(want.len() >= 2, "{want:?}");
    assert_eq!(hosts, want);
    let first = &want[0];
    let rest: Vec<String> = want[1..].iter().map(|h| format!("{first},{h}")).collect();
    assert_eq!(
        bash(
            &sh,
            &flake,
            &format!("openspec nixos-check --hosts {first},")
        ),
        rest,
        "after a comma, the next host"
    );
    assert_eq!(
        bash(
            &sh,
            &flake,
            &format!("openspec graph --host {}", &first[..2])
        )
        .first(),
        Some(first)
    );
}

#[test]
fn zsh_completion_offers_ids() {
    let sh = Shell::new();
    let t = corpus();
    // compadd is replaced by a function that prints what it is given, so the
    // script's own function runs in the real zsh.
    let prog = "autoload -U compinit && compinit -u && source <(openspec completions zsh) || exit 3\n\
         compadd() { local a; for a in \"${(@P)${@[-1]}}\"; do print -r -- $a; done }\n\
         words=(openspec show add-z); CURRENT=3; _openspec_dynamic\n\
         words=(openspec spec validate net); CURRENT=4; _openspec_dynamic\n\
         print -r -- \"registered: $_comps[openspec]\"";
    let out = sh.run(t.path(), "zsh", &["-fc", prog]);
    assert_eq!(
        out,
        "add-zephyrus-facter\nnetworking\nregistered: _openspec_dynamic\n"
    );
}

#[test]
fn fish_completion_offers_ids() {
    let sh = Shell::new();
    let t = corpus();
    let out = sh.run(
        t.path(),
        "fish",
        &[
            "-c",
            "openspec completions fish | source; and complete -C'openspec show add-z'; and complete -C'openspec change validate har'; and complete -C'openspec nixos-ch'",
        ],
    );
    let words: Vec<&str> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    assert!(words.contains(&"add-zephyrus-facter"), "{out}");
    assert!(words.contains(&"harden-ssh"), "{out}");
    assert!(words.contains(&"nixos-check"), "{out}");
}

#[test]
fn complete_without_a_repository_offers_nothing_and_exits_0() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["__complete", "--", "show", ""])
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn every_man_page_has_exit_status_and_examples() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut pages = 0;
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let path = e.unwrap().path();
        pages += 1;
        let rendered = Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .expect("man (tests/run.sh installs it)");
        let text = String::from_utf8_lossy(&rendered.stdout);
        let page = path.file_name().unwrap().to_string_lossy();
        for section in ["EXIT STATUS", "EXAMPLES"] {
            assert!(text.contains(section), "{page}: no {section}:\n{text}");
        }
        // Every exit code is explained, and the examples name the command.
        let exit = &text[text.find("EXIT STATUS").unwrap()..text.find("EXAMPLES").unwrap()];
        for code in ["0", "1", "2"] {
            assert!(
                exit.lines().any(|l| l.trim_start().starts_with(code)),
                "{page}: exit {code}:\n{exit}"
            );
        }
        let cmd = page
            .trim_end_matches(".1")
            .replacen("openspec-", "openspec ", 1);
        let examples = &text[text.find("EXAMPLES").unwrap()..];
        assert!(
            examples.contains("openspec"),
            "{page}: examples do not run openspec ({cmd}):\n{examples}"
        );
        let groff = Command::new("groff")
            .args(["-man", "-Tascii", "-ww", "-z"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            groff.stderr.is_empty(),
            "{page}: {}",
            String::from_utf8_lossy(&groff.stderr)
        );
    }
    assert!(pages > 20, "{pages} pages");
}
