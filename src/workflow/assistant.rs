//! Assistant command files: the pantherOS process's `/spec-gen`,
//! `/code-impl`, `/nixos-check`, `/openspec-archive` and one review command
//! per role, for Claude Code (`.claude/commands/openspec/<name>.md`) and
//! OpenCode (`.opencode/command/<name>.md`). Each tells the assistant the
//! steps of its stage, the exact `openspec` command lines with their exit
//! codes, the gate it must respect and what to report back.
//!
//! Our text sits between [`START`] and [`END`]; everything outside them is
//! the user's and is kept. OpenSpec's own blocks (`<!-- OPENSPEC:START -->`)
//! and its files (`.claude/commands/opsx/`, `.opencode/commands/`,
//! `.claude/commands/openspec/{proposal,apply,archive}.md`) use other names
//! and markers, so both live side by side.
use std::path::{Path, PathBuf};

use super::lifecycle::Role;

/// Opens our block in a command file.
pub const START: &str = "<!-- OPENSPEC-NIXOS:START -->";
/// Closes our block in a command file.
pub const END: &str = "<!-- OPENSPEC-NIXOS:END -->";

/// An assistant that reads command files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Claude,
    Opencode,
}

impl Tool {
    pub const ALL: [Tool; 2] = [Tool::Claude, Tool::Opencode];

    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Claude => "claude",
            Tool::Opencode => "opencode",
        }
    }

    /// The directory of the tool's command files, relative to the root.
    pub fn dir(self) -> &'static str {
        match self {
            Tool::Claude => ".claude/commands/openspec",
            Tool::Opencode => ".opencode/command",
        }
    }
}

/// `--tools` of `init`: `none`, `all`, or a comma-separated list of
/// `claude`, `opencode`.
pub fn parse_tools(s: &str) -> Result<Vec<Tool>, String> {
    let mut out = vec![];
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part {
            "none" => {}
            "all" => out.extend(Tool::ALL),
            "claude" => out.push(Tool::Claude),
            "opencode" => out.push(Tool::Opencode),
            other => {
                return Err(format!(
                    "--tools: unknown tool {other:?}; use claude, opencode, all or none (comma-separated)"
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// One command file of one tool.
#[derive(Debug, Clone)]
pub struct CommandFile {
    pub tool: Tool,
    /// Command name, also the file name without `.md`.
    pub name: String,
    pub description: String,
    /// The text between the markers (markers excluded).
    pub body: String,
}

impl CommandFile {
    /// Path relative to the repository root.
    pub fn rel(&self) -> String {
        format!("{}/{}.md", self.tool.dir(), self.name)
    }

    fn frontmatter(&self) -> String {
        match self.tool {
            Tool::Claude => format!(
                "---\nname: openspec {}\ndescription: {}\ncategory: openspec\ntags: [openspec, nixos, {}]\n---\n",
                self.name, self.description, self.name
            ),
            Tool::Opencode => format!(
                "---\nagent: build\ndescription: {}\n---\n",
                self.description
            ),
        }
    }

    /// The whole file as first written.
    pub fn new_text(&self) -> String {
        format!("{}{}", self.frontmatter(), self.block())
    }

    /// Our block, markers included, ending in a newline.
    pub fn block(&self) -> String {
        format!("{START}\n{}{END}\n", self.body)
    }
}

/// A review command's name: `review-<role>`.
pub fn review_name(role: Role) -> String {
    format!("review-{}", role.as_str())
}

const COMMON: &str = "The change id is the argument: `$ARGUMENTS`. Below it is written `<id>`.\nRun the command lines exactly as written (with `<id>` replaced); `--json` prints one JSON document on stdout, also on failure. Exit codes: 0 ok, 1 refused or invalid (read the message and the JSON), 2 usage or environment (no repository, no git, no Nix).\n\n";

fn spec_gen() -> (String, String) {
    ("Create an OpenSpec change proposal for this NixOS flake (pantherOS process, stage 1).".into(),
     format!("{COMMON}**Steps**
1. Create the change from the template of its kind (change, hardware, module, security, host, skill); pick the kind that fits, `change` when unsure:
   ```sh
   openspec new <id> --kind change --json   # exit 0: created; exit 1: the id exists, pick another
   ```
2. Fill in `openspec/changes/<id>/proposal.md`: Why, What Changes, the kind's sections, and `## Impact` with the repository paths the change will touch (hosts, modules, `flake.nix`, `flake.lock`) and its categories (architecture, breaking, security-model, performance, new-capability). Replace every `<!-- … -->` guidance comment.
3. Write the tasks in `tasks.md` as `- [ ] N.M text` lines, and the requirements in `specs/<capability>/spec.md` (replace every `<…>` placeholder: archive refuses them).
4. Check the declared scope and the format:
   ```sh
   openspec impact <id> --json                # exit 0: hosts and categories of the paths in ## Impact; exit 1: ## Impact names no path yet, add them
   openspec validate <id> --strict --json     # exit 0: valid; exit 1: fix each issue listed
   openspec status <id> --json                # exit 0: read reviews.required and next_step
   ```

**Gate**: none to create a proposal; nothing is implemented at this stage. Do not edit files outside `openspec/changes/<id>/`.

**Report back**: the change id and its path, the declared hosts and categories (`impact`), the validation result, and the reviews `status` says are required (`reviews.required[].role` with `reason`), with the next step (`next_step`).
"))
}

fn review(role: Role) -> (String, String) {
    let (who, checks) = match role {
        Role::Librarian => (
            "Librarian: technical feasibility against the flake and its inputs",
            "- Every path the proposal names exists or is clearly new; the hosts it names exist (`openspec hosts --json`).
- The options and modules it relies on come from the flake's inputs as locked in `flake.lock` (versions, `follows`), and the inputs it adds or changes are reachable and pinned.
- The computed impact (`openspec impact <id> --json`: `affected_hosts`, `categories`) matches what the proposal declares; tasks are concrete and in a buildable order; a rollback is described.",
        ),
        Role::Architect => (
            "Architect: architectural alignment and impact",
            "- The change follows the repository's structure: hosts under `hosts/`, modules gated by `options.<ns>.<x>.enable`, aggregators' imports, the phase (1 hardware, 2 module interface, 3 host configuration).
- The impact is understood: affected hosts and modules, cross-host dependencies, whether it is `breaking` (removed or renamed options, removed hosts or inputs, `system.stateVersion`).
- For a breaking change the approval MUST carry the impact assessment in `--note` (who must migrate, how, and the rollback); the gate refuses an approval without it.",
        ),
        Role::Security => (
            "Security: the security categories and the host security diff",
            "- The `security-model` category and what triggers it (`openspec impact <id> --json`: `categories`, changed files under firewall, openssh, `security.*`, users and keys, secrets tooling, kernel parameters).
- The evaluated security diff per affected host against the base (`openspec nixos-check <id> --eval-only --json`: each host's `security`): opened ports, password login, users added to wheel, a disabled firewall are loosenings and need a stated reason in the proposal.
- Secrets are never committed in clear; access control and the threat model in the proposal match the change.",
        ),
        Role::Reviewer => (
            "Reviewer: implementation quality",
            "- The implementation follows the specification and the tasks exactly; deviations are documented in the proposal or design.
- Every task is done (`openspec status <id> --json`: `tasks`), the changed files match the declared impact (`impact.hosts_not_declared` is empty or explained), the module structure and options follow the repository's patterns.
- The verification passed on every affected host (`status`: `verification`, state `verified`).",
        ),
    };
    let r = role.as_str();
    (
        format!("Review an OpenSpec change as the {r} (pantherOS process, stage 2)."),
        format!("{COMMON}You review as **{who}**.

**Steps**
1. Read the change and its state:
   ```sh
   openspec status <id> --json                    # exit 0: state, reviews (required, given, stale), tasks, impact, next_step
   openspec show <id> --json --deltas-only        # exit 0: the requirements the change adds, modifies, removes
   openspec impact <id> --json                    # exit 0: affected hosts, modules and categories; exit 1: the proposal declares nothing yet (request changes)
   ```
2. Check, as the {r}:
{checks}
3. Record your verdict with a note saying what you checked and found:
   ```sh
   openspec review <id> --role {r} --approve --note \"TEXT\" --json            # exit 0: recorded; read state and gate.missing
   openspec review <id> --role {r} --request-changes --note \"TEXT\" --json    # exit 0: recorded; the change goes back to in-review
   ```
   Exit 1 means the change cannot be reviewed (archived, no tracking file): report that.

**Gate**: an approval holds only for the proposal as it is now; any later edit of proposal.md, design.md or the delta specs makes it stale and it must be given again. Approve only what you checked.

**Report back**: your verdict, the note you recorded, the change's state after it, and what is still missing (`gate.missing`).
"),
    )
}

fn code_impl() -> (String, String) {
    ("Implement an approved OpenSpec change (pantherOS process, stage 4).".into(),
     format!("{COMMON}**Steps**
1. Check the gate, then start: this records the base revision and moves the change to `implementing`:
   ```sh
   openspec status <id> --json       # exit 0: reviews.approved must be true
   openspec code-impl <id> --json    # exit 0: started, prints the tasks in order; exit 1: not approved, stop
   ```
   If `code-impl` exits 1, STOP: report the missing reviews (`gate.missing` in the JSON). Only when the user explicitly tells you to start without approval, run `openspec code-impl <id> --force --reason \"TEXT\" --json` with their reason (it is recorded).
2. Work through the tasks in the order printed, keeping edits within the declared impact. After each task, mark it `- [x]` in `openspec/changes/<id>/tasks.md`.
3. Check progress and scope as you go:
   ```sh
   openspec status <id> --json                 # exit 0: tasks.completed of tasks.total; impact.hosts_not_declared
   openspec validate <id> --strict --json      # exit 0: valid; exit 1: fix each issue listed
   ```

**Gate**: never implement a change that is not approved; never edit the proposal's requirements to fit the implementation without asking (it makes approvals stale). A new `security-model` category found in your edits requires a security review before archive.

**Report back**: the tasks done and left, the files changed, any deviation from the specification, and that the next stage is the verification (`/nixos-check`).
"))
}

fn nixos_check() -> (String, String) {
    ("Verify an OpenSpec change by evaluating and building the affected NixOS hosts (pantherOS process, stage 5).".into(),
     format!("{COMMON}**Steps**
1. Evaluate and build every host the change affects, compared with its base revision:
   ```sh
   openspec nixos-check <id> --json    # exit 0: every host built, the change becomes verified; exit 1: a host failed (see hosts[].status, error, log); exit 2: no Nix or unreadable flake
   ```
2. Confirm the recorded result:
   ```sh
   openspec status <id> --json         # exit 0: state verified, verification holds the counts
   ```
3. Read per host the `security` diff (any loosening needs a security review) and the closure size change.

**Gate**: a change is verified only when every affected host built; fix failures and run the check again. Do not archive an unverified change.

**Report back**: per host its status, build time, security findings and closure change; the change's state after the check; the logs of failed hosts (`hosts[].log`).
"))
}

fn archive() -> (String, String) {
    ("Archive a verified OpenSpec change and merge its deltas into the specs (pantherOS process, stage 6).".into(),
     format!("{COMMON}**Steps**
1. Check that it may be archived:
   ```sh
   openspec status <id> --json                                  # exit 0: state must be verified (or emergency with next_step archive)
   openspec validate <id> --strict --json                       # exit 0: valid; exit 1: fix each issue listed
   ```
2. Archive it with the lessons learned (one line):
   ```sh
   openspec archive <id> --yes --lessons \"TEXT\" --json          # exit 0: merged and moved to openspec/changes/archive/; exit 1: refused, the message lists why
   ```
   An exit 1 names what is missing (not verified, a stale or missing review, placeholder text in a delta, an emergency's post-incident review): report it, do not work around it.

**Gate**: only verified changes (and emergencies after their post-incident review) are archived; delta specs must hold real requirements.

**Report back**: the archive path, the specs created or updated with their counts, and the lessons recorded.
"))
}

/// Every command file of `tool`, in lifecycle order.
pub fn files(tool: Tool) -> Vec<CommandFile> {
    let mut out = vec![];
    let mut push = |name: String, (description, body): (String, String)| {
        out.push(CommandFile {
            tool,
            name,
            description,
            body,
        })
    };
    push("spec-gen".into(), spec_gen());
    for role in Role::ALL {
        push(review_name(role), review(role));
    }
    push("code-impl".into(), code_impl());
    push("nixos-check".into(), nixos_check());
    push("openspec-archive".into(), archive());
    out
}

/// A command file whose markers are broken: nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    #[error("{path}:{line}: {what}; fix the {START} / {END} markers by hand (nothing was written)")]
    Markers {
        path: String,
        line: usize,
        what: String,
    },
    #[error("{path}: {source}; nothing was written")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// `existing` with our block replaced by `file`'s (or appended when it has
/// none); `None` when `existing` is `None` (write the whole new file).
pub fn merge(path: &str, existing: &str, file: &CommandFile) -> Result<String, AssistantError> {
    let find = |m: &str| -> Vec<usize> {
        existing
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == m)
            .map(|(i, _)| i)
            .collect()
    };
    let (starts, ends) = (find(START), find(END));
    let bad = |line: usize, what: &str| AssistantError::Markers {
        path: path.into(),
        line: line + 1,
        what: what.into(),
    };
    match (starts.as_slice(), ends.as_slice()) {
        ([], []) => {
            let mut out = existing.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&file.block());
            Ok(out)
        }
        ([s], [e]) if s < e => {
            let lines: Vec<&str> = existing.split_inclusive('\n').collect();
            let mut out: String = lines[..*s].concat();
            out.push_str(&file.block());
            out.push_str(&lines[e + 1..].concat());
            Ok(out)
        }
        ([s], [e]) => Err(bad(
            *e,
            &format!("{END} comes before {START} (line {})", s + 1),
        )),
        ([s, second, ..], _) => Err(bad(
            *second,
            &format!("a second {START} (the first is on line {})", s + 1),
        )),
        (_, [e, second, ..]) => Err(bad(
            *second,
            &format!("a second {END} (the first is on line {})", e + 1),
        )),
        ([s], []) => Err(bad(*s, &format!("{START} without {END}"))),
        ([], [e]) => Err(bad(*e, &format!("{END} without {START}"))),
    }
}

/// What writing one file does.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Planned {
    /// Relative to the root.
    pub path: String,
    /// `created`, `updated` or `unchanged`.
    pub action: &'static str,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// The files of `tools` under `root` with their new contents, computed
/// before anything is written; broken markers in any file fail the whole plan.
pub fn plan(root: &Path, tools: &[Tool]) -> Result<Vec<Planned>, AssistantError> {
    let mut out = vec![];
    for &tool in tools {
        for f in files(tool) {
            let rel = f.rel();
            let path = root.join(&rel);
            let (text, action) = match std::fs::read(&path) {
                Ok(bytes) => {
                    let old = String::from_utf8(bytes).map_err(|_| AssistantError::Io {
                        path: rel.clone(),
                        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"),
                    })?;
                    let new = merge(&rel, &old, &f)?;
                    let action = if new == old { "unchanged" } else { "updated" };
                    (new, action)
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (f.new_text(), "created"),
                Err(source) => return Err(AssistantError::Io { path: rel, source }),
            };
            out.push(Planned {
                path: rel,
                action,
                bytes: text.into_bytes(),
            });
        }
    }
    Ok(out)
}

/// The tools that already have at least one of our command files under `root`.
pub fn installed(root: &Path) -> Vec<Tool> {
    Tool::ALL
        .into_iter()
        .filter(|&t| files(t).iter().any(|f| root.join(f.rel()).is_file()))
        .collect()
}

/// Write `planned` all or nothing: every new content is first written to a
/// temporary file beside its target; only when all are written are they
/// renamed into place. A failure before the renames leaves every file as it was.
pub fn write(root: &Path, planned: &[Planned]) -> Result<(), AssistantError> {
    let io = |p: &Path, source| AssistantError::Io {
        path: p.display().to_string(),
        source,
    };
    let mut staged: Vec<(tempfile::TempPath, PathBuf)> = vec![];
    for p in planned.iter().filter(|p| p.action != "unchanged") {
        let target = root.join(&p.path);
        let dir = target.parent().unwrap_or(root);
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".openspec-")
            .tempfile_in(dir)
            .map_err(|e| io(dir, e))?;
        use std::io::Write;
        tmp.write_all(&p.bytes)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| io(&target, e))?;
        staged.push((tmp.into_temp_path(), target));
    }
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| io(&target, e.error))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_only_our_block_and_rejects_broken_markers() {
        let f = &files(Tool::Claude)[0];
        let user = format!("---\nx: 1\n---\nmine before\n{START}\nold\n{END}\nmine after\n");
        let merged = merge("f.md", &user, f).unwrap();
        assert!(merged.starts_with("---\nx: 1\n---\nmine before\n"));
        assert!(merged.ends_with(&format!("{END}\nmine after\n")));
        assert!(!merged.contains("\nold\n"));
        assert_eq!(merge("f.md", &merged, f).unwrap(), merged);
        let appended = merge(
            "f.md",
            "<!-- OPENSPEC:START -->\ntheirs\n<!-- OPENSPEC:END -->",
            f,
        )
        .unwrap();
        assert!(appended.starts_with("<!-- OPENSPEC:START -->\ntheirs\n<!-- OPENSPEC:END -->\n\n"));
        let e = merge("f.md", &format!("a\n{START}\nb\n"), f)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("f.md:2: "), "{e}");
        assert!(parse_tools("claude,vim").is_err());
        assert_eq!(parse_tools("none").unwrap(), vec![]);
        assert_eq!(
            parse_tools("opencode,claude").unwrap(),
            vec![Tool::Claude, Tool::Opencode]
        );
    }
}
