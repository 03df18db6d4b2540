//! The host/module graph as JSON, Graphviz dot or Mermaid.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::flake::FlakeModel;

/// How `graph` renders. Variants carry no doc comments on purpose: clap
/// would show them in `--help`, whose text stays a plain list of values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Dot,
    Mermaid,
    Json,
}

/// Nodes (`host:<name>` for hosts, repository paths for files) and edges.
pub struct Graph {
    pub hosts: Vec<String>,
    pub files: BTreeSet<String>,
    pub edges: BTreeSet<(String, String)>,
}

pub fn build(model: &FlakeModel, only: Option<&str>) -> Graph {
    let mut g = Graph {
        hosts: vec![],
        files: BTreeSet::new(),
        edges: BTreeSet::new(),
    };
    for h in model
        .hosts
        .iter()
        .filter(|h| only.is_none_or(|o| o == h.name))
    {
        let hid = format!("host:{}", h.name);
        g.hosts.push(h.name.clone());
        for (from, to) in &h.deps.edges() {
            let from = if from == "flake.nix" {
                hid.clone()
            } else {
                from.clone()
            };
            if from != hid {
                g.files.insert(from.clone());
            }
            g.files.insert(to.clone());
            g.edges.insert((from, to.clone()));
        }
    }
    g
}

pub fn json(g: &Graph) -> serde_json::Value {
    let mut nodes: Vec<_> = g
        .hosts
        .iter()
        .map(|h| json!({"id": format!("host:{h}"), "kind": "host", "name": h}))
        .collect();
    nodes.extend(g.files.iter().map(|f| json!({"id": f, "kind": "file"})));
    let edges: Vec<_> = g
        .edges
        .iter()
        .map(|(a, b)| json!({"from": a, "to": b}))
        .collect();
    json!({"nodes": nodes, "edges": edges})
}

pub fn dot(g: &Graph) -> String {
    let mut out = String::from(
        "digraph openspec {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for h in &g.hosts {
        out.push_str(&format!(
            "  {} [label={}, shape=ellipse, style=bold];\n",
            quote(&format!("host:{h}")),
            quote(h)
        ));
    }
    for (a, b) in &g.edges {
        out.push_str(&format!("  {} -> {};\n", quote(a), quote(b)));
    }
    out.push_str("}\n");
    out
}

pub fn mermaid(g: &Graph) -> String {
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut out = String::from("graph LR\n");
    for (i, h) in g.hosts.iter().enumerate() {
        let id = format!("h{i}");
        out.push_str(&format!("  {id}([\"{}\"])\n", h.replace('"', "#quot;")));
        ids.insert(format!("host:{h}"), id);
    }
    for (i, f) in g.files.iter().enumerate() {
        let id = format!("f{i}");
        out.push_str(&format!("  {id}[\"{}\"]\n", f.replace('"', "#quot;")));
        ids.insert(f.clone(), id);
    }
    for (a, b) in &g.edges {
        if let (Some(x), Some(y)) = (ids.get(a), ids.get(b)) {
            out.push_str(&format!("  {x} --> {y}\n"));
        }
    }
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
