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
    #[error("{path}: not a valid tracking file ({source}); fix the JSON or delete the file")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Proposed,
    Approved,
    Implementing,
    Verified,
    Archived,
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
    pub emergency: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl Tracking {
    pub fn new(kind: Kind, phase: Option<u8>, created: String) -> Tracking {
        Tracking {
            kind,
            phase,
            state: State::Proposed,
            created,
            reviews: Vec::new(),
            base_revision: None,
            emergency: None,
            verification: None,
            archived: None,
            other: serde_json::Map::new(),
        }
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
}
