//! From references to dependency sets: walk every file once (in parallel),
//! walk each host's entry, then follow references per host.
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;

use rayon::prelude::*;

use super::eval::Eval;
use super::source::SourceTree;
use super::walk::{Ref, RefKind, Walker};
use super::{Diagnostic, FlakeModel, Host, Level, Location, hosts};

/// Everything one host depends on. Serialised in the `hosts --json` shape.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Deps {
    pub files: BTreeSet<String>,
    /// Directories whose every file is a dependency (stored without, printed with a trailing `/`).
    #[serde(serialize_with = "with_slash")]
    pub directories: BTreeSet<String>,
    /// Directories whose listing is read (readDir): adding or removing an entry matters.
    #[serde(serialize_with = "with_slash")]
    pub listings: BTreeSet<String>,
    pub globs: BTreeSet<String>,
    pub whole_source: bool,
    /// Why the host depends on the whole source: (file, line, reason).
    #[serde(skip)]
    pub whole_source_reasons: Vec<(String, u32, String)>,
    /// Input names; "*" when the host may use any input.
    pub inputs: BTreeSet<String>,
    /// The .nix files the host reaches.
    #[serde(skip)]
    pub reached: BTreeSet<String>,
    /// Reached files that implement a `nixosSystem` rather than configure the host.
    #[serde(skip)]
    pub machinery: BTreeSet<String>,
    /// How each dependency was reached: target -> (referencing file, line).
    #[serde(skip)]
    pub parent: BTreeMap<String, (String, u32)>,
    #[serde(skip)]
    pub edges: BTreeSet<(String, String)>,
}

fn with_slash<S: serde::Serializer>(dirs: &BTreeSet<String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(dirs.iter().map(|d| format!("{d}/")))
}

impl Deps {
    /// The chain of files from flake.nix to `target`.
    pub fn via(&self, target: &str) -> Vec<String> {
        let mut chain = vec![target.to_string()];
        let mut seen = BTreeSet::new();
        let mut cur = target.to_string();
        while let Some((p, _)) = self.parent.get(&cur) {
            if !seen.insert(p.clone()) || p == &cur {
                break;
            }
            chain.push(p.clone());
            cur = p.clone();
        }
        if chain.last().map(String::as_str) != Some("flake.nix") {
            chain.push("flake.nix".into());
        }
        chain.reverse();
        chain.dedup();
        chain
    }
}

pub fn build(tree: SourceTree) -> FlakeModel {
    let shared = std::sync::Arc::new(tree);
    let tree = &*shared;
    // 1. Every parsable .nix file, walked once as a module (arguments unknown).
    let file_refs: HashMap<String, Vec<Ref>> = tree
        .nix
        .par_iter()
        .filter(|(_, f)| f.error.is_none())
        .map_init(
            || new_eval(tree),
            |ev, (rel, _)| {
                ev.refuel();
                let mut w = Walker::new(ev);
                w.walk_file(rel);
                (rel.clone(), dedup(w.refs))
            },
        )
        .collect();

    // 2. Hosts: discovered on each worker (their values are not Send), walked from their entries.
    let mut diagnostics = vec![];
    let (names, inputs) = {
        let ev = new_eval(tree);
        let found = hosts::discover(&ev, &mut diagnostics);
        let names: Vec<(String, &'static str, u32)> = found
            .iter()
            .map(|h| (h.name.clone(), h.kind, h.line))
            .collect();
        (names, ev.input_names.clone())
    };
    let entry_refs: Vec<Vec<Ref>> = (0..names.len())
        .into_par_iter()
        .map_init(
            || {
                let ev = new_eval(tree);
                let found = hosts::discover(&ev, &mut vec![]);
                (ev, found)
            },
            |(ev, found), i| {
                ev.refuel();
                let mut w = Walker::new(ev);
                if let Some(h) = found.get(i) {
                    w.walk_thunk(
                        &h.thunk.clone(),
                        super::walk::Usage::Value,
                        "flake.nix",
                        h.line,
                    );
                }
                dedup(w.refs)
            },
        )
        .collect();

    // 3. Follow references per host.
    let glob_cache = GlobCache::default();
    let results: Vec<(Deps, Vec<Diagnostic>)> = entry_refs
        .into_par_iter()
        .map(|refs| follow(tree, &file_refs, refs, &inputs, &glob_cache))
        .collect();

    let mut reached_any = BTreeSet::new();
    let mut diag_set: BTreeSet<Diagnostic> = diagnostics.into_iter().collect();
    let mut hosts_out = vec![];
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ((name, kind, line), (deps, diags)) in names.into_iter().zip(results) {
        reached_any.extend(deps.reached.iter().cloned());
        diag_set.extend(diags);
        for (a, b) in &deps.edges {
            edges.entry(a.clone()).or_default().insert(b.clone());
        }
        hosts_out.push(Host {
            name,
            kind: kind.to_string(),
            entry: Location {
                file: "flake.nix".into(),
                line,
            },
            deps,
        });
    }
    reached_any.insert("flake.nix".to_string());
    for (rel, f) in &tree.nix {
        if let Some((line, col, msg)) = &f.error {
            let reached = reached_any.contains(rel);
            diag_set.insert(Diagnostic {
                level: if reached { Level::Error } else { Level::Warning },
                kind: "parse-error".into(),
                file: rel.clone(),
                line: *line,
                message: if reached {
                    format!("{line}:{col}: {msg}; fix the file (a host reaches it, so every host that does is assumed affected by any change)")
                } else {
                    format!("{line}:{col}: {msg} (no host reaches this file)")
                },
            });
        }
    }
    FlakeModel {
        root: tree.root.clone(),
        hosts: hosts_out,
        diagnostics: diag_set.into_iter().collect(),
        inputs,
        edges,
        tree: Some(shared.clone()),
    }
}

fn new_eval(tree: &SourceTree) -> Eval<'_> {
    let mut ev = Eval::new(tree);
    hosts::prepare(&mut ev);
    ev
}

fn dedup(mut refs: Vec<Ref>) -> Vec<Ref> {
    refs.sort();
    refs.dedup();
    refs
}

/// A glob's matching .nix files, computed once for all hosts.
#[derive(Default)]
struct GlobCache(Mutex<HashMap<String, Vec<String>>>);

impl GlobCache {
    /// The .nix files (and directories' default.nix) a glob can name.
    fn nix_matches(&self, tree: &SourceTree, pattern: &str) -> Vec<String> {
        if let Some(m) = self.0.lock().ok().and_then(|c| c.get(pattern).cloned()) {
            return m;
        }
        let matcher = compile_glob(pattern);
        let matches: Vec<String> = match &matcher {
            Some(m) => {
                let mut v: Vec<String> = tree
                    .nix
                    .keys()
                    .filter(|f| m.is_match(f.as_str()))
                    .cloned()
                    .collect();
                for d in tree
                    .dirs
                    .iter()
                    .filter(|d| !d.is_empty() && m.is_match(d.as_str()))
                {
                    let f = super::eval::module_file(d);
                    if tree.nix.contains_key(&f) {
                        v.push(f);
                    }
                }
                v
            }
            None => tree.nix.keys().cloned().collect(),
        };
        if let Ok(mut c) = self.0.lock() {
            c.insert(pattern.to_string(), matches.clone());
        }
        matches
    }
}

/// `*` in our globs spans `/` (an interpolated value may hold one).
pub fn compile_glob(pattern: &str) -> Option<globset::GlobMatcher> {
    let escaped: String = pattern
        .chars()
        .map(|c| match c {
            '?' | '[' | ']' | '{' | '}' => format!("[{c}]"),
            c => c.to_string(),
        })
        .collect();
    globset::GlobBuilder::new(&escaped)
        .literal_separator(false)
        .build()
        .ok()
        .map(|g| g.compile_matcher())
}

/// What implements a local `nixosSystem`, and whatever only such files name:
/// reached, but configuring nothing (the enable-option layer skips them).
fn machinery(d: &Deps, targets: BTreeSet<String>) -> BTreeSet<String> {
    if targets.is_empty() {
        return targets;
    }
    let mut incoming: HashMap<&str, Vec<&str>> = HashMap::new();
    for (from, to) in &d.edges {
        incoming.entry(to.as_str()).or_default().push(from.as_str());
    }
    let mut set = targets;
    loop {
        let more: Vec<String> = d
            .reached
            .iter()
            .filter(|f| !set.contains(*f) && f.as_str() != "flake.nix")
            .filter(|f| {
                incoming
                    .get(f.as_str())
                    .is_some_and(|ins| ins.iter().all(|i| set.contains(*i)))
            })
            .cloned()
            .collect();
        if more.is_empty() {
            return set;
        }
        set.extend(more);
    }
}

fn follow(
    tree: &SourceTree,
    file_refs: &HashMap<String, Vec<Ref>>,
    entry: Vec<Ref>,
    declared_inputs: &[String],
    globs: &GlobCache,
) -> (Deps, Vec<Diagnostic>) {
    let mut d = Deps::default();
    let mut diags = vec![];
    d.files.insert("flake.nix".into());
    d.files.insert("flake.lock".into());
    d.reached.insert("flake.nix".into());
    if declared_inputs.iter().any(|i| i == "nixpkgs") {
        d.inputs.insert("nixpkgs".into());
    }
    let mut queue: VecDeque<Ref> = entry.into();
    let mut expanded: BTreeSet<String> = BTreeSet::new();
    let mut machinery_targets: BTreeSet<String> = BTreeSet::new();
    let mut reach = |d: &mut Deps,
                     queue: &mut VecDeque<Ref>,
                     target: &str,
                     from: &str,
                     line: u32,
                     expand: bool| {
        d.files.insert(target.to_string());
        if from != target {
            d.parent
                .entry(target.to_string())
                .or_insert((from.to_string(), line));
        }
        if let Some(f) = tree.nix.get(target) {
            if from != target {
                d.edges.insert((from.to_string(), target.to_string()));
            }
            d.reached.insert(target.to_string());
            if f.error.is_some() {
                d.whole_source = true;
                d.whole_source_reasons.push((
                    target.to_string(),
                    1,
                    "a reached file does not parse".into(),
                ));
            } else if expand
                && expanded.insert(target.to_string())
                && let Some(refs) = file_refs.get(target)
            {
                queue.extend(refs.iter().cloned());
            }
        }
    };
    while let Some(r) = queue.pop_front() {
        let diag = |level: Level, kind: &str, message: String| Diagnostic {
            level,
            kind: kind.into(),
            file: r.from.clone(),
            line: r.line,
            message,
        };
        match r.kind {
            RefKind::File | RefKind::FileWalked | RefKind::Machinery => {
                if r.kind == RefKind::Machinery {
                    machinery_targets.insert(r.target.clone());
                }
                reach(&mut d, &mut queue, &r.target, &r.from, r.line, r.kind != RefKind::FileWalked);
                if !tree.is_file(&r.target) && !tree.is_dir(&r.target) {
                    diags.push(diag(
                        Level::Warning,
                        "dangling-path",
                        format!("`{}` does not exist; create it or fix the reference (the host still depends on it)", r.target),
                    ));
                } else if tree.broken_links.contains(&r.target) {
                    diags.push(diag(
                        Level::Warning,
                        "dangling-path",
                        format!("`{}` is a symlink that resolves to nothing (dangling or a loop); fix the link", r.target),
                    ));
                }
            }
            RefKind::Dir | RefKind::Tree => {
                d.directories.insert(r.target.clone());
                d.parent.entry(format!("{}/", r.target)).or_insert((r.from.clone(), r.line));
                diags.push(diag(Level::Info, "directory", format!("every file under `{}/` is a dependency", r.target)));
                if r.kind == RefKind::Tree {
                    let under: Vec<String> = tree.files_under(&r.target).filter(|f| tree.nix.contains_key(*f)).cloned().collect();
                    for f in under {
                        reach(&mut d, &mut queue, &f, &r.from, r.line, true);
                    }
                }
            }
            RefKind::Listing => {
                d.listings.insert(r.target.clone());
                d.parent.entry(format!("{}/", r.target)).or_insert((r.from.clone(), r.line));
                diags.push(diag(
                    Level::Info,
                    "directory",
                    format!("the listing of `{}/` is read: adding or removing a file there is a change", r.target),
                ));
            }
            RefKind::Glob => {
                d.globs.insert(r.target.clone());
                d.parent.entry(r.target.clone()).or_insert((r.from.clone(), r.line));
                diags.push(diag(
                    Level::Info,
                    "glob",
                    format!("an interpolated path could not be resolved; every path matching `{}` is a dependency", r.target),
                ));
                for f in globs.nix_matches(tree, &r.target) {
                    reach(&mut d, &mut queue, &f, &r.from, r.line, true);
                }
            }
            RefKind::Outside => diags.push(diag(
                Level::Warning,
                "outside-root",
                format!("`{}` leaves the flake's root; Nix refuses it in pure evaluation, keep paths inside the repository", r.target),
            )),
            RefKind::Input => {
                d.inputs.insert(r.target.clone());
            }
            RefKind::WholeSource | RefKind::Unresolved => {
                d.whole_source = true;
                d.whole_source_reasons.push((r.from.clone(), r.line, r.target.clone()));
                let (kind, msg) = if r.kind == RefKind::WholeSource {
                    ("whole-source", format!("{}: the host depends on every tracked file", r.target))
                } else {
                    ("unresolved", format!("{} cannot be resolved statically: the host is assumed to depend on the whole repository", r.target))
                };
                diags.push(diag(Level::Warning, kind, msg));
            }
        }
    }
    d.machinery = machinery(&d, machinery_targets);
    (d, diags)
}
