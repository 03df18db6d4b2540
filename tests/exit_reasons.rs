//! Every non-zero exit says why: one `error:` line on stderr, also when the
//! report itself was printed (a flake with a broken reached file, a failed
//! validation), and under `--json` stdout stays one JSON document.
mod analysis_support;

use analysis_support::Tree;

const BROKEN: &str = "{ ... }:\n{\n  boot.kernelParams = [ \"quiet\" ] ++ ++ [ \"splash\" ];\n}\n";

fn broken_flake() -> Tree {
    let t = Tree::with_flake(&[("alpha", "./hosts/alpha.nix"), ("beta", "./hosts/beta.nix")]);
    t.write("hosts/alpha.nix", BROKEN);
    t.write("hosts/beta.nix", "{ ... }: { }\n");
    t
}

/// The one `error:` line of a run's stderr.
fn error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line expected:\n{stderr}");
    lines[0]
}

#[test]
fn a_broken_reached_file_is_named_on_stderr_by_every_analysis_command() {
    let t = broken_flake();
    let runs = [
        vec!["hosts"],
        vec!["hosts", "--json"],
        vec!["graph"],
        vec!["graph", "--format", "mermaid"],
        vec!["graph", "--json"],
        vec!["impact", "--files", "hosts/beta.nix"],
        vec!["impact", "--files", "hosts/beta.nix", "--json"],
    ];
    for args in runs {
        let run = t.openspec(&args);
        run.assert_code(1);
        if args.contains(&"--json") {
            run.json();
        }
        let line = error_line(&run.stderr);
        assert!(
            line.contains("1 reached file(s) have errors: hosts/alpha.nix"),
            "`{}`: {line}",
            args.join(" ")
        );
    }
    let fixed = Tree::with_flake(&[("beta", "./hosts/beta.nix")]);
    fixed.write("hosts/beta.nix", "{ ... }: { }\n");
    for args in [vec!["hosts"], vec!["graph"]] {
        let run = fixed.openspec(&args);
        run.assert_code(0);
        assert!(!run.stderr.contains("error:"), "{}", run.context());
    }
}

#[test]
fn a_failed_validation_names_the_items_on_stderr() {
    let t = Tree::new();
    t.write("openspec/specs/.keep", "");
    t.write(
        "openspec/changes/empty-change/proposal.md",
        "# nothing here\n",
    );
    for args in [vec!["validate"], vec!["validate", "--json"]] {
        let run = t.openspec(&args);
        run.assert_code(1);
        if args.contains(&"--json") {
            run.json();
        }
        let line = error_line(&run.stderr);
        assert!(
            line.contains("1 of 1 item(s) failed validation: empty-change"),
            "{line}"
        );
    }
}

#[test]
fn an_unknown_change_is_refused_with_the_same_message() {
    let t = broken_flake();
    t.write("openspec/changes/.keep", "");
    for id in ["nope", "", "a/b", "..", ".hidden"] {
        let run = t.openspec(&["impact", id, "--files", "hosts/beta.nix"]);
        run.assert_code(1);
        let line = error_line(&run.stderr);
        assert_eq!(
            line,
            format!(
                "error: no change named {id:?} under openspec/changes/; run `openspec list` for the ids"
            )
        );
    }
}
