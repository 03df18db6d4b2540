//! flake.lock: which root inputs changed between two versions, following
//! `follows` so that a change to an input's own dependency counts for it.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

/// Why a flake.lock cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Not JSON at all.
    #[error("flake.lock is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON without the `nodes` object every lock file has.
    #[error("flake.lock has no `nodes` object")]
    NoNodes,
}

/// A parsed flake.lock (version 7 layout: `nodes` keyed by name, a `root`
/// node whose `inputs` are the flake's inputs).
pub struct Lock {
    nodes: BTreeMap<String, Json>,
    root: String,
}

impl Lock {
    /// Parse flake.lock text.
    ///
    /// Errors: [`LockError::Json`] when it is not JSON, [`LockError::NoNodes`]
    /// when it has no `nodes` object.
    pub fn parse(text: &str) -> Result<Lock, LockError> {
        let doc: Json = serde_json::from_str(text)?;
        let nodes = doc
            .get("nodes")
            .and_then(Json::as_object)
            .ok_or(LockError::NoNodes)?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let root = doc
            .get("root")
            .and_then(Json::as_str)
            .unwrap_or("root")
            .to_string();
        Ok(Lock { nodes, root })
    }

    /// The root's input names.
    pub fn inputs(&self) -> Vec<String> {
        self.nodes
            .get(&self.root)
            .and_then(|n| n.get("inputs"))
            .and_then(Json::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The node an input reference names: a node key, or a `follows` path from the root.
    fn resolve(&self, reference: &Json, depth: usize) -> Option<String> {
        if depth > 32 {
            return None;
        }
        match reference {
            Json::String(key) => Some(key.clone()),
            Json::Array(path) => {
                let mut cur = self.root.clone();
                for step in path {
                    let r = self.nodes.get(&cur)?.get("inputs")?.get(step.as_str()?)?;
                    cur = self.resolve(r, depth + 1)?;
                }
                Some(cur)
            }
            _ => None,
        }
    }

    /// Every node an input depends on, itself included.
    pub fn closure(&self, input: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let start = self
            .nodes
            .get(&self.root)
            .and_then(|n| n.get("inputs"))
            .and_then(|i| i.get(input))
            .cloned();
        let mut stack: Vec<String> = start
            .and_then(|r| self.resolve(&r, 0))
            .into_iter()
            .collect();
        while let Some(key) = stack.pop() {
            if !out.insert(key.clone()) {
                continue;
            }
            if let Some(inputs) = self
                .nodes
                .get(&key)
                .and_then(|n| n.get("inputs"))
                .and_then(Json::as_object)
            {
                for r in inputs.values() {
                    if let Some(k) = self.resolve(r, 0) {
                        stack.push(k);
                    }
                }
            }
        }
        out
    }

    /// Where the root input `input` is fetched from, as its lock entry's
    /// `original` says it in flake reference syntax
    /// (`github:NixOS/nixpkgs/nixos-25.05`, `git+https://host/repo?ref=main`,
    /// `path:./sub`); `follows a/b` for an input that follows another;
    /// `None` when the lock has no such input.
    pub fn original(&self, input: &str) -> Option<String> {
        let reference = self.nodes.get(&self.root)?.get("inputs")?.get(input)?;
        if let Json::Array(path) = reference {
            let steps: Vec<&str> = path.iter().filter_map(Json::as_str).collect();
            return Some(format!("follows {}", steps.join("/")));
        }
        let key = self.resolve(reference, 0)?;
        let o = self.nodes.get(&key)?.get("original")?;
        let field = |k: &str| o.get(k).and_then(Json::as_str);
        let mut out = match field("type") {
            Some(t @ ("github" | "gitlab" | "sourcehut")) => {
                let mut s = format!(
                    "{t}:{}/{}",
                    field("owner").unwrap_or(""),
                    field("repo").unwrap_or("")
                );
                if let Some(r) = field("ref").or(field("rev")) {
                    s.push('/');
                    s.push_str(r);
                }
                s
            }
            Some("indirect") => {
                let mut s = field("id").unwrap_or("").to_string();
                if let Some(r) = field("ref") {
                    s.push('/');
                    s.push_str(r);
                }
                s
            }
            Some(t) => match field("url").or(field("path")) {
                Some(u) if u.starts_with(&format!("{t}:")) || u.starts_with(&format!("{t}+")) => {
                    u.to_string()
                }
                Some(u) if t == "git" || t == "hg" => format!("{t}+{u}"),
                Some(u) => format!("{t}:{u}"),
                None => o.to_string(),
            },
            None => o.to_string(),
        };
        if let Some(r) = field("ref").filter(|_| out.contains("://")) {
            out.push_str(&format!("?ref={r}"));
        }
        if self.nodes.get(&key).and_then(|n| n.get("flake")) == Some(&Json::Bool(false)) {
            out.push_str(" (flake = false)");
        }
        Some(out)
    }

    fn locked(&self, key: &str) -> Option<&Json> {
        self.nodes.get(key).and_then(|n| n.get("locked"))
    }
}

/// Root inputs whose locked closure differs between `old` and `new`.
pub fn changed_inputs(old: &Lock, new: &Lock) -> BTreeSet<String> {
    let names: BTreeSet<String> = old.inputs().into_iter().chain(new.inputs()).collect();
    names
        .into_iter()
        .filter(|name| {
            let a: BTreeMap<String, Option<&Json>> = old
                .closure(name)
                .into_iter()
                .map(|k| (k.clone(), old.locked(&k)))
                .collect();
            let b: BTreeMap<String, Option<&Json>> = new
                .closure(name)
                .into_iter()
                .map(|k| (k.clone(), new.locked(&k)))
                .collect();
            // Compare what is locked, not the node keys (which Nix may rename).
            let av: BTreeSet<String> = a.values().map(|v| format!("{v:?}")).collect();
            let bv: BTreeSet<String> = b.values().map(|v| format!("{v:?}")).collect();
            av != bv
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(nixpkgs_rev: &str, disko_rev: &str) -> Lock {
        Lock::parse(&format!(
            r#"{{"nodes":{{
              "root":{{"inputs":{{"nixpkgs":"nixpkgs","disko":"disko","home-manager":"home-manager"}}}},
              "nixpkgs":{{"locked":{{"rev":"{nixpkgs_rev}"}}}},
              "disko":{{"locked":{{"rev":"{disko_rev}"}},"inputs":{{"nixpkgs":["nixpkgs"]}}}},
              "home-manager":{{"locked":{{"rev":"h"}}}}
            }},"root":"root","version":7}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_followed_input_changes_its_followers() {
        let changed = changed_inputs(&lock("a", "d"), &lock("b", "d"));
        assert_eq!(
            changed.into_iter().collect::<Vec<_>>(),
            ["disko", "nixpkgs"]
        );
    }

    #[test]
    fn one_input_changes_alone() {
        let changed = changed_inputs(&lock("a", "d"), &lock("a", "e"));
        assert_eq!(changed.into_iter().collect::<Vec<_>>(), ["disko"]);
    }

    #[test]
    fn originals_read_as_flake_references() {
        let l = Lock::parse(
            r#"{"nodes":{
              "root":{"inputs":{"nixpkgs":"nixpkgs","hm":"hm","local":"local","n2":["nixpkgs"]}},
              "nixpkgs":{"locked":{"rev":"a"},"original":{"type":"github","owner":"NixOS","repo":"nixpkgs","ref":"nixos-25.05"}},
              "hm":{"locked":{"rev":"b"},"original":{"type":"git","url":"https://example.org/hm","ref":"main"}},
              "local":{"locked":{"path":"./sub"},"original":{"type":"path","path":"./sub"},"flake":false}
            },"root":"root","version":7}"#,
        )
        .unwrap();
        assert_eq!(
            l.original("nixpkgs").as_deref(),
            Some("github:NixOS/nixpkgs/nixos-25.05")
        );
        assert_eq!(
            l.original("hm").as_deref(),
            Some("git+https://example.org/hm?ref=main")
        );
        assert_eq!(
            l.original("local").as_deref(),
            Some("path:./sub (flake = false)")
        );
        assert_eq!(l.original("n2").as_deref(), Some("follows nixpkgs"));
        assert_eq!(l.original("gone"), None);
    }

    #[test]
    fn broken_lock_is_an_error() {
        assert!(Lock::parse("{").is_err());
        assert!(Lock::parse("{}").is_err());
    }
}
