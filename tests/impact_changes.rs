//! Each proposal's impact from both sources (`impact <change-id>`): the
//! paths its proposal declares and the files its commits touch since its
//! recorded base, the differences between them; and every active change at
//! once with the pairs that overlap (`impact --changes`). Real git
//! repositories, the real binary.
mod repo_support;

use repo_support::{git, json, openspec, strings, write};

const FLAKE: &str = r#"{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/laptop/default.nix ]; };
    nixosConfigurations.server = nixpkgs.lib.nixosSystem { modules = [ ./hosts/server/default.nix ]; };
  };
}
"#;

fn proposal(impact: &str) -> String {
    format!(
        "# Change: x\n\n## Why\nBecause it matters a great deal.\n\n## What Changes\n- something\n\n{impact}"
    )
}

/// A repository with two hosts sharing nothing but `modules/common.nix`
/// (laptop) and `modules/ssh.nix` (server), and three changes.
fn repo() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = t.path();
    write(root, "flake.nix", FLAKE);
    write(
        root,
        "hosts/laptop/default.nix",
        "{ imports = [ ../../modules/common.nix ]; }\n",
    );
    write(
        root,
        "hosts/server/default.nix",
        "{ imports = [ ../../modules/ssh.nix ]; }\n",
    );
    write(root, "modules/common.nix", "{ }\n");
    write(root, "modules/ssh.nix", "{ }\n");
    write(root, "modules/old.nix", "{ }\n");
    write(root, "openspec/specs/.keep", "");
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "c0"]);
    git(root, &["rm", "-q", "modules/old.nix"]);
    git(root, &["commit", "-qm", "old.nix goes"]);
    // Declares the laptop's module, a file that no longer exists, and a new host.
    write(
        root,
        "openspec/changes/laptop-tweak/proposal.md",
        &proposal(
            "## Impact\n- Modified: `modules/common.nix`\n- Removed: modules/old.nix\n- New: `hosts/desktop/default.nix`\n",
        ),
    );
    write(
        root,
        "openspec/changes/laptop-tweak/tasks.md",
        "- [ ] edit `hosts/laptop/default.nix`\n",
    );
    write(
        root,
        "openspec/changes/laptop-tweak/specs/desktop/spec.md",
        "## ADDED Requirements\n### Requirement: Quiet  fans\nThe laptop SHALL be quiet.\n\n#### Scenario: idle\n- **WHEN** idle\n- **THEN** quiet\n",
    );
    // Declares the server's module.
    write(
        root,
        "openspec/changes/harden/proposal.md",
        &proposal("## Impact\n- Affected code: modules/ssh.nix and modules/common.nix\n"),
    );
    write(
        root,
        "openspec/changes/harden/specs/desktop/spec.md",
        "## MODIFIED Requirements\n### Requirement: Quiet fans\nThe laptop SHALL be quieter.\n\n#### Scenario: idle\n- **WHEN** idle\n- **THEN** quieter\n",
    );
    // Declares nothing at all.
    write(
        root,
        "openspec/changes/notes-only/proposal.md",
        &proposal(""),
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "proposals"]);
    t
}

#[test]
fn a_change_without_a_base_answers_from_its_declared_scope() {
    let t = repo();
    let root = t.path();
    let out = openspec(root, &["impact", "laptop-tweak", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    assert_eq!(strings(&doc["affected_hosts"]), ["laptop"]);
    let change = &doc["change"];
    assert!(change["computed"].is_null());
    let status = |p: &str| {
        change["declared"]["paths"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["path"] == p))
            .map(|x| (x["status"].clone(), x["named_at"].clone()))
            .unwrap_or_else(|| panic!("{p} is declared: {change:#}"))
    };
    assert_eq!(status("modules/common.nix").0, "file");
    assert_eq!(status("modules/old.nix").0, "no-longer-exists");
    assert_eq!(status("hosts/desktop/default.nix").0, "new");
    assert_eq!(status("hosts/laptop/default.nix").1, "tasks.md:1");
    assert_eq!(strings(&change["declared"]["new_hosts"]), ["desktop"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no base revision is recorded"));
    // Text says where each path was named and what it is.
    let text =
        String::from_utf8_lossy(&openspec(root, &["impact", "laptop-tweak"]).stdout).into_owned();
    assert!(
        text.contains("modules/old.nix (no longer exists, proposal.md:"),
        "{text}"
    );
}

#[test]
fn a_change_with_neither_source_says_so() {
    let t = repo();
    let out = openspec(t.path(), &["impact", "notes-only", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing to compute") && err.contains("## Impact"),
        "{err}"
    );
    assert!(json(&out)["change"]["note"].is_string());
}

#[test]
fn declared_and_computed_are_compared() {
    let t = repo();
    let root = t.path();
    let base = git(root, &["rev-parse", "HEAD"]);
    write(
        root,
        "openspec/changes/harden/tracking.json",
        &format!(
            "{{\"kind\":\"change\",\"state\":\"proposed\",\"created\":\"2026-11-30\",\"base_revision\":\"{base}\"}}\n"
        ),
    );
    // The implementation edits the declared module and one it did not declare.
    write(
        root,
        "modules/ssh.nix",
        "{ services.openssh.enable = true; }\n",
    );
    write(
        root,
        "hosts/server/default.nix",
        "{ imports = [ ../../modules/ssh.nix ]; networking.hostName = \"s\"; }\n",
    );
    let out = openspec(root, &["impact", "harden", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let change = &doc["change"];
    assert_eq!(change["computed"]["base"], base.as_str());
    assert_eq!(
        strings(&change["touched_not_declared"]),
        ["hosts/server/default.nix"]
    );
    assert_eq!(
        strings(&change["declared_not_touched"]),
        ["modules/common.nix"]
    );
    assert_eq!(strings(&change["hosts_not_touched"]), ["laptop"]);
    assert!(strings(&change["hosts_not_declared"]).is_empty());
    // The answer is the union: the laptop from the declaration, the server from both.
    assert_eq!(strings(&doc["affected_hosts"]), ["laptop", "server"]);
}

#[test]
fn every_change_at_once_with_its_overlaps() {
    let t = repo();
    let out = openspec(t.path(), &["impact", "--changes", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let ids: Vec<String> = doc["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids, ["harden", "laptop-tweak", "notes-only"]);
    let overlaps = doc["overlaps"].as_array().cloned().unwrap_or_default();
    assert_eq!(overlaps.len(), 1, "{doc:#}");
    let o = &overlaps[0];
    assert_eq!(
        (o["a"].as_str(), o["b"].as_str()),
        (Some("harden"), Some("laptop-tweak"))
    );
    assert_eq!(strings(&o["files"]), ["modules/common.nix"]);
    assert_eq!(strings(&o["hosts"]), ["laptop"]);
    assert_eq!(strings(&o["requirements"]), ["desktop: quiet fans"]);
    let text =
        String::from_utf8_lossy(&openspec(t.path(), &["impact", "--changes"]).stdout).into_owned();
    assert!(
        text.contains("harden and laptop-tweak: files modules/common.nix"),
        "{text}"
    );
}
