//! The shared graph: every parsable .nix file walked once (in parallel) into
//! its references, each host's entry walked on its own, and the names of all
//! of them interned. `deps` then computes each host's reach over this graph.
//! flake.nix is never walked whole: each host reads only its own entry, so an
//! edit elsewhere in flake.nix is not a dependency of every host's files.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::deps::{Deps, follow};
use super::eval::Eval;
use super::intern::{NameSet, Names};
use super::source::SourceTree;
use super::walk::{Ref, Target, Walker};
use super::{Diagnostic, FlakeModel, Host, Location, hosts};

/// How a file names another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Edge {
    /// Imported as a module or code: followed through its own references.
    Code,
    /// Walked already with its arguments bound: a dependency, not followed.
    Walked,
    /// Named by a path value: followed (it may be imported), and data.
    Value,
    /// Read as data by a known reading function: never read as Nix code.
    Read,
}

impl Edge {
    /// The edge a file reference makes.
    pub(super) fn of(t: &Target) -> Edge {
        match t {
            Target::FileWalked(_) => Edge::Walked,
            Target::Value(_) => Edge::Value,
            Target::Read(_) => Edge::Read,
            _ => Edge::Code,
        }
    }

    /// Whether the named file's own references are followed.
    pub(super) fn follows(self) -> bool {
        matches!(self, Edge::Code | Edge::Value)
    }
}

/// The files every host shares: per .nix file, the files it names and its
/// other references.
#[derive(Debug, Default)]
pub struct Graph {
    /// Every name a dependency can have.
    pub names: Arc<Names>,
    /// Per name: (target, followed) for each file it names (imports, reads, …).
    pub(super) out: Vec<Vec<(u32, Edge)>>,
    /// Per name: references that are not files (directories, globs, inputs, …).
    pub(super) other: Vec<Vec<Ref>>,
    /// Per name: a parsed .nix file (followed when named) / one that does not parse.
    pub(super) nix: Vec<bool>,
    /// Per name: a .nix file that does not parse.
    pub(super) broken: Vec<bool>,
    /// Per name: a .nix file whose code can see source positions.
    pub(super) positions: Vec<bool>,
    /// Per name: what it is through a symbolic link of the tree, if one is
    /// on its way (an edit there is an edit of this name).
    pub(super) link_to: Vec<Option<u32>>,
}

/// The model of a parsed tree. `shortcuts` off walks every file in full
/// (see `module_refs`): slower, for the tests that check the shortcuts.
pub fn build(tree: SourceTree, shortcuts: bool) -> FlakeModel {
    let shared = Arc::new(tree);
    let tree = &*shared;
    let globs = GlobCache::default();
    // 1. Every parsable .nix file, walked once as a module (arguments unknown);
    // for a lazy tree, only the files the hosts reach, after their entries.
    // flake.nix is read per host, from each host's entry, never as a whole.
    // Largest files first, one at a time per worker: a few big files must not
    // land on the same thread.
    let every = if tree.lazy { vec![] } else { tree.all_nix() };
    let mut work: Vec<(&String, usize)> = every
        .into_iter()
        // An inert file names nothing when walked; its walk is skipped.
        .filter(|(rel, f)| {
            f.error().is_none() && !(shortcuts && f.inert()) && rel.as_str() != "flake.nix"
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
        let names: Vec<(String, &'static str, String, u32, &'static str)> = found
            .iter()
            .map(|h| (h.name.clone(), h.kind, h.file.clone(), h.line, h.rule))
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
                    // Files the rule adds hang off flake.nix, where every host
                    // starts (the graph and `via` chains show them so).
                    for t in &h.extra {
                        match t.file() {
                            Some(_) => w.push(t.clone(), "flake.nix", 1),
                            None => w.push(t.clone(), &h.file, h.line),
                        }
                    }
                    w.walk_thunk(&h.thunk.clone(), super::walk::Usage::Value, &h.file, h.line);
                }
                dedup(w.refs)
            },
        )
        .collect();

    crate::timing::phase("walk each host's entry");
    let file_refs = if tree.lazy {
        let walked = walk_reach(tree, &entry_refs, shortcuts, &globs);
        crate::timing::phase("walk the files the hosts reach");
        walked
    } else {
        file_refs
    };
    // 3. The shared graph over interned names.
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
    for ((name, kind, file, line, rule), (deps, diags)) in host_names.into_iter().zip(results) {
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
            entry: Location { file, line },
            rule: rule.to_string(),
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
    // A lazy tree reports only the files hosts reach (whatever else it
    // happened to parse, e.g. through parses shared with another side).
    for (rel, f) in tree.listed_nix().into_iter().filter(|(rel, f)| {
        !tree.lazy
            || (f.is_parsed()
                && (rel.as_str() == "flake.nix" || reached_names.contains(rel.as_str())))
    }) {
        if let Some((line, col, msg)) = f.error() {
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
    // The files of the parts listed: every file a host reaches is there.
    let mut all: BTreeSet<String> = tree
        .listed_nix()
        .into_iter()
        .map(|(k, _)| k.clone())
        .collect();
    all.insert("flake.nix".into());
    all.insert("flake.lock".into());
    for r in file_refs
        .iter()
        .flat_map(|(_, r)| r)
        .chain(entry_refs.iter().flatten())
    {
        if let Some(f) = r.target.file() {
            all.insert(f.to_string());
            all.extend(tree.through_link(f));
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
        positions: vec![false; n],
        link_to: vec![None; n],
    };
    for (id, name) in (0..n as u32).map(|i| (i, names.name(i).to_string())) {
        g.link_to[id as usize] = tree.through_link(&name).and_then(|r| names.id(&r));
    }
    for (rel, f) in tree.listed_nix() {
        if let Some(id) = names.id(rel) {
            // A file a lazy tree never parsed is one no host reads as code.
            if tree.lazy && !f.is_parsed() {
                continue;
            }
            g.nix[id as usize] = f.error().is_none();
            g.broken[id as usize] = f.error().is_some();
            g.positions[id as usize] = f.sees_positions();
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
                        out.push((id, Edge::of(t)));
                    }
                }
                Target::Glob(_) | Target::Tree(_) => {
                    for f in expansions(tree, globs, r) {
                        if let Some(t) = names.id(&f) {
                            out.push((t, Edge::Code));
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
pub(super) fn expansions(tree: &SourceTree, globs: &GlobCache, r: &Ref) -> Vec<String> {
    match &r.target {
        Target::Glob(g) => globs.nix_matches(tree, g),
        Target::Tree(dir) => tree
            .files_under(dir)
            .filter(|f| tree.nix_file(f).is_some())
            .cloned()
            .collect(),
        _ => vec![],
    }
}

/// The module walks of the files the hosts reach, found wave by wave from
/// their entries' references: a file is parsed and walked only when some
/// host follows a reference to it (directly, through a link, a glob or a
/// tree), so files no host reaches are never parsed.
fn walk_reach(
    tree: &SourceTree,
    entry_refs: &[Vec<Ref>],
    shortcuts: bool,
    globs: &GlobCache,
) -> Vec<(String, Vec<Ref>)> {
    let targets = |refs: &[Ref], out: &mut BTreeSet<String>| {
        for r in refs {
            // Files walked bound by an entry are reached too: their own
            // module walk gives the import edges a full load has.
            match r.target.file() {
                Some(f) if Edge::of(&r.target) != Edge::Read => {
                    out.insert(f.to_string());
                    out.extend(tree.through_link(f));
                }
                Some(_) => {}
                None => out.extend(expansions(tree, globs, r)),
            }
        }
    };
    let walkable = |f: &str| f != "flake.nix" && tree.nix_file(f).is_some();
    let mut first = BTreeSet::new();
    for refs in entry_refs {
        targets(refs, &mut first);
    }
    first.retain(|f| walkable(f));
    // A queue rather than waves: a file is walked as soon as some walk names
    // it, so no worker waits for the slowest file of a wave.
    struct Queue {
        todo: Vec<String>,
        seen: BTreeSet<String>,
        /// Files being walked now: their references may add work.
        busy: usize,
    }
    /// One file being walked; dropped when its references are queued, or
    /// when its walk panics, so that no worker waits for it forever.
    struct Walking<'a>(&'a Mutex<Queue>, &'a std::sync::Condvar);
    impl Drop for Walking<'_> {
        fn drop(&mut self) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).busy -= 1;
            self.1.notify_all();
        }
    }
    let queue = Mutex::new(Queue {
        todo: first.iter().rev().cloned().collect(),
        seen: first,
        busy: 0,
    });
    let more = std::sync::Condvar::new();
    let done: Mutex<Vec<(String, Vec<Ref>)>> = Mutex::new(vec![]);
    rayon::scope(|scope| {
        for _ in 0..rayon::current_num_threads().max(1) {
            scope.spawn(|_| {
                let ev = new_eval(tree);
                let mut mine = vec![];
                loop {
                    let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                    let rel = loop {
                        if let Some(rel) = q.todo.pop() {
                            q.busy += 1;
                            break Some(rel);
                        }
                        if q.busy == 0 {
                            break None;
                        }
                        q = more.wait(q).unwrap_or_else(|e| e.into_inner());
                    };
                    drop(q);
                    let Some(rel) = rel else { break };
                    let walking = Walking(&queue, &more);
                    let refs = match tree.nix_file(&rel) {
                        Some(f) if f.error().is_none() && !(shortcuts && f.inert()) => {
                            walk_module(&ev, &rel, shortcuts)
                        }
                        _ => vec![],
                    };
                    let mut next = BTreeSet::new();
                    targets(&refs, &mut next);
                    {
                        let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                        for n in next {
                            if walkable(&n) && !q.seen.contains(&n) {
                                q.seen.insert(n.clone());
                                q.todo.push(n);
                            }
                        }
                    }
                    drop(walking);
                    mine.push((rel, refs));
                }
                if let Ok(mut all) = done.lock() {
                    all.extend(mine);
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by(|a, b| a.0.cmp(&b.0));
    done
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
    match tree.nix_file(rel) {
        Some(f) if f.error().is_none() && !(shortcuts && f.inert()) => {
            walk_module(&new_eval(tree), rel, shortcuts)
        }
        _ => vec![],
    }
}

/// The walk of one parsed file as a module, on a worker's evaluator.
fn walk_module(ev: &Eval<'_>, rel: &str, shortcuts: bool) -> Vec<Ref> {
    ev.refuel_module(shortcuts && ev.tree.nix_file(rel).is_some_and(|f| f.pathless()));
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
pub(super) struct GlobCache(Mutex<HashMap<String, Vec<String>>>);

impl GlobCache {
    /// The .nix files (and directories' default.nix) a glob can name.
    pub(super) fn nix_matches(&self, tree: &SourceTree, pattern: &str) -> Vec<String> {
        if let Some(m) = self.0.lock().ok().and_then(|c| c.get(pattern).cloned()) {
            return m;
        }
        let matches: Vec<String> = match super::path::compile_glob(pattern) {
            Some(m) => {
                let mut v: Vec<String> = tree
                    .all_nix()
                    .into_iter()
                    .map(|(f, _)| f)
                    .filter(|f| m.is_match(f.as_str()))
                    .cloned()
                    .collect();
                for d in tree.dirs_under("").filter(|d| m.is_match(d.as_str())) {
                    let f = super::path::module_file(d);
                    if tree.nix_file(&f).is_some() {
                        v.push(f);
                    }
                }
                v
            }
            None => tree.all_nix().into_iter().map(|(f, _)| f.clone()).collect(),
        };
        if let Ok(mut c) = self.0.lock() {
            c.insert(pattern.to_string(), matches.clone());
        }
        matches
    }
}
