//! From references to dependency sets: each host's reach is a walk over the
//! shared graph (`graph`) with bitsets, so 200 hosts over 10,000 modules cost
//! little more than one. A file named by a followed reference is followed
//! through its own references; a directory, glob or listing adds what it
//! covers; a reached file that does not parse makes the host depend on the
//! whole source. `via` explains a dependency as a chain of files.
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;

use super::Diagnostic;
use super::graph::{Edge, GlobCache, Graph, expansions};
use super::intern::NameSet;
use super::source::SourceTree;
use super::walk::{Ref, Target};

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
    /// The host reads the commit itself (`self.rev`, `self.lastModified`…):
    /// any new commit changes it, even one that changes no file.
    #[serde(skip)]
    pub revision: bool,
    /// Code the host reaches can see source positions (`unsafeGetAttrPos`,
    /// `__curPos`), so an edit of layout only may change the host.
    #[serde(skip)]
    pub layout_sensitive: bool,
    /// Why the host depends on the whole source: (file, line, reason).
    #[serde(skip)]
    pub whole_source_reasons: Vec<(String, u32, String)>,
    /// Input names; "*" when the host may use any input.
    pub inputs: BTreeSet<String>,
    /// The .nix files the host reaches.
    #[serde(skip)]
    pub reached: NameSet,
    /// Files the host may read as data (named by a path value or read by
    /// `readFile` and the like), not only import: any byte of them matters.
    #[serde(skip)]
    pub data: NameSet,
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
    /// The dependencies of a host that Nix names but the static reading
    /// cannot place (`hosts --eval`): every tracked file and every input,
    /// for `why`.
    pub fn whole_source(why: &str) -> Deps {
        let names = Arc::new(super::intern::Names::new(
            ["flake.lock", "flake.nix"].map(String::from).into(),
        ));
        let mut files = NameSet::new(&names);
        for f in ["flake.lock", "flake.nix"] {
            if let Some(id) = names.id(f) {
                files.insert(id);
            }
        }
        Deps {
            reached: NameSet::new(&names),
            data: NameSet::new(&names),
            files,
            whole_source: true,
            inputs: ["*".to_string()].into(),
            whole_source_reasons: vec![("flake.nix".into(), 1, why.to_string())],
            graph: Arc::new(Graph {
                names,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

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
            for &(t, edge) in &g.out[id as usize] {
                if edge.follows()
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

    /// Every file the host's own references name: from its entry in
    /// flake.nix and from the helpers walked for it (`mkHost "h"` naming
    /// `hosts/h/default.nix`).
    pub fn own_files(&self) -> BTreeSet<String> {
        self.entry_files_with_refs()
            .map(|(_, f)| f.to_string())
            .collect()
    }

    /// The host's own file references, each with the file it names.
    pub(super) fn entry_files_with_refs(&self) -> impl Iterator<Item = (&Ref, &super::RepoPath)> {
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
        Target::Revision(why) => {
            d.whole_source = true;
            d.revision = true;
            d.whole_source_reasons
                .push((r.from.clone(), r.line, why.clone()));
        }
        Target::Unresolved(why) => {
            // `getFlake`, `getEnv`…: any input may be read as well.
            d.whole_source = true;
            d.inputs.insert("*".into());
            d.whole_source_reasons
                .push((r.from.clone(), r.line, why.clone()));
        }
        Target::WholeSource(why) => {
            d.whole_source = true;
            d.whole_source_reasons
                .push((r.from.clone(), r.line, why.clone()));
        }
        _ => {}
    }
}

pub(super) fn follow(
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
        data: NameSet::new(names),
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
    // A file named by a following edge is walked through its own references
    // once; one walked bound by the host's entry is a dependency only; one
    // read as data is never Nix code to this host.
    let mut name_file = |d: &mut Deps, queue: &mut Vec<u32>, named: u32, edge: Edge| {
        // A path through a symbolic link names the link's target as well.
        for t in std::iter::once(named).chain(g.link_to[named as usize]) {
            d.files.insert(t);
            if matches!(edge, Edge::Value | Edge::Read) {
                d.data.insert(t);
            }
            let i = t as usize;
            if edge == Edge::Read {
                continue;
            }
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
                if edge.follows() && expanded.insert(t) {
                    queue.push(t);
                }
            }
        }
    };
    for r in &entry {
        if let Some(f) = r.target.file() {
            if let Target::Machinery(m) = &r.target {
                machinery_targets.insert(m.to_string());
            }
            if let Some(t) = names.id(f) {
                name_file(&mut d, &mut queue, t, Edge::of(&r.target));
            }
        } else {
            for f in expansions(tree, globs, r) {
                if let Some(t) = names.id(&f) {
                    name_file(&mut d, &mut queue, t, Edge::Code);
                }
            }
            apply_other(&mut d, r);
        }
    }
    while let Some(id) = queue.pop() {
        for &(t, edge) in &g.out[id as usize] {
            name_file(&mut d, &mut queue, t, edge);
        }
        for r in &g.other[id as usize] {
            apply_other(&mut d, r);
        }
    }
    d.layout_sensitive = d.reached.ids().any(|id| g.positions[id as usize]);
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
