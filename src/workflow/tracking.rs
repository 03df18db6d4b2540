//! `changes/<id>/tracking.json`: what openspec records about a change beside
//! the OpenSpec files (which OpenSpec ignores). Unknown keys are kept, so a
//! newer openspec's fields survive an older one's save.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::spec::Kind;

pub const FILE: &str = "tracking.json";

#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    #[error("{path}: cannot read ({source}); make it a readable file")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}: not a valid tracking file ({source}); fix it by hand (states: draft, in-review, approved, implementing, verified, archived, emergency); openspec does not rewrite it while it is broken"
    )]
    Parse {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}: cannot write ({source})")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Where a change stands. The normal path is `draft` → `in-review` →
/// `approved` → `implementing` → `verified` → `archived`; `emergency` is a
/// fix made first and documented afterwards. `proposed`, written by older
/// versions of `new`, reads as `draft`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    #[serde(alias = "proposed")]
    Draft,
    InReview,
    Approved,
    Implementing,
    Verified,
    Archived,
    Emergency,
}

impl State {
    /// The state's name in tracking.json.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::InReview => "in-review",
            State::Approved => "approved",
            State::Implementing => "implementing",
            State::Verified => "verified",
            State::Archived => "archived",
            State::Emergency => "emergency",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change of state: when, at which git revision (`null` outside git or
/// before the first commit), by whom, and why when it skipped a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// `null` for the first state of a change.
    pub from: Option<State>,
    pub to: State,
    /// RFC 3339, UTC.
    pub at: String,
    pub revision: Option<String>,
    pub by: String,
    /// Set when a gate was skipped (`code-impl --force`) or for an emergency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether the transition skipped its gate (`--force`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// What kind of incident an emergency change answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmergencyKind {
    Security,
    Outage,
}

impl EmergencyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmergencyKind::Security => "security",
            EmergencyKind::Outage => "outage",
        }
    }
}

/// `emergency` of tracking.json: the incident a retroactive change documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emergency {
    pub kind: EmergencyKind,
    pub reason: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// The git revision holding the fix when the change was recorded.
    pub revision: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub role: String,
    pub verdict: String,
    pub by: String,
    pub at: String,
    /// Hash of the proposal content the reviewer approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub at: String,
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracking {
    pub kind: Kind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<u8>,
    pub state: State,
    pub created: String,
    #[serde(default)]
    pub reviews: Vec<Review>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    /// Every change of state, oldest first.
    #[serde(default)]
    pub history: Vec<Transition>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Tracking {
    pub fn new(kind: Kind, phase: Option<u8>, created: String) -> Tracking {
        Tracking {
            kind,
            phase,
            state: State::Draft,
            created,
            reviews: Vec::new(),
            base_revision: None,
            emergency: None,
            verification: None,
            archived: None,
            history: Vec::new(),
            other: serde_json::Map::new(),
        }
    }

    /// Move to `to`, appending the transition to `history`. `from` is the
    /// state before; nothing happens when the state is already `to`.
    pub fn transition(
        &mut self,
        to: State,
        at: &str,
        revision: Option<&str>,
        by: &str,
        reason: Option<&str>,
        forced: bool,
    ) {
        if self.state == to {
            return;
        }
        self.history.push(Transition {
            from: Some(self.state),
            to,
            at: at.to_string(),
            revision: revision.map(str::to_string),
            by: by.to_string(),
            reason: reason.map(str::to_string),
            forced,
            other: serde_json::Map::new(),
        });
        self.state = to;
    }

    pub fn path(change_dir: &Path) -> PathBuf {
        change_dir.join(FILE)
    }

    /// The tracking file of a change; `Ok(None)` when the change has none
    /// (made by another tool: a plain OpenSpec change).
    pub fn load(change_dir: &Path) -> Result<Option<Tracking>, TrackingError> {
        let path = Self::path(change_dir);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(TrackingError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| TrackingError::Parse {
                path: path.display().to_string(),
                source,
            })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// The base revision recorded for the change: `base_revision`, else the
    /// older key `base` (kept among the unknown keys).
    pub fn recorded_base(&self) -> Option<String> {
        self.base_revision.clone().or_else(|| {
            self.other
                .get("base")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
    }

    pub fn save(&self, change_dir: &Path) -> Result<(), TrackingError> {
        let path = Self::path(change_dir);
        crate::fsutil::write_atomic(&path, &self.to_bytes()).map_err(|source| {
            TrackingError::Write {
                path: path.display().to_string(),
                source,
            }
        })
    }
}

/// Only the base revision of a tracking file, for files that are not whole
/// tracking files (written by hand or by another tool): each key counts when
/// it holds a string, whatever else the file holds.
#[derive(Debug, Default, Deserialize)]
pub struct RecordedBase {
    #[serde(default, deserialize_with = "string_or_none")]
    base_revision: Option<String>,
    #[serde(default, deserialize_with = "string_or_none")]
    base: Option<String>,
}

impl RecordedBase {
    /// The keys of the tracking file in `change_dir`; `None` when it is
    /// missing, unreadable or not JSON.
    pub fn load(change_dir: &Path) -> Option<RecordedBase> {
        let bytes = std::fs::read(Tracking::path(change_dir)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// `base_revision`, else `base`.
    pub fn revision(self) -> Option<String> {
        self.base_revision.or(self.base)
    }
}

fn string_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE),
            r#"{"kind":"security","phase":3,"state":"implementing","created":"2026-01-01","reviews":[],"gate":{"x":1}}"#,
        )
        .unwrap();
        let t = Tracking::load(dir.path()).unwrap().unwrap();
        assert_eq!(t.kind, Kind::Security);
        assert_eq!(t.state, State::Implementing);
        t.save(dir.path()).unwrap();
        let again = Tracking::load(dir.path()).unwrap().unwrap();
        assert_eq!(again.other["gate"]["x"], 1);
        std::fs::write(dir.path().join(FILE), "{").unwrap();
        assert!(matches!(
            Tracking::load(dir.path()),
            Err(TrackingError::Parse { .. })
        ));
        assert!(Tracking::load(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn proposed_reads_as_draft_and_unknown_states_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"kind":"change","state":"proposed","created":"2026-01-01","reviews":[]}"#;
        std::fs::write(dir.path().join(FILE), old).unwrap();
        let mut t = Tracking::load(dir.path()).unwrap().unwrap();
        assert_eq!(t.state, State::Draft);
        t.transition(
            State::InReview,
            "2026-01-02T00:00:00Z",
            Some("abc"),
            "ann",
            None,
            false,
        );
        t.transition(
            State::InReview,
            "2026-01-03T00:00:00Z",
            None,
            "bob",
            None,
            false,
        );
        assert_eq!(t.history.len(), 1);
        assert_eq!(t.history[0].from, Some(State::Draft));
        let text = String::from_utf8(t.to_bytes()).unwrap();
        assert!(text.contains("\"state\": \"in-review\""), "{text}");
        let extra = r#"{"kind":"change","state":"approved","created":"x","reviews":[{"role":"architect","verdict":"approve","by":"a","at":"y","signed":"gpg"}],"history":[{"from":null,"to":"draft","at":"z","revision":null,"by":"b","ticket":7}],"emergency":{"kind":"outage","reason":"r","at":"w","revision":null,"pager":"p1"}}"#;
        std::fs::write(dir.path().join(FILE), extra).unwrap();
        let t = Tracking::load(dir.path()).unwrap().unwrap();
        t.save(dir.path()).unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(FILE)).unwrap()).unwrap();
        assert_eq!(
            (
                &v["reviews"][0]["signed"],
                &v["history"][0]["ticket"],
                &v["emergency"]["pager"]
            ),
            (
                &serde_json::json!("gpg"),
                &serde_json::json!(7),
                &serde_json::json!("p1")
            )
        );
        let bad = r#"{"kind":"change","state":"shipped","created":"2026-01-01"}"#;
        std::fs::write(dir.path().join(FILE), bad).unwrap();
        let e = Tracking::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("shipped") && e.contains("line 1"), "{e}");
    }
}
