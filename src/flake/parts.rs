//! flake-parts as a module system, read statically: `mkFlake`'s module and
//! everything it imports (paths, directories with a default.nix, lists,
//! nested `imports`, import-tree scans), each module applied to the module
//! arguments, and every module's `flake` definitions merged into the
//! flake's outputs. A module from an input (`inputs.x.flakeModules.y`) is
//! external: it defines no host of this repository.
//!
//! The rule follows flake-parts' own: the outputs are the `flake` option of
//! the evaluated module system, whose `nixosConfigurations` and
//! `darwinConfigurations` are attribute sets of raw values (one definition
//! per host). A host is found at its definition, in the module file that
//! writes it. What the module system computes beyond that (`config.*`,
//! `_module.args`, perSystem through `withSystem`) is not evaluated: a host
//! that reads it depends on every module (`Value::PartsConfig`).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use super::eval::Eval;
use super::known::{HOST_OUTPUTS, KnownFunction};
use super::path::RepoPath;
use super::value::*;

/// What `mkFlake` collected: the module files of the module system, who
/// imported each, and the folders scanned for modules.
#[derive(Default, Debug)]
pub struct Parts {
    /// The outputs are built by flake-parts' `mkFlake`.
    pub used: bool,
    /// Every local module file, in the order found.
    pub modules: Vec<RepoPath>,
    /// Per module file: the file whose `imports` named it (flake.nix for
    /// `mkFlake`'s own module) and the rule that placed it (`flake-parts`
    /// or `import-tree`).
    pub importer: HashMap<String, (String, &'static str)>,
    /// Folders whose listing decides the module list (import-tree scans).
    pub listings: BTreeSet<RepoPath>,
    /// Local files that implement `mkFlake` (a stand-in or a wrapper).
    pub machinery: BTreeSet<RepoPath>,
    /// Inputs whose flake modules are imported (`inputs.x.flakeModules.y`).
    pub external: BTreeSet<String>,
    /// Hosts placed by a framework's convention, by (output, name).
    pub placed: BTreeMap<(String, String), super::frameworks::Placed>,
    /// Folders loaded as haumea trees.
    pub haumea: Vec<RepoPath>,
    /// Some module could not be read, so hosts may be missing: the reason.
    pub unresolved: Option<String>,
}

impl Parts {
    /// The rule that placed a host defined in `file`.
    pub fn rule_of(&self, file: &str) -> &'static str {
        self.importer
            .get(file)
            .map(|(_, r)| *r)
            .unwrap_or("flake-parts")
    }

    /// The files from `file` back to flake.nix through the imports that
    /// named them (flake.nix excluded).
    pub fn chain(&self, file: &str) -> Vec<String> {
        let mut out = vec![];
        let mut cur = file.to_string();
        while cur != "flake.nix" && !out.contains(&cur) {
            out.push(cur.clone());
            match self.importer.get(&cur) {
                Some((from, _)) => cur = from.clone(),
                None => break,
            }
        }
        out
    }
}

/// Whether an input is import-tree (called on a folder, it returns a
/// module that imports every `.nix` file below it).
pub fn is_import_tree(input: &str) -> bool {
    input == "import-tree"
}

/// `import-tree <path or list>`: a module importing every `.nix` file below
/// each folder whose path relative to it has no component starting with
/// `_` (import-tree's default filter; its custom filters only narrow this).
pub fn import_tree(ev: &Eval, arg: &Value) -> Value {
    let roots: Vec<Value> = match arg {
        Value::List(items) => items.iter().map(|t| ev.force(t)).collect(),
        v => vec![v.clone()],
    };
    let mut imports = vec![];
    for root in roots {
        match root {
            Value::Path(dir) if ev.tree.is_dir(&dir) => {
                let prefix = super::path::dir_prefix(&dir);
                for d in std::iter::once(dir.to_string()).chain(ev.tree.dirs_under(&dir).cloned()) {
                    let rel = d.strip_prefix(&prefix).unwrap_or("");
                    if !format!("/{rel}").contains("/_") {
                        ev.parts
                            .borrow_mut()
                            .listings
                            .insert(RepoPath::new_unchecked(&d));
                    }
                }
                for f in ev.tree.files_under(&dir) {
                    let rel = &f[prefix.len()..];
                    if f.ends_with(".nix") && !format!("/{rel}").contains("/_") {
                        let p = RepoPath::new_unchecked(f);
                        ev.parts
                            .borrow_mut()
                            .importer
                            .entry(f.clone())
                            .or_insert((String::new(), "import-tree"));
                        imports.push(Thunk::value(Value::Path(p)));
                    }
                }
            }
            Value::Path(p) => imports.push(Thunk::value(Value::Path(p))),
            // `import-tree.filterNot f`, `.addPath`…: still import-tree, whose
            // filters only narrow what a folder gives.
            _ if imports.is_empty() => {
                return Value::Input("import-tree".into());
            }
            _ => return Value::Unknown,
        }
    }
    let mut attrs = Attrs::default();
    attrs.map.insert(
        "imports".into(),
        Thunk::value(Value::List(Rc::new(imports))),
    );
    Value::Attrs(Rc::new(attrs))
}

/// `mkFlake { inherit inputs; … } module`: the merged `flake` definitions
/// of every module, as the flake's outputs. Fills `ev.parts`.
pub fn mk_flake(ev: &Eval, args: &[Thunk]) -> Value {
    let top = ev.force(&args[0]);
    let mut given = Attrs::default();
    given
        .map
        .insert("self".into(), Thunk::value(Value::SelfFlake));
    let inputs = ev
        .select(&top, "inputs")
        .filter(|v| !matches!(v, Value::Unknown))
        .unwrap_or(Value::Inputs);
    given.map.insert("inputs".into(), Thunk::value(inputs));
    given.map.insert("lib".into(), Thunk::value(Value::Unknown));
    given
        .map
        .insert("flake-parts-lib".into(), Thunk::value(Value::Unknown));
    given.map.insert(
        "withSystem".into(),
        Thunk::value(Value::Known(KnownFunction::WithSystem, Rc::new(vec![]))),
    );
    if let Some(Value::Attrs(special)) = ev.select(&top, "specialArgs") {
        for (k, t) in special.map.iter() {
            given.map.insert(k.clone(), t.clone());
        }
    }
    let module_args = Value::ModuleArgs(Rc::new(given));
    let mut c = Collect {
        ev,
        args: module_args,
        seen: BTreeSet::new(),
        outputs: BTreeMap::new(),
        easy_hosts: vec![],
        dynamic: false,
        depth: 0,
    };
    {
        let mut p = ev.parts.borrow_mut();
        p.used = true;
    }
    c.module(&args[1], "flake.nix", "flake-parts");
    c.finish()
}

struct Collect<'e, 't> {
    ev: &'e Eval<'t>,
    args: Value,
    seen: BTreeSet<String>,
    /// Per output name: every module's definition of it.
    outputs: BTreeMap<String, Vec<Thunk>>,
    /// Every module's `easy-hosts` definition.
    easy_hosts: Vec<Thunk>,
    dynamic: bool,
    depth: u32,
}

impl Collect<'_, '_> {
    fn unresolved(&mut self, why: String) {
        self.dynamic = true;
        let mut p = self.ev.parts.borrow_mut();
        if p.unresolved.is_none() {
            p.unresolved = Some(why);
        }
    }

    /// One entry of `imports` (or mkFlake's module), named in `from`.
    fn module(&mut self, t: &Thunk, from: &str, rule: &'static str) {
        if self.depth > 64 {
            return self.unresolved("the flake-parts imports nest too deep".into());
        }
        let v = self.ev.force(t);
        match v {
            Value::Path(p) => {
                let file = if self.ev.tree.is_dir(&p) {
                    p.module_file()
                } else {
                    p
                };
                if !self.seen.insert(file.to_string()) {
                    return;
                }
                {
                    let mut parts = self.ev.parts.borrow_mut();
                    let rule = match parts.importer.get(file.as_str()) {
                        Some((_, r)) => *r,
                        None => rule,
                    };
                    parts
                        .importer
                        .insert(file.to_string(), (from.to_string(), rule));
                    parts.modules.push(file.clone());
                }
                let rule = self.ev.parts.borrow().rule_of(&file);
                match self.ev.file_thunk(&file) {
                    Some(ft) => {
                        let v = self.ev.force(&ft);
                        self.depth += 1;
                        self.value(v, file.as_str(), rule);
                        self.depth -= 1;
                    }
                    None => self.unresolved(format!(
                        "the flake-parts module `{file}` cannot be read as Nix"
                    )),
                }
            }
            // A module of another flake (`inputs.x.flakeModules.y`): no host of ours.
            Value::Input(i) => {
                self.ev.parts.borrow_mut().external.insert(i);
            }
            Value::Inputs => {}
            // `imports = [ [ ./a.nix ] ]`: a list of modules is their import.
            Value::List(items) => {
                for item in items.iter() {
                    self.module(item, from, rule);
                }
            }
            v => {
                self.depth += 1;
                self.value(v, from, rule);
                self.depth -= 1;
            }
        }
    }

    /// A module's value, written in `file`.
    fn value(&mut self, v: Value, file: &str, rule: &'static str) {
        match v {
            Value::Closure(_) => {
                let applied = self.ev.apply(v, Thunk::value(self.args.clone()));
                self.value(applied, file, rule)
            }
            Value::Attrs(a) => {
                // `{ options = …; config = { flake = …; }; }` or the short form.
                let defs = match (a.map.get("config"), a.map.contains_key("flake")) {
                    (Some(c), false) => match self.ev.force(c) {
                        Value::Attrs(c) => c,
                        _ => {
                            return self.unresolved(format!(
                                "the `config` of a flake-parts module in {file} is computed"
                            ));
                        }
                    },
                    _ => a.clone(),
                };
                if let Some(imports) = a.map.get("imports").or(defs.map.get("imports")) {
                    match self.ev.force(imports) {
                        Value::List(items) => {
                            for item in items.iter() {
                                self.module(item, file, rule);
                            }
                        }
                        _ => self.unresolved(format!(
                            "the `imports` of a flake-parts module in {file} are computed"
                        )),
                    }
                }
                if let Some(e) = defs.map.get("easy-hosts") {
                    self.easy_hosts.push(e.clone());
                }
                if let Some(flake) = defs.map.get("flake") {
                    // `flake` is a submodule: its definition may be a module function.
                    let value = match self.ev.force(flake) {
                        v @ Value::Closure(_) => self.ev.apply(v, Thunk::value(self.args.clone())),
                        v => v,
                    };
                    match value {
                        Value::Attrs(f) => {
                            if f.dynamic {
                                self.dynamic = true;
                            }
                            for (k, t) in f.map.iter() {
                                self.outputs.entry(k.clone()).or_default().push(t.clone());
                            }
                        }
                        _ => self.unresolved(format!(
                            "the `flake` definition of a flake-parts module in {file} is computed"
                        )),
                    }
                }
                if a.dynamic || defs.dynamic {
                    self.dynamic = true;
                }
            }
            Value::Input(_) | Value::Inputs => {}
            Value::Path(_) => self.module(&Thunk::value(v), file, rule),
            _ => self.unresolved(format!("a flake-parts module in {file} is computed")),
        }
    }

    fn finish(mut self) -> Value {
        // Flake modules of host frameworks place hosts by convention.
        let external = self.ev.parts.borrow().external.clone();
        let mut placed = super::frameworks::Hosts::default();
        if external.contains("easy-hosts") {
            super::frameworks::easy_hosts(self.ev, &self.easy_hosts, &mut placed);
        }
        if external.contains("nixos-unified") {
            super::frameworks::unified(self.ev, &RepoPath::root(), &mut placed);
        }
        for (name, hosts) in placed.into_attrs(None).map {
            self.outputs.entry(name).or_default().push(hosts);
        }
        let mut out = Attrs {
            map: BTreeMap::new(),
            dynamic: self.dynamic,
        };
        for (name, defs) in self.outputs {
            let is_hosts = HOST_OUTPUTS.iter().any(|(o, _)| *o == name);
            if defs.len() == 1 && !(is_hosts && self.dynamic) {
                out.map.insert(name, defs[0].clone());
                continue;
            }
            // Several modules define it: their attributes merge.
            let mut merged = Attrs {
                map: BTreeMap::new(),
                dynamic: is_hosts && self.dynamic,
            };
            for d in &defs {
                match self.ev.force(d) {
                    Value::Attrs(a) => {
                        merged.dynamic |= a.dynamic;
                        for (k, t) in a.map.iter() {
                            merged.map.insert(k.clone(), t.clone());
                        }
                    }
                    _ => merged.dynamic = true,
                }
            }
            out.map
                .insert(name, Thunk::value(Value::Attrs(Rc::new(merged))));
        }
        // Hosts may hide in a module that could not be read: say so.
        if self.dynamic {
            for (name, _) in HOST_OUTPUTS {
                out.map.entry(name.to_string()).or_insert_with(|| {
                    Thunk::value(Value::Attrs(Rc::new(Attrs {
                        map: BTreeMap::new(),
                        dynamic: true,
                    })))
                });
            }
        }
        Value::Attrs(Rc::new(out))
    }
}
