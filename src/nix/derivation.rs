//! Store derivations parsed from `nix show-derivation` / `nix derivation show`
//! into our own type. Shapes differ by version: full paths as keys (2.8-2.31)
//! or base names (2.32); `inputDrvs` values as output lists or
//! `{outputs, dynamicOutputs}` objects; newer formats group `inputs.srcs` /
//! `inputs.drvs`. Unknown fields are ignored.
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::{NixError, StorePath};

/// One store derivation, whichever JSON shape it came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Derivation {
    /// The `.drv` store path (always a full path, base-name keys are placed
    /// in the store directory).
    pub path: StorePath,
    /// The `name` field, else the `name` environment variable, else the base
    /// name after the hash without `.drv`.
    pub name: String,
    /// Output name -> path (None for content-addressed outputs not yet known).
    pub outputs: BTreeMap<String, Option<StorePath>>,
    /// Store paths used as sources (`inputSrcs`, or `inputs.srcs`).
    pub input_srcs: BTreeSet<StorePath>,
    /// Input derivation -> the outputs used.
    pub input_drvs: BTreeMap<StorePath, BTreeSet<String>>,
    /// The platform, e.g. `x86_64-linux` (empty when absent).
    pub system: String,
    /// The builder program (empty when absent).
    pub builder: String,
    /// The builder's arguments (non-string entries dropped).
    pub args: Vec<String>,
    /// The build environment; a non-string value is kept as its JSON text.
    pub env: BTreeMap<String, String>,
}

const WHAT: &str = "nix derivation show";

fn shape_err(detail: impl Into<String>) -> NixError {
    NixError::JsonShape {
        what: WHAT,
        detail: detail.into(),
    }
}

/// Every derivation in the JSON document printed by `nix show-derivation` or
/// `nix derivation show`, in the order of their paths.
///
/// Errors: [`NixError::Json`] when the text is not JSON,
/// [`NixError::JsonShape`] when it is not a map of objects,
/// [`NixError::StorePath`] when a key, output path or input is not a store
/// path under `store_dir`.
pub fn parse_derivations(json: &str, store_dir: &str) -> Result<Vec<Derivation>, NixError> {
    let doc: Value =
        serde_json::from_str(json).map_err(|source| NixError::Json { what: WHAT, source })?;
    let Value::Object(map) = doc else {
        return Err(shape_err(
            "expected a map from derivation paths to derivations",
        ));
    };
    let mut out = Vec::with_capacity(map.len());
    for (key, body) in map {
        let path = StorePath::parse(&key, store_dir)?;
        out.push(parse_one(path, &body, store_dir)?);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn parse_one(path: StorePath, body: &Value, store_dir: &str) -> Result<Derivation, NixError> {
    let obj = body
        .as_object()
        .ok_or_else(|| shape_err(format!("{path}: expected an object")))?;
    let str_of = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let env: BTreeMap<String, String> = obj
        .get("env")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let name = obj
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| env.get("name").cloned())
        .unwrap_or_else(|| path.name().trim_end_matches(".drv").to_string());

    let mut outputs = BTreeMap::new();
    if let Some(m) = obj.get("outputs").and_then(Value::as_object) {
        for (out_name, spec) in m {
            let p = match spec.get("path").and_then(Value::as_str) {
                Some(p) if !p.is_empty() => Some(StorePath::parse(p, store_dir)?),
                _ => None,
            };
            outputs.insert(out_name.clone(), p);
        }
    }

    let inputs = obj.get("inputs").and_then(Value::as_object);
    let srcs = obj
        .get("inputSrcs")
        .or_else(|| inputs.and_then(|i| i.get("srcs")));
    let mut input_srcs = BTreeSet::new();
    for s in srcs.and_then(Value::as_array).into_iter().flatten() {
        if let Some(s) = s.as_str() {
            input_srcs.insert(StorePath::parse(s, store_dir)?);
        }
    }
    let drvs = obj
        .get("inputDrvs")
        .or_else(|| inputs.and_then(|i| i.get("drvs")))
        .and_then(Value::as_object);
    let mut input_drvs = BTreeMap::new();
    for (p, used) in drvs.into_iter().flat_map(Map::iter) {
        input_drvs.insert(StorePath::parse(p, store_dir)?, output_names(used));
    }

    Ok(Derivation {
        path,
        name,
        outputs,
        input_srcs,
        input_drvs,
        system: str_of("system"),
        builder: str_of("builder"),
        args: obj
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        env,
    })
}

/// `["out", "dev"]` (up to 2.17) or `{"outputs": [...], "dynamicOutputs": {}}` (2.18+).
fn output_names(used: &Value) -> BTreeSet<String> {
    let list = match used {
        Value::Array(a) => Some(a),
        Value::Object(o) => o.get("outputs").and_then(Value::as_array),
        _ => None,
    };
    list.into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}
