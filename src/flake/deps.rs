//! From references to dependency sets. Every file is walked once (in
//! parallel) into a graph shared by all hosts; each host's entry is walked on
//! its own, then the host's reach is a walk over that graph with bitsets, so
//! 200 hosts over 10,000 modules cost little more than one.
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::Serialize;

use super::eval::Eval;
use super::intern::{NameSet, Names};
use super::source::SourceTree;
use super::walk::{Ref, Target, Walker};
use super::{Diagnostic, FlakeModel, Host, Location, hosts};

/// The files every host shares: per .nix file, the files it names and its
/// other references.
#[derive(Debug, Default)]
pub struct Graph {
    /// Every name a dependency can have.
    pub names: Arc<Names>,
    /// Per name: (target, followed) for each file it names (imports, reads, …).
    out: Vec<Vec<(u32, bool)>>,
    /// Per name: references that are not files (directories, globs, inputs, …).
    other: Vec<Vec<Ref>>,
    /// Per name: a parsed .nix file (followed when named) / one that does not parse.
    nix: Vec<bool>,
    /// Per name: a .nix file that does not parse.
    broken: Vec<bool>,
}

/// Everything one host depends on. Serialised in the `hosts --json` shape.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Deps {
    /// Every file the host depends on (repository paths, sorted), flake.nix
    /// and flake.lock included.
    pub files: NameSet,
    /// Directories whose every file is a dependency (stored without, printed with a trailing `/`).
    #[serde(serialize_with = "with_slash")]
    pub directories: BTreeSet<String>,
    /// Directories whose listing is read (readDir): adding or removing an entry matters.
    #[serde(serialize_with = "with_slash")]
    pub listings: BTreeSet<String>,
    /// Patterns (`*` spans `/`) whose every match is a dependency.
    pub globs: BTreeSet<String>,
    /// The host depends on every tracked file.
    pub whole_source: bool,
    /// Why the host depends on the whole source: (file, line, reason).
    #[serde(skip)]
    pub whole_source_reasons: Vec<(String, u32, String)>,
    /// Input names; "*" when the host may use any input.
    pub inputs: BTreeSet<String>,
    /// The .nix files the host reaches.
    #[serde(skip)]
    pub reached: NameSet,
    /// Reached files that implement a `nixosSystem` rather than configure the host.
    #[serde(skip)]
    pub machinery: BTreeSet<String>,
    /// The host's own references (from its entry in flake.nix and helpers walked for it).
    #[serde(skip)]
    entry: Vec<Ref>,
    #[serde(skip)]
    graph: Arc<Graph>,
}

fn with_slash<S: serde::Serializer>(dirs: &BTreeSet<String>, s: S) -> Result<S::Ok, S::Error> {
    // The root itself (a readDir of `./.` in flake.nix's directory) is `./`.
    s.collect_seq(dirs.iter().map(|d| {
        if d.is_empty() {
            "./".to_string()
        } else {
            format!("{d}/")
        }
    }))
}

impl Deps {
    /// The chain of files from flake.nix to `target` (a file, `dir/` for a
    /// directory or listing, or a glob pattern).
    pub fn via(&self, target: &str) -> Vec<String> {
        let g = &self.graph;
        let key = target.strip_suffix('/');
        let names_it = |r: &Ref| match key {
            Some(dir) => r.target.directory().is_some_and(|d| d.as_str() == dir),
            None => r.target.text() == target,
        };
        // The host's own references first: flake.nix (-> helper) -> target.
        let mut parent: HashMap<u32, u32> = HashMap::new();
        let mut queue: VecDeque<u32> = VecDeque::new();
        let mut first_hop: HashMap<u32, &Ref> = HashMap::new();
        for r in &self.entry {
            if names_it(r) {
                return entry_chain(r, target);
            }
            if let Some(id) = r.target.file().and_then(|f| g.names.id(f))
                && self.reached.has(id)
                && !first_hop.contains_key(&id)
            {
                first_hop.insert(id, r);
                queue.push_back(id);
            }
        }
        let target_id = g.names.id(target);
        while let Some(id) = queue.pop_front() {
            let hit = Some(id) == target_id || g.other[id as usize].iter().any(names_it);
            let hit_child = g.out[id as usize]
                .iter()
                .find(|(t, _)| Some(*t) == target_id && !self.reached.has(*t));
            if hit || hit_child.is_some() {
                // Nodes back to the first hop, then the entry's own prefix.
                let mut nodes = vec![];
                let mut cur = id;
                loop {
                    nodes.push(g.names.name(cur).to_string());
                    match parent.get(&cur) {
                        Some(p) => cur = *p,
                        None => break,
                    }
                }
                let prefix = entry_chain(first_hop[&cur], "");
                let mut chain: Vec<String> = prefix[..prefix.len() - 1].to_vec();
                chain.extend(nodes.into_iter().rev());
                if let Some((t, _)) = hit_child {
                    chain.push(g.names.name(*t).to_string());
                } else if chain.last().map(String::as_str) != Some(target) {
                    chain.push(target.to_string());
                }
                return chain;
            }
            for &(t, follow) in &g.out[id as usize] {
                if follow
                    && self.reached.has(t)
                    && !parent.contains_key(&t)
                    && !first_hop.contains_key(&t)
                {
                    parent.insert(t, id);
                    queue.push_back(t);
                }
            }
        }
        vec!["flake.nix".into(), target.to_string()]
    }

    /// Edges between the .nix files this host reaches (flake.nix for its entry).
    pub fn edges(&self) -> BTreeSet<(String, String)> {
        let g = &self.graph;
        let mut out = BTreeSet::new();
        for (r, f) in self.entry_files_with_refs() {
            if g.names.id(f).is_some_and(|id| self.reached.has(id)) && r.from != f.as_str() {
                out.insert((r.from.clone(), f.to_string()));
            }
        }
        for id in self.reached.ids() {
            for &(t, _) in &g.out[id as usize] {
                if t != id && self.reached.has(t) {
                    out.insert((g.names.name(id).to_string(), g.names.name(t).to_string()));
                }
            }
        }
        out
    }

    /// The files the host's entry in flake.nix names itself.
    pub fn entry_files(&self) -> BTreeSet<String> {
        self.entry_files_with_refs()
            .filter(|(r, _)| r.from == "flake.nix")
            .map(|(_, f)| f.to_string())
            .collect()
    }

    /// The host's own file references, each with the file it names.
    fn entry_files_with_refs(&self) -> impl Iterator<Item = (&Ref, &super::RepoPath)> {
        self.entry
            .iter()
            .filter_map(|r| r.target.file().map(|f| (r, f)))
    }
}

/// flake.nix -> (the helper that named it) -> target
fn entry_chain(r: &Ref, target: &str) -> Vec<String> {
    let mut chain = vec!["flake.nix".to_string()];
    if r.from != "flake.nix" {
        chain.push(r.from.clone());
    }
    chain.push(r.target.text().to_string());
    if !target.is_empty() && r.target.text() != target {
        chain.push(target.to_string());
    }
    chain
}

/// The model of a parsed tree. `shortcuts` off walks every file in full
/// (see `module_refs`): slower, for the tests that check the shortcuts.
pub fn build(tree: SourceTree, shortcuts: bool) -> FlakeModel {
    let shared = Arc::new(tree);
    let tree = &*shared;
    // 1. Every parsable .nix file, walked once as a module (arguments unknown).
    // flake.nix is read per host, from each host's entry, never as a whole.
    // Largest files first, one at a time per worker: a few big files must not
    // land on the same thread.
    let mut work: Vec<(&String, usize)> = tree
        .nix
        .iter()
        // An inert file names nothing when walked; its walk is skipped.
        .filter(|(rel, f)| {
            f.error.is_none() && !(shortcuts && f.inert) && rel.as_str() != "flake.nix"
        })
        .map(|(rel, f)| (rel, f.size()))
        .collect();
    work.sort_by_key(|w| std::cmp::Reverse(w.1));
    let file_refs: Vec<(String, Vec<Ref>)> = per_worker(
        &work,
        || new_eval(tree),
        |ev, (rel, _)| ((*rel).clone(), walk_module(ev, rel, shortcuts)),
    );

    crate::timing::phase("walk every file");
    // 2. Hosts: discovered on each worker (their values are not Send), walked from their entries.
    let mut diagnostics = vec![];
    let (host_names, inputs) = {
        let ev = new_eval(tree);
        let found = hosts::discover(&ev, &mut diagnostics);
        let names: Vec<(String, &'static str, u32)> = found
            .iter()
            .map(|h| (h.name.clone(), h.kind, h.line))
            .collect();
        (names, ev.input_names.clone())
    };
    let entry_refs: Vec<Vec<Ref>> = (0..host_names.len())
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

    crate::timing::phase("walk each host's entry");
    // 3. The shared graph over interned names.
    let globs = GlobCache::default();
    let graph = Arc::new(build_graph(tree, &file_refs, &entry_refs, &globs));

    crate::timing::phase("graph");
    // 4. Follow references per host.
    let results: Vec<(Deps, Vec<Diagnostic>)> = entry_refs
        .into_par_iter()
        .map(|refs| follow(tree, &graph, refs, &inputs, &globs))
        .collect();

    crate::timing::phase("follow per host");
    let mut reached_any = NameSet::new(&graph.names);
    let mut diag_set: BTreeSet<Diagnostic> = diagnostics.into_iter().collect();
    let mut hosts_out = vec![];
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for ((name, kind, line), (deps, diags)) in host_names.into_iter().zip(results) {
        reached_any.union(&deps.reached);
        diag_set.extend(diags);
        for (r, f) in deps
            .entry_files_with_refs()
            .filter(|(r, f)| r.from != f.as_str())
        {
            if graph
                .names
                .id(f)
                .is_some_and(|id| graph.nix[id as usize] || graph.broken[id as usize])
            {
                edges
                    .entry(r.from.clone())
                    .or_default()
                    .insert(f.to_string());
            }
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
    // Edges between reached .nix files, from the shared graph.
    for id in reached_any.ids() {
        for &(t, _) in &graph.out[id as usize] {
            if t != id && reached_any.has(t) {
                edges
                    .entry(graph.names.name(id).to_string())
                    .or_default()
                    .insert(graph.names.name(t).to_string());
            }
        }
    }
    // Findings of the files some host reaches, once each.
    let refs_by_file: HashMap<&str, &Vec<Ref>> =
        file_refs.iter().map(|(f, r)| (f.as_str(), r)).collect();
    for id in reached_any.ids() {
        if let Some(refs) = refs_by_file.get(graph.names.name(id)) {
            diag_set.extend(refs.iter().filter_map(|r| Diagnostic::of_ref(tree, r)));
        }
    }
    let reached_names: BTreeSet<&str> = reached_any.iter().collect();
    for (rel, f) in &tree.nix {
        if let Some((line, col, msg)) = &f.error {
            let reached = rel == "flake.nix" || reached_names.contains(rel.as_str());
            diag_set.insert(Diagnostic::parse_error(rel, *line, *col, msg, reached));
        }
    }
    crate::timing::phase("diagnostics and edges");
    FlakeModel {
        root: tree.root.clone(),
        hosts: hosts_out,
        diagnostics: diag_set.into_iter().collect(),
        inputs,
        edges,
        tree: Some(shared.clone()),
    }
}

fn build_graph(
    tree: &SourceTree,
    file_refs: &[(String, Vec<Ref>)],
    entry_refs: &[Vec<Ref>],
    globs: &GlobCache,
) -> Graph {
    let mut all: BTreeSet<String> = tree.nix.keys().cloned().collect();
    all.insert("flake.nix".into());
    all.insert("flake.lock".into());
    for r in file_refs
        .iter()
        .flat_map(|(_, r)| r)
        .chain(entry_refs.iter().flatten())
    {
        if let Some(f) = r.target.file() {
            all.insert(f.to_string());
        }
    }
    let names = Arc::new(Names::new(all));
    let n = names.len();
    let mut g = Graph {
        names: names.clone(),
        out: vec![vec![]; n],
        other: vec![vec![]; n],
        nix: vec![false; n],
        broken: vec![false; n],
    };
    for (rel, f) in &tree.nix {
        if let Some(id) = names.id(rel) {
            g.nix[id as usize] = f.error.is_none();
            g.broken[id as usize] = f.error.is_some();
        }
    }
    for (rel, refs) in file_refs {
        // flake.nix is read per host, from each host's entry, never as a whole.
        if rel == "flake.nix" {
            continue;
        }
        let Some(id) = names.id(rel) else { continue };
        let (out, other) = (&mut g.out[id as usize], &mut g.other[id as usize]);
        for r in refs {
            match &r.target {
                t if t.file().is_some() => {
                    if let Some(id) = t.file().and_then(|f| names.id(f)) {
                        out.push((id, t.followed()));
                    }
                }
                Target::Glob(_) | Target::Tree(_) => {
                    for f in expansions(tree, globs, r) {
                        if let Some(t) = names.id(&f) {
                            out.push((t, true));
                        }
                    }
                    other.push(r.clone());
                }
                _ => other.push(r.clone()),
            }
        }
        out.sort_unstable();
        out.dedup();
    }
    g
}

/// The .nix files a glob or a recursively imported tree can name.
fn expansions(tree: &SourceTree, globs: &GlobCache, r: &Ref) -> Vec<String> {
    match &r.target {
        Target::Glob(g) => globs.nix_matches(tree, g),
        Target::Tree(dir) => tree
            .files_under(dir)
            .filter(|f| tree.nix.contains_key(*f))
            .cloned()
            .collect(),
        _ => vec![],
    }
}

/// `items` mapped on every worker of the current pool, each worker taking the
/// next item as it finishes one (big items do not pile up on one thread) and
/// keeping one state (an evaluator, whose values are not `Send`) for all it takes.
fn per_worker<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    rayon::scope(|scope| {
        for _ in 0..rayon::current_num_threads().min(items.len()).max(1) {
            scope.spawn(|_| {
                let mut state = init();
                let mut mine = vec![];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    mine.push((i, f(&mut state, item)));
                }
                if let Ok(mut all) = results.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let mut all = results.into_inner().unwrap_or_default();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// One file's references from its module walk as `build` takes them, or,
/// with `shortcuts` off, from a walk that ignores `NixFile::inert`,
/// `NixFile::pathless` and `Walker::foreign` (for the tests that check those
/// shortcuts lose nothing).
pub fn module_refs(tree: &SourceTree, rel: &str, shortcuts: bool) -> Vec<Ref> {
    match tree.nix.get(rel) {
        Some(f) if f.error.is_none() && !(shortcuts && f.inert) => {
            walk_module(&new_eval(tree), rel, shortcuts)
        }
        _ => vec![],
    }
}

/// The walk of one parsed file as a module, on a worker's evaluator.
fn walk_module(ev: &Eval<'_>, rel: &str, shortcuts: bool) -> Vec<Ref> {
    ev.refuel_module(shortcuts && ev.tree.nix.get(rel).is_some_and(|f| f.pathless));
    let mut w = Walker::new(ev);
    w.walk_file(rel, shortcuts);
    dedup(w.refs)
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
        let matches: Vec<String> = match super::path::compile_glob(pattern) {
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
                    let f = super::path::module_file(d);
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

/// The per-host part of a reference that is not a file.
fn apply_other(d: &mut Deps, r: &Ref) {
    match &r.target {
        Target::Dir(p) | Target::Tree(p) => {
            d.directories.insert(p.to_string());
        }
        Target::Listing(p) => {
            d.listings.insert(p.to_string());
        }
        Target::Glob(g) => {
            d.globs.insert(g.clone());
        }
        Target::Input(i) => {
            d.inputs.insert(i.clone());
        }
        Target::WholeSource(why) | Target::Unresolved(why) => {
            d.whole_source = true;
            d.whole_source_reasons
                .push((r.from.clone(), r.line, why.clone()));
        }
        _ => {}
    }
}

fn follow(
    tree: &SourceTree,
    g: &Arc<Graph>,
    entry: Vec<Ref>,
    declared_inputs: &[String],
    globs: &GlobCache,
) -> (Deps, Vec<Diagnostic>) {
    let names = &g.names;
    let mut d = Deps {
        files: NameSet::new(names),
        reached: NameSet::new(names),
        graph: g.clone(),
        ..Default::default()
    };
    let diags: Vec<Diagnostic> = entry
        .iter()
        .filter_map(|r| Diagnostic::of_ref(tree, r))
        .collect();
    for special in ["flake.nix", "flake.lock"] {
        if let Some(id) = names.id(special) {
            d.files.insert(id);
        }
    }
    if let Some(id) = names.id("flake.nix") {
        d.reached.insert(id);
    }
    if declared_inputs.iter().any(|i| i == "nixpkgs") {
        d.inputs.insert("nixpkgs".into());
    }
    let mut queue: Vec<u32> = vec![];
    let mut expanded = NameSet::new(names);
    let mut machinery_targets = BTreeSet::new();
    // A file named with `follow` is walked through its own references once; one
    // named without it (walked bound by the host's entry) is a dependency only.
    let mut name_file = |d: &mut Deps, queue: &mut Vec<u32>, t: u32, follow: bool| {
        d.files.insert(t);
        let i = t as usize;
        if g.broken[i] {
            if d.reached.insert(t) {
                d.whole_source = true;
                d.whole_source_reasons.push((
                    names.name(t).to_string(),
                    1,
                    "a reached file does not parse".into(),
                ));
            }
        } else if g.nix[i] {
            d.reached.insert(t);
            if follow && expanded.insert(t) {
                queue.push(t);
            }
        }
    };
    for r in &entry {
        if let Some(f) = r.target.file() {
            if let Target::Machinery(m) = &r.target {
                machinery_targets.insert(m.to_string());
            }
            if let Some(t) = names.id(f) {
                name_file(&mut d, &mut queue, t, r.target.followed());
            }
        } else {
            for f in expansions(tree, globs, r) {
                if let Some(t) = names.id(&f) {
                    name_file(&mut d, &mut queue, t, true);
                }
            }
            apply_other(&mut d, r);
        }
    }
    while let Some(id) = queue.pop() {
        for &(t, follow) in &g.out[id as usize] {
            name_file(&mut d, &mut queue, t, follow);
        }
        for r in &g.other[id as usize] {
            apply_other(&mut d, r);
        }
    }
    d.entry = entry;
    if !machinery_targets.is_empty() {
        d.machinery = machinery(&d, machinery_targets);
    }
    (d, diags)
}

/// What implements a local `nixosSystem`, and whatever only such files name:
/// reached, but configuring nothing (the enable-option layer skips them).
fn machinery(d: &Deps, targets: BTreeSet<String>) -> BTreeSet<String> {
    let g = &d.graph;
    let mut incoming: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut entry_named: BTreeSet<u32> = BTreeSet::new();
    for id in d.reached.ids() {
        for &(t, _) in &g.out[id as usize] {
            if t != id {
                incoming.entry(t).or_default().push(id);
            }
        }
    }
    let mut set: BTreeSet<u32> = targets.iter().filter_map(|t| g.names.id(t)).collect();
    for (r, f) in d.entry_files_with_refs() {
        let Some(t) = g.names.id(f) else {
            continue;
        };
        match g.names.id(&r.from) {
            Some(from) if r.from != "flake.nix" && from != t => {
                incoming.entry(t).or_default().push(from)
            }
            _ if !matches!(r.target, Target::Machinery(_)) => {
                entry_named.insert(t);
            }
            _ => {}
        }
    }
    loop {
        let more: Vec<u32> = d
            .reached
            .ids()
            .filter(|id| {
                !set.contains(id) && !entry_named.contains(id) && g.names.name(*id) != "flake.nix"
            })
            .filter(|id| {
                incoming
                    .get(id)
                    .is_some_and(|ins| ins.iter().all(|i| set.contains(i)))
            })
            .collect();
        if more.is_empty() {
            return set
                .into_iter()
                .map(|id| g.names.name(id).to_string())
                .collect();
        }
        set.extend(more);
    }
}
