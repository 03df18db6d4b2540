//! Files `init` and `new` write. Proposals carry the common Why / What
//! Changes / Impact sections and, per kind, the kind's own sections (see
//! `kind`), filled with guidance that [`is_placeholder`] recognises as
//! unfilled.
use super::kind::{Kind, KindSection};

/// `openspec/config.yaml` as `init` writes it (schema `spec-driven`).
pub const CONFIG_YAML: &str = "schema: spec-driven\n\n# Project context shown to assistants writing proposals.\ncontext: |\n  NixOS flake repository managed with openspec.\n\n# Per-artifact rules, for example:\n# rules:\n#   proposal:\n#     - Name the affected hosts in Impact.\n";

/// `openspec/project.md` as `init` writes it.
pub const PROJECT_MD: &str = "# Project Context\n\n## Purpose\n<!-- What this repository is for. -->\n\n## Conventions\n<!-- Module layout, naming, how hosts are declared. -->\n";

const WHY_HINT: &str =
    "<!-- Why is this change needed? The problem or opportunity, 50 to 1000 characters. -->";
const WHAT_HINT: &str = "<!-- Bullet list of changes; mark breaking ones with **BREAKING**. -->";
/// Names the convention `validate` checks the computed impact against
/// (`impact::undeclared`); it holds no host name, path or category name
/// outside the comment, so an unfilled section names nothing.
const IMPACT_HINT: &str = "<!-- Affected specs, hosts, modules and code. Name every host the change affects by its attribute name (or write `all hosts`), and its categories: architecture, breaking, security-model, performance, new-capability, hardware, module-interface, host-configuration. For example:\n- Hosts: <host>, <host>\n- Categories: <category>, <category>\n- Modified: <path>\nOnce a base revision is recorded, `openspec validate` warns about affected hosts and categories computed from the diff that are not named here. -->";

fn bullets(section: &KindSection) -> String {
    section
        .bullets
        .iter()
        .map(|b| format!("- {b}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a section body still says only what the template said: empty
/// once HTML comments are removed, or exactly the guidance bullets of a kind
/// section titled `section_title` (lines trimmed, blank lines ignored).
pub fn is_placeholder(section_title: &str, body: &str) -> bool {
    let stripped = strip_comments(body);
    if stripped.trim().is_empty() {
        return true;
    }
    Kind::ALL
        .iter()
        .flat_map(|k| k.sections())
        .filter(|s| s.title.eq_ignore_ascii_case(section_title.trim()))
        .any(|s| normalise(&stripped) == normalise(&bullets(s)))
}

fn normalise(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        match rest[i..].find("-->") {
            Some(j) => rest = &rest[i + j + 3..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// A new `proposal.md`: `# <prefix>: <title>`, then Why, What Changes, the
/// kind's sections with their bullets, and Impact.
pub fn proposal(kind: Kind, title: &str) -> String {
    let mut out = format!(
        "# {}: {title}\n\n## Why\n{WHY_HINT}\n\n## What Changes\n{WHAT_HINT}\n",
        kind.heading_prefix()
    );
    for section in kind.sections() {
        out.push_str(&format!("\n## {}\n{}\n", section.title, bullets(section)));
    }
    out.push_str(&format!("\n## Impact\n{IMPACT_HINT}\n"));
    out
}

/// A new `tasks.md`: implementation steps for the kind, a testing group that
/// runs `openspec validate <id> --strict` and `openspec nixos-check <id>`,
/// and a rollback group.
pub fn tasks(kind: Kind, id: &str) -> String {
    let build = match kind {
        Kind::Hardware => {
            "- [ ] 1.1 Update the hardware configuration and disk layout\n- [ ] 1.2 Record the hardware report for the affected hosts\n"
        }
        Kind::Module => {
            "- [ ] 1.1 Implement the new module interface\n- [ ] 1.2 Migrate every host that uses the old options\n"
        }
        Kind::Security => {
            "- [ ] 1.1 Implement the security measures\n- [ ] 1.2 Review access control and secrets handling\n"
        }
        Kind::Host => {
            "- [ ] 1.1 Change the host configuration\n- [ ] 1.2 Update the host's hardware and disk modules if needed\n"
        }
        Kind::Skill => {
            "- [ ] 1.1 Implement the skill and its interface\n- [ ] 1.2 Wire the skill into its workflows\n"
        }
        Kind::Change => "- [ ] 1.1 Implement the change\n",
    };
    format!(
        "## 1. Implementation\n{build}\n## 2. Testing\n- [ ] 2.1 Run `openspec validate {id} --strict`\n- [ ] 2.2 Run `openspec nixos-check {id}` on the affected hosts\n\n## 3. Rollback\n- [ ] 3.1 Describe how to roll back (git revert, previous generation) and test it on one host\n"
    )
}

/// The placeholders of [`delta_skeleton`]: a delta still holding one of them
/// was never written, and archive refuses to merge it into the specs.
pub const DELTA_PLACEHOLDERS: [&str; 4] = [
    "<describe the behaviour>",
    "<name the situation>",
    "<a condition>",
    "<the expected result>",
];

/// A new `design.md` (the `design` artifact's template).
pub const DESIGN_MD: &str = "# Design\n\n## Context\n<!-- The current state: hosts, modules and inputs involved. -->\n\n## Goals / Non-Goals\n<!-- What this design achieves, and what it leaves out. -->\n\n## Decisions\n<!-- Each decision with the alternatives considered and why. -->\n\n## Risks / Trade-offs\n<!-- What could break, on which hosts, and how it is mitigated. -->\n\n## Rollback and verification\n<!-- How to roll back (previous generation, git revert) and how the affected hosts are checked (`openspec nixos-check`). -->\n";

/// A delta spec skeleton for capability `cap`.
pub fn delta_skeleton(cap: &str) -> String {
    let [behaviour, situation, condition, result] = DELTA_PLACEHOLDERS;
    format!(
        "## ADDED Requirements\n### Requirement: {cap} behaviour\nThe system SHALL {behaviour}.\n\n#### Scenario: {situation}\n- **WHEN** {condition}\n- **THEN** {result}\n"
    )
}

/// The retrospective sections of an emergency proposal, which must be
/// filled before the change is archived (the pantherOS emergency procedure:
/// document retroactively, schedule a post-incident review).
pub const POST_INCIDENT_SECTIONS: [&str; 3] = ["What Happened", "What Was Changed", "Follow-ups"];

/// The proposal of `openspec emergency`: the reason as its Why, and the
/// post-incident sections to fill.
pub fn emergency_proposal(title: &str, kind: &str, reason: &str) -> String {
    let [happened, changed, follow] = POST_INCIDENT_SECTIONS;
    format!(
        "# Emergency: {title}\n\n## Why\nEmergency fix ({kind} incident): {reason}\n\n## What Changes\n<!-- Bullet list of the changes made during the incident. -->\n\n## {happened}\n<!-- Timeline: what was seen, when, which hosts. -->\n\n## {changed}\n<!-- The fix as made: files, options, hosts, revisions. -->\n\n## {follow}\n<!-- What must still be done: proper fix, monitoring, procedure updates, lessons learned. -->\n\n## Impact\n{IMPACT_HINT}\n"
    )
}

/// A new `.openspec.yaml`: only `schema: spec-driven` and `created` (the
/// date given); openspec's own per-change state goes to `tracking.json`.
pub fn openspec_yaml(created: &str) -> String {
    format!("schema: spec-driven\ncreated: {created}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::doc::Doc;
    use crate::spec::parse::parse_proposal;

    #[test]
    fn every_kind_template_has_its_sections_as_placeholders() {
        for kind in Kind::ALL {
            let p = parse_proposal(&Doc::parse(&proposal(kind, "T")));
            assert_eq!(p.title.as_deref(), Some("T"));
            for name in ["Why", "What Changes", "Impact"]
                .into_iter()
                .chain(kind.sections().iter().map(|s| s.title))
            {
                let s = p.section(name).unwrap_or_else(|| panic!("{kind}: {name}"));
                assert!(is_placeholder(name, &s.body), "{kind}: {name}");
            }
        }
        assert!(!is_placeholder(
            "Risk Assessment",
            "- Root login over SSH is removed"
        ));
    }
}
