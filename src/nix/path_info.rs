//! `nix path-info --json`: a list of objects up to 2.18, a map keyed by path from 2.19.
use serde::Serialize;
use serde_json::Value;

use super::{NixError, StorePath};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathInfo {
    pub path: StorePath,
    /// False when Nix reports the path as not valid (absent from the store).
    pub valid: bool,
    pub nar_size: Option<u64>,
    /// Present when `-S` was passed.
    pub closure_size: Option<u64>,
}

/// Parse either shape; entries Nix marks invalid come back with `valid: false`.
pub fn parse_path_info(json: &str, store_dir: &str) -> Result<Vec<PathInfo>, NixError> {
    let doc: Value = serde_json::from_str(json).map_err(|e| NixError::Json {
        what: "nix path-info --json".into(),
        detail: e.to_string(),
    })?;
    let entries: Vec<(String, Value)> = match doc {
        Value::Array(items) => items
            .into_iter()
            .map(|item| {
                let path = item
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                (path, item)
            })
            .collect(),
        Value::Object(map) => map.into_iter().collect(),
        other => {
            return Err(NixError::Json {
                what: "nix path-info --json".into(),
                detail: format!("expected a list or a map, found {other}"),
            });
        }
    };
    entries
        .into_iter()
        .map(|(path, info)| {
            let valid =
                !info.is_null() && info.get("valid").and_then(Value::as_bool) != Some(false);
            Ok(PathInfo {
                path: StorePath::parse(&path, store_dir)?,
                valid,
                nar_size: info.get("narSize").and_then(Value::as_u64),
                closure_size: info.get("closureSize").and_then(Value::as_u64),
            })
        })
        .collect()
}
