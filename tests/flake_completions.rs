//! `openspec completions` and `openspec man`, run as the real binary and
//! loaded by the real shells and man/groff. zsh and fish are exercised where
//! installed (the test says so on stderr when one is missing).
mod flake_support;

use std::process::Command;

use flake_support::*;

fn openspec() -> Command {
    Command::new(openspec_bin())
}

fn installed(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("{program} is not installed: its completion test checks nothing here");
    }
    found
}

fn bin() -> String {
    openspec_bin().display().to_string()
}

#[test]
fn bash_loads_the_completion_and_registers_it() {
    let out = run_ok(Command::new("bash").args([
        "-c",
        &format!(
            "source <('{}' completions bash) && complete -p openspec",
            bin()
        ),
    ]));
    assert!(
        stdout(&out).contains("-F _openspec_dynamic"),
        "{}",
        stdout(&out)
    );
}

/// Complete the last word of `line` with the bash script the binary prints.
fn bash_complete(line: &str) -> Vec<String> {
    let prog = format!(
        "source <('{}' completions bash) || exit 3\n\
         COMP_LINE='{line}'; COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_POINT=${{#COMP_LINE}}\n\
         _openspec openspec \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        bin()
    );
    stdout(&run_ok(Command::new("bash").args(["-c", &prog])))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bash_completes_commands_flags_and_values() {
    assert_eq!(bash_complete("openspec imp"), ["impact"]);
    assert_eq!(bash_complete("openspec impact --for"), ["--format"]);
    let formats = bash_complete("openspec impact --format ''");
    for f in ["text", "json", "markdown", "github-matrix"] {
        assert!(formats.iter().any(|w| w == f), "{f} not in {formats:?}");
    }
    assert_eq!(
        bash_complete("openspec nixos-check --keep"),
        ["--keep-going"]
    );
}

#[test]
fn zsh_loads_the_completion() {
    assert!(
        installed("zsh"),
        "zsh is not installed: run the suite with tests/run.sh, which installs it"
    );
    let out = run_ok(Command::new("zsh").args([
        "-fc",
        &format!(
            "autoload -U compinit && compinit -u && source <('{}' completions zsh) && print -r -- $_comps[openspec] && whence -w _openspec",
            bin()
        ),
    ]));
    let text = stdout(&out);
    assert!(text.starts_with("_openspec_dynamic\n"), "{text}");
    assert!(text.contains("_openspec: function"), "{text}");
}

#[test]
fn fish_loads_the_completion_and_completes() {
    assert!(
        installed("fish"),
        "fish is not installed: run the suite with tests/run.sh, which installs it"
    );
    let out = run_ok(Command::new("fish").args([
        "-c",
        &format!(
            "'{}' completions fish | source; and complete -C'openspec nixos-ch'; and complete -C'openspec impact --for'",
            bin()
        ),
    ]));
    let text = stdout(&out);
    assert!(text.contains("nixos-check\t"), "{text}");
    assert!(text.contains("--format\t"), "{text}");
}

#[test]
fn completions_json_is_one_document_with_the_script() {
    let out = run_ok(openspec().args(["completions", "fish", "--json"]));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["shell"], "fish");
    assert!(
        doc["script"]
            .as_str()
            .unwrap()
            .contains("complete -c openspec")
    );
}

#[test]
fn unknown_shell_is_a_usage_error_naming_the_choices() {
    let out = openspec().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bash"), "{}", stderr(&out));
    let out = openspec()
        .args(["completions", "tcsh", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["exit_code"], 2);
}

#[test]
fn man_page_renders_with_man_and_groff_without_warnings() {
    let roff = run_ok(openspec().arg("man")).stdout;
    let path = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(path.path(), &roff).unwrap();
    if installed("man") {
        let out = run_ok(
            Command::new("man")
                .arg("-l")
                .arg(path.path())
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80"),
        );
        let text = stdout(&out);
        for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS"] {
            assert!(text.contains(section), "no {section} in:\n{text}");
        }
        assert!(text.contains("openspec-nixos-check(1)"), "{text}");
    }
    let out = run_ok(
        Command::new("groff")
            .args(["-man", "-Tascii", "-ww", "-z"])
            .arg(path.path()),
    );
    assert_eq!(stderr(&out), "", "groff warnings");
}

#[test]
fn man_out_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(
        openspec()
            .args(["man", "--json", "--out-dir"])
            .arg(dir.path()),
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let written: Vec<&str> = doc["written"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    for page in ["openspec.1", "openspec-impact.1", "openspec-validate.1"] {
        assert!(written.contains(&page), "{page} not in {written:?}");
    }
    for page in &written {
        let path = dir.path().join(page);
        let out = run_ok(
            Command::new("groff")
                .args(["-man", "-Tascii", "-ww", "-z"])
                .arg(&path),
        );
        assert_eq!(stderr(&out), "", "groff warnings on {page}");
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), written.len(), "stray files in the out dir");
}

#[test]
fn man_out_dir_that_cannot_be_created_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let target = file.join("man");
    let out = openspec()
        .args(["man", "--out-dir"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&target.display().to_string()),
        "{}",
        stderr(&out)
    );
}
