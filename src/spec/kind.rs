//! pantherOS proposal kinds: the sections each kind's proposal must carry.
//!
//! The rule: every proposal has `## Why`, `## What Changes` and `## Impact`;
//! a proposal of a kind other than `change` also has that kind's four
//! sections, listed in the constants below (titles matched without regard
//! to ASCII case). The first heading reads `# <prefix>: <title>` with the
//! kind's [`Kind::heading_prefix`]. Hardware changes belong to phase 1,
//! module changes to phase 2, host changes to phase 3 by default.
//! Missing or still-template sections are warnings (`--strict` fails them).
use serde::{Deserialize, Serialize};

/// The kind of a proposal (lower-case in JSON, YAML and on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Any change: only the common sections.
    Change,
    /// Hardware configuration, devices, disk layout.
    Hardware,
    /// A module's interface (options, organisation).
    Module,
    /// The security model.
    Security,
    /// One host's configuration.
    Host,
    /// An assistant skill.
    Skill,
}

/// A kind's own section: its title and the template's guidance bullets.
pub struct KindSection {
    /// The `##` title.
    pub title: &'static str,
    /// Guidance bullets the template writes under it (a section that holds
    /// only these still counts as unfilled).
    pub bullets: &'static [&'static str],
}

const fn s(title: &'static str, bullets: &'static [&'static str]) -> KindSection {
    KindSection { title, bullets }
}

const HARDWARE: &[KindSection] = &[
    s(
        "Current State",
        &[
            "Existing hardware configuration",
            "Current limitations",
            "Performance issues",
        ],
    ),
    s(
        "Proposed Changes",
        &[
            "Hardware modifications",
            "New device support",
            "Optimization strategies",
        ],
    ),
    s(
        "Impact Analysis",
        &[
            "Affected hosts",
            "Configuration changes required",
            "Testing procedures",
        ],
    ),
    s(
        "Implementation Plan",
        &[
            "Step-by-step implementation",
            "Rollback procedures",
            "Testing requirements",
        ],
    ),
];

const MODULE: &[KindSection] = &[
    s(
        "Current Interface",
        &[
            "Existing module structure",
            "Current options and types",
            "Usage patterns",
        ],
    ),
    s(
        "Proposed Interface",
        &[
            "New module organization",
            "Updated options",
            "Breaking changes",
        ],
    ),
    s(
        "Migration Path",
        &[
            "Compatibility requirements",
            "Migration procedures",
            "Deprecation timeline",
        ],
    ),
    s(
        "Testing Requirements",
        &[
            "Interface validation",
            "Backward compatibility",
            "Integration testing",
        ],
    ),
];

const SECURITY: &[KindSection] = &[
    s(
        "Current Security Model",
        &[
            "Existing security measures",
            "Current threat model",
            "Access control patterns",
        ],
    ),
    s(
        "Proposed Security Changes",
        &[
            "New security measures",
            "Updated threat model",
            "Access control modifications",
        ],
    ),
    s(
        "Risk Assessment",
        &[
            "Security implications",
            "Attack surface changes",
            "Mitigation strategies",
        ],
    ),
    s(
        "Implementation Requirements",
        &[
            "Security testing",
            "Compliance validation",
            "Monitoring requirements",
        ],
    ),
];

const HOST: &[KindSection] = &[
    s(
        "Current Configuration",
        &[
            "Existing host configuration",
            "Hardware and modules in use",
            "Known issues",
        ],
    ),
    s(
        "Proposed Configuration",
        &[
            "Configuration changes",
            "Modules enabled or disabled",
            "Host-specific settings",
        ],
    ),
    s(
        "Affected Hosts",
        &[
            "Hosts changed by this proposal",
            "Shared modules touched",
            "Expected closure changes",
        ],
    ),
    s(
        "Deployment Plan",
        &[
            "Build and switch procedure",
            "Rollback procedures",
            "Verification on the running host",
        ],
    ),
];

const SKILL: &[KindSection] = &[
    s(
        "Skill Purpose",
        &[
            "Problem the skill solves",
            "Who invokes it",
            "Expected outcome",
        ],
    ),
    s(
        "Skill Interface",
        &["Inputs and outputs", "Commands or triggers", "Dependencies"],
    ),
    s(
        "Integration Points",
        &[
            "Workflows it joins",
            "Agents that call it",
            "External services",
        ],
    ),
    s(
        "Testing Requirements",
        &[
            "Interface validation",
            "Failure handling",
            "Integration testing",
        ],
    ),
];

impl Kind {
    /// Every kind, in the order above.
    pub const ALL: [Kind; 6] = [
        Kind::Change,
        Kind::Hardware,
        Kind::Module,
        Kind::Security,
        Kind::Host,
        Kind::Skill,
    ];

    /// The kind named exactly `s` (lower case, as [`Kind::as_str`] gives it).
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Change => "change",
            Kind::Hardware => "hardware",
            Kind::Module => "module",
            Kind::Security => "security",
            Kind::Host => "host",
            Kind::Skill => "skill",
        }
    }

    /// The proposal's first heading: `# <prefix>: <title>`.
    pub fn heading_prefix(self) -> &'static str {
        match self {
            Kind::Change => "Change",
            Kind::Hardware => "Hardware Change",
            Kind::Module => "Module Interface",
            Kind::Security => "Security Model",
            Kind::Host => "Host Configuration",
            Kind::Skill => "Skill",
        }
    }

    /// The kind's own required sections, in template order (none for `change`).
    pub fn sections(self) -> &'static [KindSection] {
        match self {
            Kind::Change => &[],
            Kind::Hardware => HARDWARE,
            Kind::Module => MODULE,
            Kind::Security => SECURITY,
            Kind::Host => HOST,
            Kind::Skill => SKILL,
        }
    }

    /// The pantherOS phase a kind belongs to by default: hardware 1,
    /// module 2, host 3, the others none.
    pub fn default_phase(self) -> Option<u8> {
        match self {
            Kind::Hardware => Some(1),
            Kind::Module => Some(2),
            Kind::Host => Some(3),
            _ => None,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
