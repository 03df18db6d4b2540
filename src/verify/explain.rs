//! Why two derivations differ, in the spirit of nix-diff: compare the two
//! derivations, and where an input derivation of the same name differs,
//! descend into that pair, until the differences left are not explained by
//! changed inputs (an option's value, a source file, a builder argument).
//! Store-path hashes are masked when comparing text, so a value that differs
//! only because it mentions a changed input is not reported twice.
use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;

use crate::nix::{Derivation, Nix, NixError, StorePath, mask_hashes};

/// Descend into at most this many derivation pairs.
const MAX_PAIRS: usize = 64;
/// Long values are cut to this many characters in a report.
const MAX_VALUE: usize = 240;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub base: String,
    pub head: String,
    pub differences: Vec<Difference>,
    /// True when the walk stopped early (more pairs than we descend into).
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Derivation names from the toplevel down to the one that differs here.
    pub via: Vec<String>,
    #[serde(flatten)]
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum What {
    /// An environment variable (derivation attribute) differs. When both
    /// values are JSON, one difference per differing value inside, `path`
    /// naming it (`config.services.openssh.enable`) and `base`/`head` being
    /// that value's JSON text; otherwise `path` is null and long values are
    /// cut around their first difference.
    Env {
        name: String,
        path: Option<String>,
        base: Option<String>,
        head: Option<String>,
    },
    /// A source in the store (a file copied from the flake) differs.
    Source {
        name: String,
        base: Option<String>,
        head: Option<String>,
    },
    /// An input derivation exists on one side only.
    Input {
        name: String,
        base: Option<String>,
        head: Option<String>,
    },
    Builder {
        base: String,
        head: String,
    },
    Args {
        base: Vec<String>,
        head: Vec<String>,
    },
    System {
        base: String,
        head: String,
    },
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_VALUE {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(MAX_VALUE).collect();
        c.push('…');
        c
    }
}

/// At most this many differing values reported inside one JSON attribute.
const MAX_LEAVES: usize = 16;
/// Characters shown before a difference inside a long value.
const CONTEXT: usize = 60;

/// The values that differ inside two JSON documents: (path, base, head),
/// each value as compact JSON, `None` where one side lacks it. Objects are
/// compared key by key; anything else (arrays too) is one value. Store-path
/// hashes are masked when comparing.
fn json_leaves(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: &mut Vec<String>,
    store: &str,
    out: &mut Vec<(String, Option<String>, Option<String>)>,
) {
    use serde_json::Value;
    let text = |v: &Value| v.to_string();
    if mask_hashes(&text(a), store) == mask_hashes(&text(b), store) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                path.push(k.clone());
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => json_leaves(p, q, path, store, out),
                    (p, q) => out.push((path.join("."), p.map(text), q.map(text))),
                }
                path.pop();
            }
        }
        _ => {
            let at = if path.is_empty() {
                "(whole value)".to_string()
            } else {
                path.join(".")
            };
            out.push((at, Some(text(a)), Some(text(b))));
        }
    }
}

/// Two different long values cut to the same window around their first
/// difference (shorter ones whole), so the two sides never show the same text.
fn around_difference(a: &str, b: &str) -> (String, String) {
    if a.chars().count() <= MAX_VALUE && b.chars().count() <= MAX_VALUE {
        return (a.to_string(), b.to_string());
    }
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let prefix = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
    let start = prefix.saturating_sub(CONTEXT);
    let window = |c: &[char]| {
        let end = (start + MAX_VALUE).min(c.len());
        let mut s = String::new();
        if start > 0 {
            s.push('…');
        }
        s.extend(&c[start..end]);
        if end < c.len() {
            s.push('…');
        }
        s
    };
    (window(&ca), window(&cb))
}

/// Pair paths by name; identical paths are dropped; unmatched ones come back
/// with the other side `None`.
fn pair_by_name<'a>(
    a: impl Iterator<Item = &'a StorePath>,
    b: impl Iterator<Item = &'a StorePath>,
) -> Vec<(String, Option<&'a StorePath>, Option<&'a StorePath>)> {
    let a: BTreeSet<&StorePath> = a.collect();
    let b: BTreeSet<&StorePath> = b.collect();
    let mut by_name: BTreeMap<&str, (Vec<&StorePath>, Vec<&StorePath>)> = BTreeMap::new();
    for p in a.difference(&b) {
        by_name.entry(p.name()).or_default().0.push(p);
    }
    for p in b.difference(&a) {
        by_name.entry(p.name()).or_default().1.push(p);
    }
    let mut out = Vec::new();
    for (name, (xs, ys)) in by_name {
        let n = xs.len().max(ys.len());
        for k in 0..n {
            out.push((name.to_string(), xs.get(k).copied(), ys.get(k).copied()));
        }
    }
    out
}

/// The differences of one pair; changed input pairs are returned for descent.
fn compare(
    a: &Derivation,
    b: &Derivation,
    via: &[String],
    store: &str,
) -> (Vec<Difference>, Vec<(StorePath, StorePath)>) {
    let mut diffs = Vec::new();
    let mut push = |what: What| {
        diffs.push(Difference {
            via: via.to_vec(),
            what,
        })
    };
    let m = |s: &str| mask_hashes(s, store);
    if a.system != b.system {
        push(What::System {
            base: a.system.clone(),
            head: b.system.clone(),
        });
    }
    if m(&a.builder) != m(&b.builder) {
        push(What::Builder {
            base: a.builder.clone(),
            head: b.builder.clone(),
        });
    }
    let args_a: Vec<String> = a.args.iter().map(|x| m(x)).collect();
    let args_b: Vec<String> = b.args.iter().map(|x| m(x)).collect();
    if args_a != args_b {
        push(What::Args {
            base: a.args.iter().map(|x| cut(x)).collect(),
            head: b.args.iter().map(|x| cut(x)).collect(),
        });
    }
    let keys: BTreeSet<&String> = a.env.keys().chain(b.env.keys()).collect();
    for k in keys {
        let (va, vb) = (a.env.get(k), b.env.get(k));
        if va.map(|v| m(v)) == vb.map(|v| m(v)) {
            continue;
        }
        let parsed = |v: Option<&String>| {
            v.and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok())
                .filter(|j| j.is_object() || j.is_array())
        };
        if let (Some(ja), Some(jb)) = (parsed(va), parsed(vb)) {
            let mut leaves = Vec::new();
            json_leaves(&ja, &jb, &mut Vec::new(), store, &mut leaves);
            let more = leaves.len().saturating_sub(MAX_LEAVES);
            for (path, x, y) in leaves.into_iter().take(MAX_LEAVES) {
                push(What::Env {
                    name: k.clone(),
                    path: Some(path),
                    base: x.map(|v| cut(&v)),
                    head: y.map(|v| cut(&v)),
                });
            }
            if more > 0 {
                push(What::Env {
                    name: k.clone(),
                    path: Some(format!("({more} more values differ)")),
                    base: None,
                    head: None,
                });
            }
            continue;
        }
        let (x, y) = match (va, vb) {
            (Some(x), Some(y)) => {
                let (x, y) = around_difference(x, y);
                (Some(x), Some(y))
            }
            _ => (va.map(|v| cut(v)), vb.map(|v| cut(v))),
        };
        push(What::Env {
            name: k.clone(),
            path: None,
            base: x,
            head: y,
        });
    }
    for (name, x, y) in pair_by_name(a.input_srcs.iter(), b.input_srcs.iter()) {
        push(What::Source {
            name,
            base: x.map(ToString::to_string),
            head: y.map(ToString::to_string),
        });
    }
    let mut descend = Vec::new();
    for (name, x, y) in pair_by_name(a.input_drvs.keys(), b.input_drvs.keys()) {
        match (x, y) {
            (Some(x), Some(y)) => descend.push((x.clone(), y.clone())),
            _ => push(What::Input {
                name,
                base: x.map(ToString::to_string),
                head: y.map(ToString::to_string),
            }),
        }
    }
    (diffs, descend)
}

/// Walk `base` and `head` down to the first inputs that differ.
pub fn explain(nix: &Nix, base: &StorePath, head: &StorePath) -> Result<Explanation, NixError> {
    let mut differences = Vec::new();
    let mut seen: HashSet<(StorePath, StorePath)> = HashSet::new();
    let mut level: Vec<(StorePath, StorePath, Vec<String>)> =
        vec![(base.clone(), head.clone(), Vec::new())];
    let mut truncated = false;
    while !level.is_empty() {
        let paths: Vec<StorePath> = level
            .iter()
            .flat_map(|(a, b, _)| [a.clone(), b.clone()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let drvs: BTreeMap<StorePath, Derivation> = nix
            .show_derivations(&paths)?
            .into_iter()
            .map(|d| (d.path.clone(), d))
            .collect();
        let mut next = Vec::new();
        for (a, b, via) in level {
            let (Some(da), Some(db)) = (drvs.get(&a), drvs.get(&b)) else {
                continue;
            };
            let mut here = via.clone();
            here.push(da.name.clone());
            let (diffs, descend) = compare(da, db, &here, nix.store_dir());
            differences.extend(diffs);
            for (x, y) in descend {
                if seen.len() >= MAX_PAIRS {
                    truncated = true;
                    break;
                }
                if seen.insert((x.clone(), y.clone())) {
                    next.push((x, y, here.clone()));
                }
            }
        }
        level = next;
    }
    Ok(Explanation {
        base: base.to_string(),
        head: head.to_string(),
        differences,
        truncated,
    })
}

/// One line per difference, e.g.
/// `nixos-system-yoga > etc: attribute files: "{…noto…}" -> "{…hack…}"`.
impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt = |v: &Option<String>| {
            v.as_deref()
                .map_or("(none)".to_string(), |s| format!("{s:?}"))
        };
        // JSON values are shown as they are (already quoted where strings).
        let plain = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
        for d in &self.differences {
            write!(f, "{}: ", d.via.join(" > "))?;
            match &d.what {
                What::Env {
                    name,
                    path: Some(p),
                    base,
                    head,
                } => writeln!(
                    f,
                    "attribute {name} at {p}: {} -> {}",
                    plain(base),
                    plain(head)
                )?,
                What::Env {
                    name,
                    path: None,
                    base,
                    head,
                } => writeln!(f, "attribute {name}: {} -> {}", opt(base), opt(head))?,
                What::Source { name, base, head } => {
                    writeln!(f, "source {name}: {} -> {}", opt(base), opt(head))?
                }
                What::Input { name, base, head } => {
                    writeln!(f, "input {name}: {} -> {}", opt(base), opt(head))?
                }
                What::Builder { base, head } => writeln!(f, "builder: {base:?} -> {head:?}")?,
                What::Args { base, head } => writeln!(f, "arguments: {base:?} -> {head:?}")?,
                What::System { base, head } => writeln!(f, "system: {base:?} -> {head:?}")?,
            }
        }
        if self.truncated {
            writeln!(
                f,
                "(more differences below; stopped after {MAX_PAIRS} derivation pairs)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_around_their_first_difference() {
        let a = format!("{}false{}", "x".repeat(500), "y".repeat(500));
        let b = format!("{}true{}", "x".repeat(500), "y".repeat(500));
        let (x, y) = around_difference(&a, &b);
        assert_ne!(x, y);
        assert!(x.starts_with('…') && x.contains("false"), "{x}");
        assert!(y.contains("true"), "{y}");
        assert_eq!(around_difference("a", "b"), ("a".into(), "b".into()));
    }

    #[test]
    fn json_values_are_compared_key_by_key() {
        let a: serde_json::Value =
            serde_json::json!({"config": {"ssh": {"value": false}, "same": [1, 2]}, "gone": 1});
        let b: serde_json::Value =
            serde_json::json!({"config": {"ssh": {"value": true}, "same": [1, 2]}, "new": "x"});
        let mut out = Vec::new();
        json_leaves(&a, &b, &mut Vec::new(), "/nix/store", &mut out);
        assert_eq!(
            out,
            [
                (
                    "config.ssh.value".to_string(),
                    Some("false".to_string()),
                    Some("true".to_string())
                ),
                ("gone".to_string(), Some("1".to_string()), None),
                ("new".to_string(), None, Some("\"x\"".to_string())),
            ]
        );
    }
}
