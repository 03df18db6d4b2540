//! The gates of a change's life: which reviews it needs, recording a review,
//! starting the implementation, recording a successful check, and what an
//! archive needs. The rules are the pantherOS process's: architect and
//! librarian always review; a security review when the change touches the
//! security model (declared as kind `security`, or computed from the files
//! it changes); an impact assessment (the architect's review with a note)
//! when it is breaking; an emergency skips the approval gate and owes a
//! post-incident review instead.
//!
//! Every write of tracking.json holds an exclusive lock on the change's
//! directory (`flock`), so two processes recording reviews at once both land.
use std::fs::File;
use std::path::{Path, PathBuf};

use fs2::FileExt;
use serde::Serialize;

use super::change::{Change, PROPOSAL};
use super::tracking::{EmergencyKind, Review, State, Tracking, TrackingError};
use crate::spec::Kind;

/// A review role of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Architect,
    Librarian,
    Security,
    Reviewer,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Architect,
        Role::Librarian,
        Role::Security,
        Role::Reviewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Architect => "architect",
            Role::Librarian => "librarian",
            Role::Security => "security",
            Role::Reviewer => "reviewer",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The verdicts a review records in tracking.json.
pub const APPROVE: &str = "approve";
pub const REQUEST_CHANGES: &str = "request-changes";

/// What a lifecycle command could not do. `Refused` and the tracking errors
/// are the change's state (exit 1); the rest is the environment (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Tracking(#[from] TrackingError),
    /// The change has no tracking.json: another tool made it.
    #[error(
        "change {id:?} has no {file} (it was not made by `openspec new` or `openspec emergency`), so it has no reviews or states; create it with `openspec new`, or archive it as OpenSpec does"
    )]
    Untracked { id: String, file: String },
    /// The change was archived.
    #[error(
        "change {id:?} is archived ({rel}); an archived change takes no reviews or state changes"
    )]
    Archived { id: String, rel: String },
    /// A gate that is not met, with what to do.
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot lock {path} ({source}); another openspec may hold it")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
}

impl LifecycleError {
    /// Whether the error is the environment's (exit 2) rather than the change's (exit 1).
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            LifecycleError::Io { .. } | LifecycleError::Lock { .. } | LifecycleError::Git(_)
        )
    }
}

/// Who does something, when, and at which revision.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub by: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// `git rev-parse HEAD`; `None` outside git or before the first commit.
    pub revision: Option<String>,
}

impl Actor {
    /// `by`, else git's `user.name`, else `$USER`, else `unknown`; now; HEAD of `root`.
    pub fn new(root: &Path, by: Option<&str>) -> Actor {
        let by = by
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| crate::git::user_name(root))
            .or_else(|| std::env::var("USER").ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "unknown".into());
        Actor {
            by,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            revision: crate::git::rev_parse(root, "HEAD").ok(),
        }
    }
}

/// An exclusive lock on a change's directory, released when dropped.
pub struct Lock(File);

impl Lock {
    /// Wait for the lock on `change`'s directory.
    pub fn take(change: &Change) -> Result<Lock, LifecycleError> {
        let path = change.dir.display().to_string();
        let f = File::open(&change.dir).map_err(|source| LifecycleError::Lock {
            path: path.clone(),
            source,
        })?;
        f.lock_exclusive()
            .map_err(|source| LifecycleError::Lock { path, source })?;
        Ok(Lock(f))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = FileExt::unlock(&self.0);
    }
}

/// The files a review approves, relative to the change: `proposal.md`,
/// `design.md` and every file under `specs/`, sorted. Not `tasks.md` (it is
/// ticked off while implementing) and not what openspec writes itself.
pub fn reviewed_files(change: &Change) -> Vec<String> {
    let mut out: Vec<String> = [PROPOSAL, super::change::DESIGN]
        .into_iter()
        .filter(|f| change.dir.join(f).is_file())
        .map(str::to_string)
        .collect();
    let specs = change.specs();
    let mut under: Vec<String> = walkdir::WalkDir::new(&specs)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            e.path()
                .strip_prefix(&change.dir)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    under.sort();
    out.extend(under);
    out
}

/// The content hash of the reviewed files: git's blob id of a manifest
/// holding, per file in order, its path, its length and its bytes. Any edit,
/// added or removed file changes it.
pub fn content_hash(change: &Change) -> Result<String, LifecycleError> {
    let mut manifest = Vec::new();
    for rel in reviewed_files(change) {
        let path = change.dir.join(&rel);
        let bytes = std::fs::read(&path).map_err(|source| LifecycleError::Io {
            path: path.display().to_string(),
            source,
        })?;
        manifest.extend_from_slice(format!("{rel}\0{}\0", bytes.len()).as_bytes());
        manifest.extend_from_slice(&bytes);
    }
    Ok(crate::git::hash_object(&change.dir, &manifest)?)
}

/// A review the change needs.
#[derive(Debug, Clone, Serialize)]
pub struct Required {
    pub role: Role,
    /// Why the process asks for it.
    pub reason: String,
    /// The review must carry a note (the impact assessment of a breaking change).
    pub note_required: bool,
    /// The role's latest review approves the current content (with a note when required).
    pub satisfied: bool,
}

/// A recorded review, with whether its approval still holds.
#[derive(Debug, Clone, Serialize)]
pub struct Given {
    pub role: String,
    pub verdict: String,
    pub by: String,
    pub at: String,
    pub note: Option<String>,
    pub content_hash: Option<String>,
    /// An approval of content that has changed since (always false for other verdicts).
    pub stale: bool,
    /// A later review by the same role replaced this one.
    pub superseded: bool,
}

/// The review gate of a change at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub required: Vec<Required>,
    pub given: Vec<Given>,
    /// Every required review is satisfied.
    pub approved: bool,
    /// One line per unmet requirement, saying what to do.
    pub missing: Vec<String>,
}

/// What the gate is judged on besides the tracking file.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Category names of the change's computed impact, and those recorded by
    /// a check (`security-model` when a host's security was loosened).
    pub categories: Vec<String>,
    /// `content_hash` now.
    pub hash: String,
}

/// The categories a check recorded in tracking.json (`categories`).
pub fn recorded_categories(t: &Tracking) -> Vec<String> {
    t.other
        .get("categories")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The reviews `t` needs given `facts`, and whether they are there.
pub fn gate(t: &Tracking, facts: &Facts) -> Gate {
    let has = |c: &str| {
        facts.categories.iter().any(|x| x == c) || recorded_categories(t).iter().any(|x| x == c)
    };
    let mut required: Vec<(Role, String, bool)> = Vec::new();
    if let Some(e) = &t.emergency {
        // The approval gate was skipped; the post-incident review replaces it.
        let role = match e.kind {
            EmergencyKind::Security => Role::Security,
            EmergencyKind::Outage => Role::Architect,
        };
        required.push((
            role,
            format!("post-incident review of the {} incident", e.kind.as_str()),
            false,
        ));
    } else {
        let breaking = has("breaking");
        required.push((
            Role::Architect,
            if breaking {
                "architectural alignment, and the impact assessment of a breaking change (a note)"
                    .into()
            } else {
                "architectural alignment".into()
            },
            breaking,
        ));
        required.push((Role::Librarian, "technical feasibility".into(), false));
        if t.kind == Kind::Security {
            required.push((
                Role::Security,
                "the change is declared as kind security".into(),
                false,
            ));
        } else if has("security-model") {
            required.push((
                Role::Security,
                "the computed impact includes security-model".into(),
                false,
            ));
        }
    }
    let latest = |role: Role| t.reviews.iter().rposition(|r| r.role == role.as_str());
    let stale = |r: &Review| r.verdict == APPROVE && r.content_hash.as_deref() != Some(&facts.hash);
    let given: Vec<Given> = t
        .reviews
        .iter()
        .enumerate()
        .map(|(i, r)| Given {
            role: r.role.clone(),
            verdict: r.verdict.clone(),
            by: r.by.clone(),
            at: r.at.clone(),
            note: r.note.clone(),
            content_hash: r.content_hash.clone(),
            stale: stale(r),
            superseded: Role::parse(&r.role).and_then(latest) != Some(i),
        })
        .collect();
    let mut missing = Vec::new();
    let required: Vec<Required> = required
        .into_iter()
        .map(|(role, reason, note_required)| {
            let last = latest(role).map(|i| &t.reviews[i]);
            let satisfied = match last {
                None => {
                    missing.push(format!("{} review missing ({reason})", role.as_str()));
                    false
                }
                Some(r) if r.verdict != APPROVE => {
                    missing.push(format!(
                        "{} requested changes ({}); address them and ask for a new review",
                        role.as_str(),
                        r.by
                    ));
                    false
                }
                Some(r) if stale(r) => {
                    missing.push(format!(
                        "{}'s approval is stale: the proposal changed since {} approved it; review again",
                        role.as_str(),
                        r.by
                    ));
                    false
                }
                Some(r) if note_required && r.note.as_deref().is_none_or(|n| n.trim().is_empty()) => {
                    missing.push(format!(
                        "{} approved without the impact assessment a breaking change needs; approve again with --note",
                        role.as_str()
                    ));
                    false
                }
                Some(_) => true,
            };
            Required {
                role,
                reason,
                note_required,
                satisfied,
            }
        })
        .collect();
    Gate {
        approved: required.iter().all(|r| r.satisfied),
        required,
        given,
        missing,
    }
}

/// The tracking file of `change`, which must have one.
pub fn tracked(change: &Change) -> Result<Tracking, LifecycleError> {
    change.tracking()?.ok_or_else(|| LifecycleError::Untracked {
        id: change.id.clone(),
        file: super::tracking::FILE.into(),
    })
}

/// The archived folder of change `id` (`changes/archive/<date>-<id>`), if any.
pub fn archived_as(root: &Path, id: &str) -> Option<PathBuf> {
    let dir = crate::spec::Repo::new(root).archive_dir();
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.len() == id.len() + 11
                && name.ends_with(id)
                && name.as_bytes()[10] == b'-'
                && name[..10].bytes().all(|b| b.is_ascii_digit() || b == b'-')
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found.pop()
}

/// `Change::open`, but naming the archive when the change was archived.
pub fn open_active(root: &Path, id: &str) -> Result<Change, LifecycleError> {
    match Change::open(root, id) {
        Ok(c) => Ok(c),
        Err(e) => match archived_as(root, id) {
            Some(p) => Err(LifecycleError::Archived {
                id: id.to_string(),
                rel: crate::spec::Repo::new(root).rel(&p),
            }),
            None => Err(LifecycleError::Refused(e.to_string())),
        },
    }
}

/// A review to record.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub role: Role,
    pub approve: bool,
    pub note: Option<String>,
}

/// What `review` did: the review as recorded, the state before and after, the gate after.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewOutcome {
    pub change: String,
    pub review: Given,
    pub previous_state: State,
    pub state: State,
    pub gate: Gate,
}

/// Record a review of `change` by `actor`, under the change's lock, and move
/// the state: `draft` → `in-review`; → `approved` once the gate is met;
/// `approved` → `in-review` when a review breaks it. Implementing, verified
/// and emergency changes keep their state (the gate is judged again where
/// it matters). `categories`: the computed impact's category names.
pub fn review(
    change: &Change,
    input: &ReviewInput,
    actor: &Actor,
    categories: Vec<String>,
) -> Result<ReviewOutcome, LifecycleError> {
    let _lock = Lock::take(change)?;
    let mut t = tracked(change)?;
    if t.state == State::Archived {
        return Err(LifecycleError::Archived {
            id: change.id.clone(),
            rel: change.dir.display().to_string(),
        });
    }
    let hash = content_hash(change)?;
    t.reviews.push(Review {
        role: input.role.as_str().into(),
        verdict: if input.approve {
            APPROVE
        } else {
            REQUEST_CHANGES
        }
        .into(),
        by: actor.by.clone(),
        at: actor.at.clone(),
        content_hash: Some(hash.clone()),
        note: input.note.clone().filter(|n| !n.trim().is_empty()),
        other: serde_json::Map::new(),
    });
    let facts = Facts { categories, hash };
    let g = gate(&t, &facts);
    let previous = t.state;
    let next = match t.state {
        State::Draft | State::InReview | State::Approved if g.approved => State::Approved,
        State::Draft | State::InReview | State::Approved => State::InReview,
        s => s,
    };
    t.transition(
        next,
        &actor.at,
        actor.revision.as_deref(),
        &actor.by,
        None,
        false,
    );
    change.save_tracking(&t)?;
    let review = g
        .given
        .last()
        .cloned()
        .unwrap_or_else(|| unreachable!("just pushed"));
    Ok(ReviewOutcome {
        change: change.id.clone(),
        review,
        previous_state: previous,
        state: t.state,
        gate: g,
    })
}

/// One task of tasks.md, in file order.
#[derive(Debug, Clone, Serialize)]
pub struct Task {
    /// 1-based line in tasks.md.
    pub line: usize,
    pub text: String,
    pub done: bool,
}

/// The tasks of `change` in order (OpenSpec 1.13.2's reading of a task
/// line); empty without a readable tasks.md.
pub fn tasks(change: &Change) -> Vec<Task> {
    use crate::spec::doc::Doc;
    use crate::spec::parse::parse_tasks;
    let Ok(text) = std::fs::read_to_string(change.tasks()) else {
        return vec![];
    };
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let t = parse_tasks(&Doc::parse(line));
            (t.total == 1).then(|| Task {
                line: i + 1,
                text: t.items.into_iter().next().unwrap_or_default(),
                done: t.done == 1,
            })
        })
        .collect()
}

/// What `code-impl` did.
#[derive(Debug, Clone, Serialize)]
pub struct ImplOutcome {
    pub change: String,
    pub previous_state: State,
    pub state: State,
    /// The revision implementation starts from (recorded once, kept on later runs).
    pub base_revision: Option<String>,
    pub forced: bool,
    pub reason: Option<String>,
    pub tasks: Vec<Task>,
    pub gate: Gate,
}

/// Start implementing `change`: refused unless the gate is met, or `force`
/// (a reason, recorded in the transition). Records HEAD as the base revision
/// the first time. An emergency change skips the gate and keeps its state;
/// an implementing or verified change only gets its tasks listed.
pub fn start_implementation(
    change: &Change,
    facts: &Facts,
    actor: &Actor,
    force: Option<&str>,
) -> Result<ImplOutcome, LifecycleError> {
    let _lock = Lock::take(change)?;
    let mut t = tracked(change)?;
    let g = gate(&t, facts);
    let previous = t.state;
    let mut forced = false;
    match t.state {
        State::Archived => {
            return Err(LifecycleError::Archived {
                id: change.id.clone(),
                rel: change.dir.display().to_string(),
            });
        }
        State::Emergency | State::Implementing | State::Verified => {}
        State::Draft | State::InReview | State::Approved => {
            if !g.approved {
                let Some(_) = force else {
                    let why = g.missing.join("; ");
                    // An approval gone stale (or a review the impact now asks
                    // for) ends the approved state: the record says so.
                    if t.state == State::Approved {
                        t.transition(
                            State::InReview,
                            &actor.at,
                            actor.revision.as_deref(),
                            &actor.by,
                            Some(&why),
                            false,
                        );
                        change.save_tracking(&t)?;
                    }
                    return Err(LifecycleError::Refused(format!(
                        "change {:?} is not approved (state {}): {why}; or pass --force --reason TEXT to start anyway (recorded)",
                        change.id, t.state,
                    )));
                };
                forced = true;
            }
        }
    }
    let base_before = t.base_revision.clone();
    if t.base_revision.is_none() {
        t.base_revision = actor.revision.clone();
    }
    if matches!(t.state, State::Draft | State::InReview | State::Approved) {
        t.transition(
            State::Implementing,
            &actor.at,
            actor.revision.as_deref(),
            &actor.by,
            force.filter(|_| forced),
            forced,
        );
    }
    if t.state != previous || t.base_revision != base_before {
        change.save_tracking(&t)?;
    }
    Ok(ImplOutcome {
        change: change.id.clone(),
        previous_state: previous,
        state: t.state,
        base_revision: t.base_revision.clone(),
        forced,
        reason: force.filter(|_| forced).map(str::to_string),
        tasks: tasks(change),
        gate: g,
    })
}

/// One host of a finished check: its name and whether it built.
#[derive(Debug, Clone)]
pub struct CheckedHost {
    pub name: String,
    pub built: bool,
}

/// After `nixos-check <id>`: when every host of `affected` is among `hosts`
/// and built (and the run was not interrupted), an implementing change
/// becomes verified. Returns the new state when it moved. Changes without
/// a tracking file are left alone.
pub fn record_check(
    change: &Change,
    root: &Path,
    hosts: &[CheckedHost],
    affected: &[String],
    complete: bool,
) -> Result<Option<State>, LifecycleError> {
    let _lock = Lock::take(change)?;
    let Some(mut t) = change.tracking()? else {
        return Ok(None);
    };
    let built = |h: &str| hosts.iter().any(|c| c.name == h && c.built);
    let ok = complete && hosts.iter().all(|h| h.built) && affected.iter().all(|h| built(h));
    if !ok || t.state != State::Implementing {
        return Ok(None);
    }
    let actor = Actor::new(root, None);
    t.transition(
        State::Verified,
        &actor.at,
        actor.revision.as_deref(),
        &actor.by,
        None,
        false,
    );
    change.save_tracking(&t)?;
    Ok(Some(State::Verified))
}

/// `nixos-check <id>` finished: record the verification in the change's
/// lifecycle (`record_check`). The affected hosts are those `nixos-check`
/// selects for the change; when the run picked its own hosts (`--hosts`)
/// and the affected ones cannot be listed, the change is not verified.
/// Problems are printed as warnings: the check itself stands.
pub fn after_check(
    change: &Change,
    flake_dir: &Path,
    base: Option<&str>,
    picked_hosts: bool,
    report: &crate::verify::CheckReport,
) {
    use super::select::{HostChoice, Selected, hosts_to_check};
    let hosts: Vec<CheckedHost> = report
        .hosts
        .iter()
        .map(|h| CheckedHost {
            name: h.name.clone(),
            built: h.status == crate::verify::HostStatus::Built,
        })
        .collect();
    let choice = HostChoice {
        change: Some(change),
        base,
        ..Default::default()
    };
    let selected = hosts_to_check(flake_dir, &choice);
    let affected = match (selected.hosts(), &selected) {
        (Some(h), _) => Some(h),
        (None, Selected::Every | Selected::NoChange | Selected::Unknown(_)) if !picked_hosts => {
            Some(hosts.iter().map(|h| h.name.clone()).collect())
        }
        _ => None,
    };
    let root = flake_dir;
    let result = match affected {
        Some(a) => record_check(change, root, &hosts, &a, !report.interrupted),
        None => Ok(None),
    };
    match result {
        Ok(_) => {}
        Err(e) => {
            eprintln!("warning: cannot record the verification in the change's lifecycle: {e}")
        }
    }
}

/// Why `change` (with tracking file `t`) may not be archived yet; `Ok` when
/// it may. A normal change must be verified, with a current security
/// approval when the security review is required; an emergency
/// needs its post-incident review and the retrospective sections filled.
/// Every change needs delta specs without the template's placeholder text.
pub fn check_archive(change: &Change, t: &Tracking, facts: &Facts) -> Result<(), LifecycleError> {
    let mut why = Vec::new();
    let g = gate(t, facts);
    match t.state {
        State::Emergency => {
            for section in crate::spec::templates::POST_INCIDENT_SECTIONS {
                if !section_filled(change, section) {
                    why.push(format!(
                        "the post-incident section \"## {section}\" of {PROPOSAL} is not filled in"
                    ));
                }
            }
            why.extend(g.missing.iter().cloned());
        }
        // The approvals gated the start of the implementation; what the
        // implementation itself brought in (a security-model category found
        // after approval) still needs its security review.
        State::Verified => {
            if let Some(i) = g
                .required
                .iter()
                .position(|r| r.role == Role::Security && !r.satisfied)
            {
                let reason = &g.required[i].reason;
                why.push(format!(
                    "security review missing or not current ({reason}): `openspec review {} --role security --approve`",
                    change.id
                ));
            }
        }
        s => why.push(format!(
            "change {:?} is {s}, not verified: run `openspec nixos-check {}` after implementing it",
            change.id, change.id
        )),
    }
    why.extend(placeholders(change));
    if why.is_empty() {
        Ok(())
    } else {
        Err(LifecycleError::Refused(format!(
            "cannot archive {:?}:\n  {}",
            change.id,
            why.join("\n  ")
        )))
    }
}

/// Whether the proposal's section `title` holds more than the template's guidance.
pub fn section_filled(change: &Change, title: &str) -> bool {
    use crate::spec::doc::Doc;
    let Ok(text) = std::fs::read_to_string(change.proposal()) else {
        return false;
    };
    let doc = Doc::parse(&text);
    doc.find_section(2, title)
        .is_some_and(|h| !crate::spec::templates::is_placeholder(title, &doc.section_body(h)))
}

/// Lines of the change's delta specs that still hold the template's
/// placeholder text, as `file:line: text` messages.
pub fn placeholders(change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    for rel in reviewed_files(change)
        .into_iter()
        .filter(|r| r.starts_with("specs/"))
    {
        let Ok(text) = std::fs::read_to_string(change.dir.join(&rel)) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if crate::spec::templates::DELTA_PLACEHOLDERS
                .iter()
                .any(|p| line.contains(p))
            {
                out.push(format!(
                    "openspec/changes/{}/{rel}:{}: still holds the template's placeholder ({}); write the real requirement or scenario",
                    change.id,
                    i + 1,
                    line.trim()
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracking(kind: Kind) -> Tracking {
        Tracking::new(kind, None, "2026-01-01T00:00:00Z".into())
    }

    fn approve(t: &mut Tracking, role: &str, hash: &str, note: Option<&str>) {
        t.reviews.push(Review {
            role: role.into(),
            verdict: APPROVE.into(),
            by: "x".into(),
            at: "2026-01-02T00:00:00Z".into(),
            content_hash: Some(hash.into()),
            note: note.map(str::to_string),
            other: Default::default(),
        });
    }

    #[test]
    fn roles_needed_follow_kind_and_categories() {
        let facts = |c: &[&str]| Facts {
            categories: c.iter().map(|s| s.to_string()).collect(),
            hash: "h".into(),
        };
        let mut t = tracking(Kind::Change);
        assert!(!gate(&t, &facts(&[])).approved);
        approve(&mut t, "architect", "h", None);
        approve(&mut t, "librarian", "h", None);
        assert!(gate(&t, &facts(&[])).approved);
        let g = gate(&t, &facts(&["security-model"]));
        assert!(!g.approved);
        assert!(g.missing[0].contains("security"), "{:?}", g.missing);
        let g = gate(&t, &facts(&["breaking"]));
        assert!(
            !g.approved && g.missing[0].contains("--note"),
            "{:?}",
            g.missing
        );
        approve(
            &mut t,
            "architect",
            "h",
            Some("hosts yoga and zephyrus must migrate"),
        );
        assert!(gate(&t, &facts(&["breaking"])).approved);
        let g = gate(
            &t,
            &Facts {
                categories: vec![],
                hash: "other".into(),
            },
        );
        assert!(!g.approved && g.given.iter().filter(|r| r.stale).count() == 3);
        assert!(g.given[0].superseded && !g.given[2].superseded);
        let mut s = tracking(Kind::Security);
        approve(&mut s, "architect", "h", None);
        approve(&mut s, "librarian", "h", None);
        assert!(!gate(&s, &facts(&[])).approved);
    }
}
