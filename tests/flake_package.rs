//! The package built by real Nix through nix/package.nix. The stand-in's
//! buildRustPackage copies the binary cargo built instead of running cargo;
//! the rest is real: the package's postInstall runs that binary to generate
//! completions and man pages and installs them with installShellFiles'
//! interface, and `nix run` runs the result.
mod flake_support;

use std::path::Path;
use std::process::Command;

use flake_support::*;

fn build_package(f: &Flakes) -> std::path::PathBuf {
    let out = run_ok(&mut f.ours(
        &["build", "--json", "--no-link"],
        &format!("#packages.{SYSTEM}.openspec"),
    ));
    built_out(&out)
}

#[test]
fn package_installs_binary_completions_and_man_pages() {
    let f = Flakes::new();
    let out = build_package(&f);
    for rel in [
        "bin/openspec",
        "share/bash-completion/completions/openspec.bash",
        "share/zsh/site-functions/_openspec",
        "share/fish/vendor_completions.d/openspec.fish",
        "share/man/man1/openspec.1",
        "share/man/man1/openspec-impact.1",
        "share/man/man1/openspec-nixos-check.1",
    ] {
        let path = out.join(rel);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .len();
        assert!(len > 0, "{} is empty", path.display());
    }
    let zsh = std::fs::read_to_string(out.join("share/zsh/site-functions/_openspec")).unwrap();
    assert!(zsh.starts_with("#compdef openspec"), "{zsh}");
}

#[test]
fn installed_bash_completion_completes_subcommands() {
    let f = Flakes::new();
    let out = build_package(&f);
    let script = out.join("share/bash-completion/completions/openspec.bash");
    let words = bash_complete(&script, "openspec nix");
    assert_eq!(words.trim(), "nixos-check");
}

/// Source the completion `script`, complete the last word of `line`, print COMPREPLY.
fn bash_complete(script: &Path, line: &str) -> String {
    let prog = format!(
        "source '{}' || exit 3\n\
         COMP_LINE='{line}'; COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_POINT=${{#COMP_LINE}}\n\
         _openspec openspec \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    stdout(&run_ok(Command::new("bash").args(["-c", &prog])))
}

#[test]
fn installed_man_page_renders() {
    let f = Flakes::new();
    let out = build_package(&f);
    let page = out.join("share/man/man1/openspec-impact.1");
    let text = stdout(&run_ok(
        Command::new("groff")
            .args(["-man", "-Tascii", "-ww", "-P-cbou"])
            .arg(&page),
    ));
    assert!(text.contains("openspec-impact"), "{text}");
    assert!(text.contains("--format"), "{text}");
}

#[test]
fn nix_run_runs_the_packaged_binary() {
    let f = Flakes::new();
    let mut cmd = f.ours(&["run"], "#openspec");
    cmd.args(["--", "--version"]);
    let text = stdout(&run_ok(&mut cmd));
    assert_eq!(
        text.trim(),
        format!("openspec {}", env!("CARGO_PKG_VERSION"))
    );
}
