//! `nix path-info --json`: a list of objects up to 2.18, a map keyed by path from 2.19.
use serde::Serialize;
use serde_json::Value;

use super::{NixError, StorePath};

/// What `nix path-info --json` says about one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathInfo {
    /// The path asked about.
    pub path: StorePath,
    /// False when Nix reports the path as not valid (absent from the store).
    pub valid: bool,
    /// Size in bytes of the path's NAR serialisation (`narSize`).
    pub nar_size: Option<u64>,
    /// Size in bytes of the path and everything it references (`closureSize`);
    /// present when `-S` was passed.
    pub closure_size: Option<u64>,
}

const WHAT: &str = "nix path-info --json";

/// Parse either shape; entries Nix marks invalid come back with `valid: false`
/// (a `null` entry of the map shape, or `"valid": false`).
///
/// Errors: [`NixError::Json`] when the text is not JSON,
/// [`NixError::JsonShape`] when it is neither a list nor a map,
/// [`NixError::StorePath`] when a path is not a store path under `store_dir`.
pub fn parse_path_info(json: &str, store_dir: &str) -> Result<Vec<PathInfo>, NixError> {
    let doc: Value =
        serde_json::from_str(json).map_err(|source| NixError::Json { what: WHAT, source })?;
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
            return Err(NixError::JsonShape {
                what: WHAT,
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
