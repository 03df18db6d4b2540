//! Snapshots of the real binary's output (insta, in the style of uv's
//! `uv_snapshot!`): `success`, `exit_code`, stdout and stderr together, with
//! temporary paths, /nix/store hashes, git revisions and timings replaced by
//! placeholders (tests/snapshot_support). They capture today's output of
//! `hosts`, `graph`, `impact` (files, git, change base), the OpenSpec
//! commands, `nixos-check` with real Nix 2.8, and error paths.
//!
//! Proven against stubs (each body replaced in a scratch worktree, the suite
//! run with `CI=true INSTA_UPDATE=no`, src/ restored; never committed):
//! - report/graph.rs `dot` -> "": graph_in_every_format (graph_dot, graph_dot_host_yoga, graph_default_format)
//! - report/graph.rs `mermaid` -> "": graph_in_every_format, errors_for_a_reached_file_that_does_not_parse
//! - report/graph.rs `json` -> {}: graph_in_every_format (graph_json, graph_json_host_yoga)
//! - report/impact.rs `text` -> "": the four impact_* tests and the parse-error test (13 snapshots)
//! - report/impact.rs `markdown` -> "": four impact_* tests (6 snapshots)
//! - report/impact.rs `github_matrix` -> "": three impact_* tests (4 snapshots)
//! - impact JSON (cli/impact.rs prints {} instead of the report): five tests (11 snapshots)
//! - report/hosts.rs `text` -> "": hosts_on_the_example_flake, hosts_with_flake_pointing_at_the_fixture, parse-error test
//! - report/hosts.rs `write_json` -> nothing: hosts_on_the_example_flake (hosts_json), parse-error test
//! - report/hosts.rs `diagnostics_text` -> "": seven tests (17 snapshots, hosts and impact text)
//! - impact/category `findings` -> []: four tests (impact_of_a_shared_security_module, impact_of_a_host_file_and_of_the_lock_file, impact_from_git_on_a_feature_branch, errors_for_a_reached_file_that_does_not_parse); also both tests of tests/impact_categories.rs and two of tests/validate_impact.rs
//! - cli/impact.rs `change_base` -> None: impact_of_a_change_uses_its_recorded_base
#[macro_use]
mod snapshot_support;

use snapshot_support::TestContext;

// ---------------------------------------------------------------- hosts

#[test]
fn hosts_on_the_example_flake() {
    let ctx = TestContext::example();
    for (name, args) in [
        ("hosts_text", &["hosts"][..]),
        ("hosts_verbose", &["-v", "hosts"][..]),
        ("hosts_json", &["hosts", "--json"][..]),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

#[test]
fn hosts_with_flake_pointing_at_the_fixture() {
    // `--flake` names the flake directory; the root holds no flake.nix.
    let ctx = TestContext::empty();
    let flake = snapshot_support::fixture("example");
    let mut ctx = ctx;
    ctx.filter_literal(&flake.display().to_string(), "[FIXTURE]");
    let mut cmd = ctx.openspec(&["--flake"]);
    cmd.arg(&flake).args(["hosts"]);
    openspec_snapshot!(ctx, "hosts_flake_option", cmd);
}

// ---------------------------------------------------------------- graph

#[test]
fn graph_in_every_format() {
    let ctx = TestContext::example();
    for format in ["dot", "mermaid", "json"] {
        openspec_snapshot!(
            ctx,
            &format!("graph_{format}"),
            ctx.openspec(&["graph", "--format", format])
        );
        openspec_snapshot!(
            ctx,
            &format!("graph_{format}_host_yoga"),
            ctx.openspec(&["graph", "--host", "yoga", "--format", format])
        );
    }
    for (name, args) in [
        ("graph_default_format", &["graph"][..]),
        ("graph_unknown_host", &["graph", "--host", "nosuch"][..]),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

// ---------------------------------------------------------------- impact --files

#[test]
fn impact_of_a_shared_security_module() {
    let ctx = TestContext::example();
    let f = "modules/security/ssh.nix";
    let cases: [(&str, &[&str]); 6] = [
        ("text", &[]),
        ("json", &["--json"]),
        ("markdown", &["--format", "markdown"]),
        ("github_matrix", &["--format", "github-matrix"]),
        ("precise", &["--precise"]),
        ("precise_json", &["--precise", "--json"]),
    ];
    for (name, extra) in cases {
        let mut cmd = ctx.openspec(&["impact", "--files", f]);
        cmd.args(extra);
        openspec_snapshot!(ctx, &format!("impact_ssh_{name}"), cmd);
    }
}

#[test]
fn impact_of_a_host_file_and_of_the_lock_file() {
    let ctx = TestContext::example();
    for (name, file) in [
        ("yoga_hardware", "hosts/yoga/hardware.nix"),
        ("flake_lock", "flake.lock"),
        ("unreached", "README.md"),
    ] {
        openspec_snapshot!(
            ctx,
            &format!("impact_{name}_text"),
            ctx.openspec(&["impact", "--files", file])
        );
        openspec_snapshot!(
            ctx,
            &format!("impact_{name}_json"),
            ctx.openspec(&["impact", "--json", "--files", file])
        );
    }
    for (name, args) in [
        (
            "impact_yoga_hardware_markdown",
            &[
                "impact",
                "--format",
                "markdown",
                "--files",
                "hosts/yoga/hardware.nix",
            ][..],
        ),
        (
            "impact_flake_lock_github_matrix",
            &[
                "impact",
                "--format",
                "github-matrix",
                "--files",
                "flake.lock",
            ][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
    // Several files at once: every category; more than three reasons per
    // host, so text shows three and `-v` all of them.
    let many = [
        "impact",
        "--files",
        "flake.nix",
        "flake.lock",
        "hosts/zephyrus/zephyrus-facter.json",
        "modules/window-managers/niri.nix",
        "modules/ci/hercules.nix",
        "home/alice/home.nix",
    ];
    openspec_snapshot!(ctx, "impact_many_files_text", ctx.openspec(&many));
    let mut verbose = ctx.openspec(&["-v"]);
    verbose.args(many);
    openspec_snapshot!(ctx, "impact_many_files_verbose", verbose);
    let mut markdown = ctx.openspec(&many);
    markdown.args(["--format", "markdown"]);
    openspec_snapshot!(ctx, "impact_many_files_markdown", markdown);
}

// ---------------------------------------------------------------- impact from git

/// main: the example flake; feature: an edit inside niri's gate (committed)
/// and a new, untracked script of yoga's in the working tree.
fn feature_branch() -> TestContext {
    let mut ctx = TestContext::example_repo();
    let main = ctx.git(&["rev-parse", "HEAD"]);
    ctx.name_revision(&main, "MAIN_REV");
    ctx.git(&["checkout", "-q", "-b", "feature"]);
    let niri = "modules/window-managers/niri.nix";
    let text = std::fs::read_to_string(ctx.root.join(niri)).expect("niri module");
    let edited = text.replace("NIXOS_OZONE_WL = \"1\"", "NIXOS_OZONE_WL = \"0\"");
    assert_ne!(text, edited, "the edit applies");
    ctx.write(niri, &edited);
    let feature = ctx.commit("niri: no ozone");
    ctx.name_revision(&feature, "FEATURE_REV");
    ctx.write(
        "hosts/yoga/scripts/wifi.sh",
        "#!/bin/sh\nnmcli radio wifi on\n",
    );
    ctx
}

#[test]
fn impact_from_git_on_a_feature_branch() {
    let ctx = feature_branch();
    for (name, args) in [
        ("git_impact_text", &["impact"][..]),
        ("git_impact_json", &["impact", "--json"][..]),
        ("git_impact_precise_text", &["impact", "--precise"][..]),
        (
            "git_impact_precise_json",
            &["impact", "--precise", "--json"][..],
        ),
        (
            "git_impact_base_head_markdown",
            &[
                "impact", "--base", "main", "--head", "feature", "--format", "markdown",
            ][..],
        ),
        (
            "git_impact_base_head_github_matrix",
            &[
                "impact",
                "--base",
                "main",
                "--head",
                "feature",
                "--format",
                "github-matrix",
            ][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
    // A branch that only edits inside the gate of a module no host enables:
    // `--precise` drops the hosts that never enable it.
    ctx.git(&["checkout", "-q", "main"]);
    ctx.git(&["checkout", "-q", "-b", "zed"]);
    let zed = "modules/development/zed.nix";
    let text = std::fs::read_to_string(ctx.root.join(zed)).expect("zed module");
    let edited = text.replace("pkgs.zed-editor", "pkgs.zed-editor pkgs.git");
    assert_ne!(text, edited, "the edit applies");
    ctx.write(zed, &edited);
    // Only the module: yoga's untracked script stays out of the branch.
    ctx.git(&["add", zed]);
    ctx.git(&["commit", "-q", "-m", "zed: with git"]);
    let rev = ctx.git(&["rev-parse", "HEAD"]);
    let mut ctx = ctx;
    ctx.name_revision(&rev, "ZED_REV");
    for (name, extra) in [
        ("text", &[][..]),
        ("precise_text", &["--precise"][..]),
        ("precise_json", &["--precise", "--json"][..]),
        (
            "precise_markdown",
            &["--precise", "--format", "markdown"][..],
        ),
        (
            "precise_github_matrix",
            &["--precise", "--format", "github-matrix"][..],
        ),
    ] {
        let mut cmd = ctx.openspec(&["impact", "--base", "main", "--head", "zed"]);
        cmd.args(extra);
        openspec_snapshot!(ctx, &format!("git_impact_gated_{name}"), cmd);
    }
    openspec_snapshot!(
        ctx,
        "git_impact_unknown_base",
        ctx.openspec(&["impact", "--base", "no-such-branch"])
    );
}

/// A change whose tracking.json records a base older than the merge-base
/// with main: `impact <id>` diffs from the recorded base.
#[test]
fn impact_of_a_change_uses_its_recorded_base() {
    let mut ctx = TestContext::example_repo();
    let first = ctx.git(&["rev-parse", "HEAD"]);
    ctx.name_revision(&first, "RECORDED_BASE");
    ctx.append("hosts/servers/ovh-vps/default.nix", "# ovh: a later note\n");
    ctx.write(
        "openspec/changes/harden-ssh/proposal.md",
        "# Change: Harden ssh\n\n## Why\nPassword logins are still possible on every server and laptop.\n\n## What Changes\n- ssh keys only\n\n## Impact\n- Affected specs: networking\n",
    );
    ctx.write(
        "openspec/changes/harden-ssh/tracking.json",
        &format!(
            "{{\n  \"kind\": \"security\",\n  \"phase\": 3,\n  \"state\": \"implementing\",\n  \"created\": \"2025-11-19T10:00:00Z\",\n  \"reviews\": [],\n  \"base_revision\": \"{first}\"\n}}\n"
        ),
    );
    ctx.write(
        "openspec/changes/untracked-base/proposal.md",
        "# Change: No base\n\n## Why\nA change that has not started: no base revision is recorded yet.\n\n## What Changes\n- nothing yet\n\n## Impact\n- none\n",
    );
    let main = ctx.commit("ovh note; proposals");
    ctx.name_revision(&main, "MAIN_REV");
    ctx.git(&["checkout", "-q", "-b", "harden-ssh"]);
    ctx.append("modules/security/ssh.nix", "# keys only\n");
    for (name, args) in [
        (
            "change_impact_recorded_base_text",
            &["impact", "harden-ssh"][..],
        ),
        (
            "change_impact_recorded_base_json",
            &["impact", "harden-ssh", "--json"][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
    // Without a recorded base: the merge-base with main.
    openspec_snapshot!(
        ctx,
        "change_impact_default_base_json",
        ctx.openspec(&["impact", "untracked-base", "--json"])
    );
    // --base wins over the recorded one.
    openspec_snapshot!(
        ctx,
        "change_impact_explicit_base_markdown",
        ctx.openspec(&[
            "impact",
            "harden-ssh",
            "--base",
            "main",
            "--format",
            "markdown"
        ])
    );
}

// ---------------------------------------------------------------- OpenSpec commands

#[test]
fn validate_on_the_pantheros_tree() {
    let ctx = TestContext::pantheros();
    let cases: [(&str, &[&str]); 8] = [
        ("validate_all_text", &["validate", "--all"]),
        ("validate_all_json", &["validate", "--all", "--json"]),
        ("validate_all_strict", &["validate", "--all", "--strict"]),
        (
            "validate_all_strict_json",
            &["validate", "--all", "--strict", "--json"],
        ),
        ("validate_change_text", &["validate", "harden-ssh"]),
        (
            "validate_tracked_change_json",
            &["validate", "tracked-security", "--json"],
        ),
        ("validate_spec_json", &["validate", "networking", "--json"]),
        ("validate_no_item", &["validate"]),
    ];
    for (name, args) in cases {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

#[test]
fn validate_an_invalid_change() {
    let ctx = TestContext::pantheros();
    ctx.write(
        "openspec/changes/broken/proposal.md",
        "# Change: Broken\n\n## Why\nToo short.\n",
    );
    ctx.write(
        "openspec/changes/broken/specs/networking/spec.md",
        "## ADDED Requirements\n\n### Requirement: No scenario\nThe system SHALL do something.\n",
    );
    for (name, args) in [
        ("validate_invalid_text", &["validate", "broken"][..]),
        (
            "validate_invalid_json",
            &["validate", "broken", "--json"][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

#[test]
fn list_show_and_view_on_the_pantheros_tree() {
    let ctx = TestContext::pantheros();
    let cases: [(&str, &[&str]); 12] = [
        ("list_text", &["list"]),
        ("list_json", &["list", "--json"]),
        ("list_by_name", &["list", "--sort", "name"]),
        ("list_specs_text", &["list", "--specs"]),
        ("list_specs_json", &["list", "--specs", "--json"]),
        ("show_change_text", &["show", "harden-ssh"]),
        ("show_change_json", &["show", "harden-ssh", "--json"]),
        (
            "show_change_deltas_only_json",
            &["show", "add-zephyrus-facter", "--json", "--deltas-only"],
        ),
        ("show_spec_text", &["show", "networking", "--type", "spec"]),
        ("show_spec_json", &["show", "networking", "--json"]),
        ("view_text", &["view"]),
        ("view_json", &["view", "--json"]),
    ];
    for (name, args) in cases {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

// ---------------------------------------------------------------- nixos-check

#[test]
fn nixos_check_on_the_example_flake_with_real_nix() {
    let ctx = TestContext::example_repo();
    ctx.write(
        "openspec/changes/harden-ssh/proposal.md",
        "# Change: Harden ssh\n\n## Why\nPassword logins are still possible on every server and laptop.\n\n## What Changes\n- ssh keys only\n\n## Impact\n- Affected specs: networking\n",
    );
    ctx.commit("a change");
    let report = ctx.root.join("eval-only.json");
    // One worker: the progress lines on stderr come in one order. (With two,
    // their order changes from run to run; `-q` keeps only failures there.)
    let mut cmd = ctx.openspec(&[
        "nixos-check",
        "--hosts",
        "yoga,ovh-vps",
        "--eval-only",
        "--jobs",
        "1",
        "--report",
    ]);
    cmd.arg(&report);
    openspec_snapshot!(ctx, "check_eval_only_text", cmd);
    let mut cmd = ctx.openspec(&[
        "-q",
        "nixos-check",
        "--hosts",
        "yoga,ovh-vps",
        "--eval-only",
        "--jobs",
        "2",
        "--json",
        "--report",
    ]);
    cmd.arg(&report);
    openspec_snapshot!(ctx, "check_eval_only_json", cmd);
    for (name, args) in [
        (
            "check_build_one_host_text",
            &[
                "nixos-check",
                "harden-ssh",
                "--hosts",
                "hetzner-vps",
                "--jobs",
                "1",
            ][..],
        ),
        (
            "check_build_one_host_json",
            &[
                "nixos-check",
                "harden-ssh",
                "--hosts",
                "hetzner-vps",
                "--jobs",
                "1",
                "--json",
            ][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
    let mut cmd = ctx.openspec(&[
        "nixos-check",
        "--hosts",
        "nosuch",
        "--eval-only",
        "--jobs",
        "1",
        "--json",
        "--report",
    ]);
    cmd.arg(ctx.root.join("unknown.json"));
    openspec_snapshot!(ctx, "check_unknown_host_json", cmd);
}

// ---------------------------------------------------------------- error paths

#[test]
fn errors_without_a_flake() {
    let ctx = TestContext::empty();
    for (name, args) in [
        ("no_flake_hosts", &["hosts"][..]),
        ("no_flake_hosts_json", &["hosts", "--json"][..]),
        (
            "no_flake_impact_json",
            &["impact", "--json", "--files", "flake.nix"][..],
        ),
        ("no_openspec_list", &["list"][..]),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

#[test]
fn errors_for_an_unknown_change() {
    let ctx = TestContext::pantheros();
    snapshot_support::copy_tree(&snapshot_support::fixture("example"), &ctx.root);
    for (name, args) in [
        ("unknown_change_impact", &["impact", "nosuch"][..]),
        (
            "unknown_change_impact_json",
            &["impact", "nosuch", "--json"][..],
        ),
        (
            "unknown_change_impact_github_matrix",
            &["impact", "nosuch", "--format", "github-matrix"][..],
        ),
        ("unknown_change_show", &["show", "nosuch"][..]),
        (
            "unknown_change_validate_json",
            &["validate", "nosuch", "--json"][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

#[test]
fn errors_for_a_reached_file_that_does_not_parse() {
    let ctx = TestContext::example();
    ctx.append("modules/security/ssh.nix", "\n{ this is = not nix\n");
    for (name, args) in [
        ("parse_error_hosts", &["hosts"][..]),
        ("parse_error_hosts_json", &["hosts", "--json"][..]),
        (
            "parse_error_graph_mermaid",
            &["graph", "--format", "mermaid"][..],
        ),
        (
            "parse_error_impact_text",
            &["impact", "--files", "hosts/yoga/hardware.nix"][..],
        ),
        (
            "parse_error_impact_json",
            &["impact", "--json", "--files", "hosts/yoga/hardware.nix"][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}

#[test]
fn usage_errors() {
    let ctx = TestContext::example();
    for (name, args) in [
        (
            "usage_error_json_bad_format",
            &["impact", "--json", "--format", "yaml"][..],
        ),
        (
            "usage_error_json_unknown_flag",
            &["hosts", "--json", "--no-such-flag"][..],
        ),
        ("usage_error_text_unknown_command", &["frobnicate"][..]),
        (
            "usage_error_why_without_verify",
            &["impact", "--why", "--json"][..],
        ),
    ] {
        openspec_snapshot!(ctx, name, ctx.openspec(args));
    }
}
