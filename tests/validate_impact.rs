//! Declared versus computed in `openspec validate`: for a change whose
//! tracking.json records a base revision, in a flake, the hosts and
//! categories computed from the diff since that base must be named by the
//! proposal's `## Impact` section; what is not named is a warning, an error
//! under `--strict`. Without a recorded base, or outside a flake, validate
//! says nothing more than OpenSpec does. Real git repositories, the real
//! binary.
mod repo_support;

use std::path::Path;

use repo_support::{git, openspec, write};

const DELTA: &str = "## ADDED Requirements\n### Requirement: Key-only SSH\nThe SSH server SHALL refuse password logins.\n\n#### Scenario: password login\n- **WHEN** a client offers a password\n- **THEN** the server refuses it\n";

fn proposal(impact: &str) -> String {
    format!(
        "# Change: Harden ssh\n\n## Why\nPassword logins are still possible on every server and laptop, a risk we no longer accept.\n\n## What Changes\n- ssh keys only on every host\n\n## Impact\n{impact}"
    )
}

/// The example flake committed on `main`, with the change `harden-ssh`
/// (recording `base` when given) and an edit that allows password logins
/// in the ssh module every host imports.
fn repo(root: &Path, impact: &str, record_base: bool) -> String {
    repo_support::copy_dir(&repo_support::example(), root);
    git(root, &["init", "-q", "-b", "main"]);
    let base = repo_support::commit_all(root, "base");
    write_change(root, impact, record_base.then_some(base.as_str()));
    let ssh = root.join("modules/security/ssh.nix");
    let text = std::fs::read_to_string(&ssh).unwrap_or_else(|e| panic!("{e}"));
    let edited = text.replace(
        "PasswordAuthentication = false",
        "PasswordAuthentication = true",
    );
    assert_ne!(text, edited);
    std::fs::write(&ssh, edited).unwrap_or_else(|e| panic!("{e}"));
    base
}

fn write_change(root: &Path, impact: &str, base: Option<&str>) {
    let dir = "openspec/changes/harden-ssh";
    write(root, &format!("{dir}/proposal.md"), &proposal(impact));
    write(root, &format!("{dir}/specs/networking/spec.md"), DELTA);
    write(
        root,
        &format!("{dir}/tasks.md"),
        "## 1. Implementation\n- [ ] 1.1 Keys only\n\n## 2. Rollback\n- [ ] 2.1 Revert the commit\n",
    );
    let base = base
        .map(|b| format!(",\n  \"base_revision\": \"{b}\""))
        .unwrap_or_default();
    write(
        root,
        &format!("{dir}/tracking.json"),
        &format!(
            "{{\n  \"kind\": \"change\",\n  \"state\": \"implementing\",\n  \"created\": \"2025-11-19T10:00:00Z\",\n  \"reviews\": []{base}\n}}\n"
        ),
    );
}

/// (exit code, the change's issues as (level, line, message)).
fn validate(root: &Path, strict: bool) -> (i32, Vec<(String, Option<u64>, String)>) {
    let mut args = vec!["validate", "harden-ssh", "--json"];
    if strict {
        args.push("--strict");
    }
    let out = openspec(root, &args);
    let doc = repo_support::json(&out);
    let issues = doc["items"][0]["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            assert_eq!(i["path"], "openspec/changes/harden-ssh/proposal.md", "{i}");
            (
                i["level"].as_str().unwrap_or("").to_string(),
                i["line"].as_u64(),
                i["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (out.status.code().unwrap_or(-1), issues)
}

#[test]
fn unnamed_hosts_and_categories_warn_and_fail_under_strict() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    repo(&root, "- Affected specs: networking\n- Hosts: yoga\n", true);
    let (code, issues) = validate(&root, false);
    assert_eq!(code, 0, "warnings alone pass: {issues:?}");
    let hosts: Vec<&(String, Option<u64>, String)> =
        issues.iter().filter(|i| i.2.contains("host(s)")).collect();
    assert_eq!(hosts.len(), 1, "{issues:?}");
    let (level, line, message) = hosts[0];
    assert_eq!(level, "WARNING");
    // The line of `## Impact`.
    assert_eq!(*line, Some(9));
    assert!(
        message.contains("hetzner-vps, ovh-vps, zephyrus") && !message.contains("yoga"),
        "{message}"
    );
    let cats: Vec<&String> = issues
        .iter()
        .filter(|i| i.2.contains("category"))
        .map(|i| &i.2)
        .collect();
    assert_eq!(cats.len(), 1, "{issues:?}");
    assert!(
        cats[0].contains("security-model")
            && cats[0].contains("modules/security/ssh.nix:")
            && cats[0].contains("services.openssh.settings.PasswordAuthentication"),
        "{}",
        cats[0]
    );
    let (code, strict) = validate(&root, true);
    assert_eq!(code, 1, "--strict fails on them: {strict:?}");
    assert_eq!(strict.len(), 2);
}

#[test]
fn a_section_that_names_them_passes_strict() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    // Hosts by name (in backticks, one with a sentence's dot), the category
    // spelled with a space.
    repo(
        &root,
        "- Hosts: `yoga`, `zephyrus`, ovh-vps and hetzner-vps.\n- Categories: Security model\n",
        true,
    );
    assert_eq!(validate(&root, true), (0, vec![]));
    // `all hosts` names every host.
    write_change(
        &root,
        "- Hosts: all hosts\n- Categories: security-model\n",
        Some(&git(&root, &["rev-parse", "HEAD"])),
    );
    assert_eq!(validate(&root, true), (0, vec![]));
    // A path the hosts depend on names them too (the declared scope).
    write_change(
        &root,
        "- Modified: `modules/security/ssh.nix`\n- Categories: security-model\n",
        Some(&git(&root, &["rev-parse", "HEAD"])),
    );
    assert_eq!(validate(&root, true), (0, vec![]));
}

#[test]
fn the_template_guidance_names_nothing() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    repo(&root, "", true);
    // The Impact section as `new` writes it: guidance in a comment, which
    // mentions every category and `all hosts`.
    let out = openspec(&root, &["new", "other", "--kind", "security"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let template = std::fs::read_to_string(root.join("openspec/changes/other/proposal.md"))
        .unwrap_or_else(|e| panic!("{e}"));
    let section = template
        .split("## Impact\n")
        .nth(1)
        .unwrap_or_else(|| panic!("an Impact section: {template}"));
    assert!(section.contains("security-model") && section.contains("all hosts"));
    write_change(&root, section, Some(&git(&root, &["rev-parse", "HEAD"])));
    let (_, issues) = validate(&root, false);
    let messages: Vec<&str> = issues.iter().map(|i| i.2.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("host(s) hetzner-vps, ovh-vps, yoga, zephyrus"))
            && messages
                .iter()
                .any(|m| m.contains("category security-model")),
        "{messages:?}"
    );
}

#[test]
fn no_recorded_base_or_no_flake_says_nothing() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Code changed, nothing named, but no base recorded.
    let root = t.path().join("flake");
    repo(&root, "- Affected specs: networking\n", false);
    assert_eq!(validate(&root, true), (0, vec![]));
    // A base recorded, but no flake: OpenSpec's verdict alone.
    let plain = t.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap_or_else(|e| panic!("{e}"));
    git(&plain, &["init", "-q", "-b", "main"]);
    write(&plain, "README.md", "# notes\n");
    let base = repo_support::commit_all(&plain, "base");
    write_change(&plain, "- Affected specs: networking\n", Some(&base));
    write(&plain, "README.md", "# notes, edited\n");
    assert_eq!(validate(&plain, true), (0, vec![]));
}

#[test]
fn an_unknown_recorded_base_is_a_warning_that_says_where_to_fix_it() {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path().join("flake");
    repo(&root, "- Hosts: all hosts\n", false);
    write_change(&root, "- Hosts: all hosts\n", Some("0123456789abcdef"));
    let (code, issues) = validate(&root, false);
    assert_eq!(code, 0);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].0, "WARNING");
    assert!(
        issues[0].2.contains("0123456789ab")
            && issues[0]
                .2
                .contains("openspec/changes/harden-ssh/tracking.json"),
        "{}",
        issues[0].2
    );
    assert_eq!(validate(&root, true).0, 1);
}
