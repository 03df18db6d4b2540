//! The `spec-driven` workflow schema: the artifacts of a change (proposal,
//! specs, design, tasks), the order they are built in, what each one needs,
//! and the guidance an assistant gets for writing one (`openspec
//! instructions`), with the project's `config.yaml` (`context`, `rules`,
//! `operations.<apply|archive>.guidance`).
//!
//! The artifact graph follows OpenSpec 1.13.2's `spec-driven` schema: ids,
//! output paths, dependencies and build order are the same, so command
//! lines written for it (`instructions <artifact> --change <id>`) name the
//! same things. The guidance text and the templates are ours: a proposal's
//! template is the one of the change's kind (see `kind`, `templates`).
//!
//! An artifact is done when its output exists: a file (`proposal.md`,
//! `design.md`, `tasks.md`), or for `specs` any `.md` file under `specs/`.
use std::path::{Path, PathBuf};

use super::kind::Kind;
use super::templates;

/// The only schema this openspec carries.
pub const SPEC_DRIVEN: &str = "spec-driven";

/// The schema's one-line description (`schemas`).
pub const DESCRIPTION: &str =
    "OpenSpec's default workflow, for NixOS flakes - proposal → specs → design → tasks";

/// One artifact of a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Artifact {
    /// `proposal`, `specs`, `design` or `tasks`.
    pub id: &'static str,
    /// The output, relative to the change directory (`specs/**/*.md` is a glob).
    pub generates: &'static str,
    /// The template file name `templates` reports.
    pub template_file: &'static str,
    /// One line on what it is.
    pub description: &'static str,
    /// Artifacts it needs first.
    pub requires: &'static [&'static str],
    /// How to write it (ours; the kind's template adds the sections).
    pub instruction: &'static str,
}

/// The artifacts in build order.
pub const ARTIFACTS: [Artifact; 4] = [
    Artifact {
        id: "proposal",
        generates: "proposal.md",
        template_file: "proposal.md",
        description: "Initial proposal document outlining the change",
        requires: &[],
        instruction: "Write the proposal: why the change is needed and what it changes.\n\nSections:\n- **Why**: the problem or opportunity, 50 to 1000 characters.\n- **What Changes**: a bullet list; mark breaking changes with **BREAKING**.\n- **Impact**: the affected specs (capabilities), hosts, modules and flake inputs. `openspec impact <change-id>` computes the hosts a change reaches; name them here so the declared and computed scope can be compared.\n- A proposal of a pantherOS kind (hardware, module, security, host, skill) also carries the kind's four sections, as in the template.\n\nBefore naming capabilities, read the existing ones: `openspec list --specs`, then `openspec show <spec-id> --type spec --json --no-scenarios` for the related ones. Reuse an existing capability's exact id. Every capability named here needs a delta spec under specs/<capability>/spec.md, unless the change sets `skip_specs: true` in .openspec.yaml (no behaviour changes: refactors, tooling, documentation).",
    },
    Artifact {
        id: "specs",
        generates: "specs/**/*.md",
        template_file: "spec.md",
        description: "Detailed specifications for the change",
        requires: &["proposal"],
        instruction: "Write one delta spec per capability the proposal names, at specs/<capability>/spec.md.\n\nSections (only these four are applied by archive):\n- `## ADDED Requirements`: new `### Requirement: <name>` blocks.\n- `## MODIFIED Requirements`: the whole requirement as it will read, every scenario it keeps included (a dropped scenario is refused). Use the exact name from openspec/specs/<capability>/spec.md.\n- `## REMOVED Requirements`: `- `### Requirement: <name>`` with **Reason** and **Migration**.\n- `## RENAMED Requirements`: `- FROM: `### Requirement: Old`` then `- TO: `### Requirement: New``.\n\nEvery requirement has text with SHALL or MUST and at least one `#### Scenario:` with **WHEN** and **THEN** bullets. Check with `openspec validate <change-id> --strict`.",
    },
    Artifact {
        id: "design",
        generates: "design.md",
        template_file: "design.md",
        description: "Technical design document with implementation details",
        requires: &["proposal"],
        instruction: "Write design.md only when the change needs it: it crosses several modules or hosts, adds a flake input, changes the security model or data layout, or leaves open questions. Say how: context, goals and non-goals, decisions with their alternatives, risks and the rollback (previous generation, git revert), and how the affected hosts are verified (`openspec nixos-check <change-id>`).",
    },
    Artifact {
        id: "tasks",
        generates: "tasks.md",
        template_file: "tasks.md",
        description: "Implementation checklist with trackable tasks",
        requires: &["specs", "design"],
        instruction: "Write the implementation checklist. Group tasks under numbered `## N. Group` headings; each task is a checkbox line `- [ ] N.M Do it` (only `x` or `X` in the box counts as done; a line without a box is not a task). Keep tasks small and ordered by dependency, and say in each how it is checked. End with validation (`openspec validate <change-id> --strict`), verification of the affected hosts (`openspec nixos-check <change-id>`) and a rollback step.",
    },
];

/// What `instructions apply` tells when tasks remain.
pub const APPLY_INSTRUCTION: &str = "Read the context files, work through the pending tasks in order and tick each one (`- [x]`) as it is done. Build the affected hosts with `openspec nixos-check <change-id>` before the last task. Stop and ask when something is unclear or blocked.";

/// The artifact with id `id`.
pub fn artifact(id: &str) -> Option<&'static Artifact> {
    ARTIFACTS.iter().find(|a| a.id == id)
}

/// The artifact ids, in build order.
pub fn artifact_ids() -> Vec<&'static str> {
    ARTIFACTS.iter().map(|a| a.id).collect()
}

/// The artifacts that list `id` among their dependencies, in build order.
pub fn unlocks(id: &str) -> Vec<&'static str> {
    ARTIFACTS
        .iter()
        .filter(|a| a.requires.contains(&id))
        .map(|a| a.id)
        .collect()
}

/// The files of `artifact` that exist in `change_dir`, absolute, sorted
/// (for `specs`, every `.md` file below `specs/`).
pub fn existing_outputs(change_dir: &Path, artifact: &Artifact) -> Vec<PathBuf> {
    match artifact.generates.strip_suffix("/**/*.md") {
        Some(dir) => {
            let mut out: Vec<PathBuf> = walkdir::WalkDir::new(change_dir.join(dir))
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect();
            out.sort();
            out
        }
        None => {
            let p = change_dir.join(artifact.generates);
            if p.is_file() { vec![p] } else { Vec::new() }
        }
    }
}

/// Whether `artifact`'s output exists in `change_dir`.
pub fn is_done(change_dir: &Path, artifact: &Artifact) -> bool {
    !existing_outputs(change_dir, artifact).is_empty()
}

/// The template of `artifact` for a change of `kind` named `change_id`.
pub fn template(artifact: &Artifact, kind: Kind, change_id: &str) -> String {
    match artifact.id {
        "proposal" => templates::proposal(kind, change_id),
        "specs" => templates::delta_skeleton("<capability>"),
        "design" => templates::DESIGN_MD.to_string(),
        _ => templates::tasks(kind, change_id),
    }
}

/// `openspec/config.yaml`, the parts instructions use. A missing file is
/// the default; keys of other types are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectConfig {
    /// `context`: background for whoever writes an artifact.
    pub context: Option<String>,
    /// `rules.<artifact>`: constraints per artifact id.
    pub rules: Vec<(String, Vec<String>)>,
    /// `operations.apply.guidance`.
    pub apply_guidance: Vec<String>,
    /// `operations.archive.guidance`.
    pub archive_guidance: Vec<String>,
}

/// Why `config.yaml` could not be used: the file and the YAML error.
#[derive(Debug, thiserror::Error)]
#[error("{path}: not valid YAML ({message}); fix the file or remove it")]
pub struct ConfigError {
    /// The file, as given.
    pub path: String,
    /// The parser's message (it names the line).
    pub message: String,
}

impl ProjectConfig {
    /// Read `<openspec_dir>/config.yaml`; `rel` names it in errors.
    pub fn load(openspec_dir: &Path, rel: &str) -> Result<ProjectConfig, ConfigError> {
        let Ok(text) = std::fs::read_to_string(openspec_dir.join("config.yaml")) else {
            return Ok(ProjectConfig::default());
        };
        let v: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| ConfigError {
            path: rel.to_string(),
            message: e.to_string(),
        })?;
        let strings = |v: Option<&serde_yaml::Value>| -> Vec<String> {
            v.and_then(|v| v.as_sequence())
                .map(|s| {
                    s.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let guidance = |op: &str| {
            strings(
                v.get("operations")
                    .and_then(|o| o.get(op))
                    .and_then(|o| o.get("guidance")),
            )
        };
        let rules = v
            .get("rules")
            .and_then(|r| r.as_mapping())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), strings(Some(v)))))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ProjectConfig {
            context: v
                .get("context")
                .and_then(|c| c.as_str())
                .filter(|c| !c.trim().is_empty())
                .map(str::to_string),
            rules,
            apply_guidance: guidance("apply"),
            archive_guidance: guidance("archive"),
        })
    }

    /// The rules for artifact `id` (empty when none).
    pub fn rules_for(&self, id: &str) -> &[String] {
        self.rules
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_matches_the_build_order() {
        assert_eq!(artifact_ids(), ["proposal", "specs", "design", "tasks"]);
        assert_eq!(unlocks("proposal"), ["specs", "design"]);
        assert_eq!(unlocks("design"), ["tasks"]);
        assert!(unlocks("tasks").is_empty());
        // Every dependency comes earlier in the order.
        for (i, a) in ARTIFACTS.iter().enumerate() {
            for r in a.requires {
                assert!(ARTIFACTS[..i].iter().any(|b| b.id == *r), "{}", a.id);
            }
        }
    }

    #[test]
    fn outputs_and_config() {
        let t = tempfile::tempdir().unwrap();
        let specs = artifact("specs").unwrap();
        assert!(!is_done(t.path(), specs));
        std::fs::create_dir_all(t.path().join("specs/a/b")).unwrap();
        std::fs::write(t.path().join("specs/a/b/spec.md"), "x").unwrap();
        std::fs::write(t.path().join("specs/a/notes.txt"), "x").unwrap();
        assert_eq!(existing_outputs(t.path(), specs).len(), 1);
        std::fs::write(
            t.path().join("config.yaml"),
            "schema: spec-driven\ncontext: |\n  NixOS.\nrules:\n  proposal:\n    - Name hosts\noperations:\n  archive:\n    guidance: [Summarize]\n",
        )
        .unwrap();
        let c = ProjectConfig::load(t.path(), "openspec/config.yaml").unwrap();
        assert_eq!(c.context.as_deref(), Some("NixOS.\n"));
        assert_eq!(c.rules_for("proposal"), ["Name hosts"]);
        assert!(c.rules_for("tasks").is_empty());
        assert_eq!(c.archive_guidance, ["Summarize"]);
        std::fs::write(t.path().join("config.yaml"), "rules: [\n").unwrap();
        let e = ProjectConfig::load(t.path(), "openspec/config.yaml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("openspec/config.yaml: not valid YAML")
        );
    }
}
