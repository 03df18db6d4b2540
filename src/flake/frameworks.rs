//! Frameworks that place hosts by convention, one rule each, written from
//! each framework's documented layout:
//!
//! - snowfall-lib (`mkFlake { src = ./.; … }`): a host per
//!   `systems/<target>/<name>/default.nix` (darwin when the target names
//!   darwin; virtual targets such as `x86_64-iso` are other outputs), with
//!   every module under `modules/nixos/` (or `modules/darwin/`), `homes/`,
//!   `lib/`, `overlays/` and `packages/` loaded for it.
//! - nixos-unified (`mkFlake { root = ./.; }`, or its flake module
//!   imported into flake-parts): a host per `configurations/nixos/<name>.nix`
//!   or `configurations/nixos/<name>/default.nix` (and `configurations/darwin/`),
//!   with the flake modules under `modules/flake*/` and the autowired
//!   `modules/{nixos,darwin,home}/` and `overlays/` in reach.
//! - easy-hosts (its flake module and `easy-hosts = { … }`): a host per
//!   `<path>/<arch>-<class>/<name>/` (or `<path>/<name>/` with `onlySystem`)
//!   and per `easy-hosts.hosts.<name>`, with the shared, per-class, per-arch
//!   and per-tag settings.
//! - flake-utils-plus (`mkFlake { hosts.<name> = { … }; }`): a host per
//!   `hosts.<name>`, with `hostDefaults`, `sharedOverlays` and `channels`.
//! - haumea (`load { src = ./dir; }`): an attribute per `.nix` file and
//!   folder below `src` (names starting with `_` are private).
//!
//! Each host depends on what the framework loads on its behalf, including
//! every file of the folders it imports whole (a file added there is
//! imported too). A folder scanned for hosts only names hosts: an entry
//! added or removed there is a host added or removed, which the two sides
//! of a change show.
use std::collections::BTreeMap;
use std::rc::Rc;

use super::eval::Eval;
use super::path::RepoPath;
use super::value::*;
use super::walk::Target;

/// A host a framework placed: where it is written and what the framework
/// makes it depend on.
#[derive(Debug, Clone)]
pub struct Placed {
    /// `snowfall-lib`, `nixos-unified`, `easy-hosts`, `flake-utils-plus`, `haumea`.
    pub rule: &'static str,
    /// The file its configuration starts in.
    pub file: String,
    /// The line there.
    pub line: u32,
    /// Files, folders, listings and inputs the framework adds.
    pub extra: Vec<Target>,
}

/// The output a host of `kind` lands in.
fn output_of(darwin: bool) -> &'static str {
    if darwin {
        "darwinConfigurations"
    } else {
        "nixosConfigurations"
    }
}

/// The entries of a folder: (name, is a directory).
fn entries(ev: &Eval, dir: &RepoPath) -> Vec<(String, bool)> {
    ev.read_dir(dir)
        .map
        .iter()
        .map(|(k, t)| {
            let is_dir = matches!(ev.force(t), Value::Str(s) if s == "directory");
            (k.clone(), is_dir)
        })
        .collect()
}

fn join(dir: &RepoPath, rel: &str) -> RepoPath {
    dir.join(rel)
        .unwrap_or_else(|_| RepoPath::new_unchecked(rel.to_string()))
}

/// Every existing folder among `dirs` (below `root`) as a whole tree.
fn trees(ev: &Eval, root: &RepoPath, dirs: &[&str]) -> Vec<Target> {
    dirs.iter()
        .map(|d| join(root, d))
        .filter(|d| ev.tree.is_dir(d))
        .map(Target::Tree)
        .collect()
}

/// Collects hosts into outputs and records where each was placed.
#[derive(Default)]
pub struct Hosts {
    outputs: BTreeMap<&'static str, Attrs>,
}

impl Hosts {
    /// Add a host; `thunk` is what the walker walks from it (the settings
    /// written for it), `placed` what the framework adds.
    pub fn add(&mut self, ev: &Eval, darwin: bool, name: &str, thunk: Thunk, placed: Placed) {
        let out = output_of(darwin);
        self.outputs
            .entry(out)
            .or_default()
            .map
            .insert(name.to_string(), thunk);
        ev.parts
            .borrow_mut()
            .placed
            .insert((out.to_string(), name.to_string()), placed);
    }

    /// The outputs as an attribute set (merged into `into` when given).
    pub fn into_attrs(self, into: Option<&Attrs>) -> Attrs {
        let mut map = into.map(|a| a.map.clone()).unwrap_or_default();
        for (out, hosts) in self.outputs {
            map.insert(out.to_string(), Thunk::value(Value::Attrs(Rc::new(hosts))));
        }
        Attrs {
            map,
            dynamic: into.is_some_and(|a| a.dynamic),
        }
    }
}

/// The settings thunks among `names` that `arg` has (a missing one is not
/// selected: the walker would walk all of `arg` instead).
fn selected(ev: &Eval, arg: &Thunk, names: &[&str]) -> Thunk {
    let v = ev.force(arg);
    let items: Vec<Thunk> = match &v {
        Value::Attrs(a) => names
            .iter()
            .filter(|n| a.map.contains_key(**n))
            .map(|n| Thunk::select(arg.clone(), n.to_string()))
            .collect(),
        _ => vec![],
    };
    Thunk::value(Value::List(Rc::new(items)))
}

/// `mkFlake` with one argument: snowfall-lib (`src`), nixos-unified
/// (`root`) or flake-utils-plus (`hosts`); `None` for anything else.
pub fn one_arg_mk_flake(ev: &Eval, arg: &Thunk) -> Option<Value> {
    let Value::Attrs(a) = ev.force(arg) else {
        return None;
    };
    let path_of = |k: &str| match a.map.get(k).map(|t| ev.force(t)) {
        Some(Value::Path(p)) => Some(p),
        Some(Value::SelfFlake) => Some(RepoPath::root()),
        _ => None,
    };
    let mut hosts = Hosts::default();
    if a.map.contains_key("src") || a.map.contains_key("snowfall") {
        let snowfall_root = ev
            .select(&Value::Attrs(a.clone()), "snowfall")
            .and_then(|s| ev.select(&s, "root"))
            .and_then(|r| match r {
                Value::Path(p) => Some(p),
                _ => None,
            });
        let root = snowfall_root.or_else(|| path_of("src"))?;
        let settings = selected(
            ev,
            arg,
            &["systems", "homes", "overlays", "channels-config"],
        );
        snowfall(ev, &root, &settings, &mut hosts);
    } else if a.map.contains_key("root") && !a.map.contains_key("hosts") {
        let root = path_of("root")?;
        unified(ev, &root, &mut hosts);
        let modules_dir = [
            "nix/modules/flake",
            "modules/flake",
            "nix/modules/flake-parts",
            "modules/flake-parts",
        ]
        .iter()
        .map(|d| join(&root, d))
        .find(|d| ev.tree.is_dir(d));
        // Its flake-parts modules may define more hosts.
        let mut extra_outputs = None;
        if let Some(dir) = modules_dir {
            let imports: Vec<Thunk> = entries(ev, &dir)
                .into_iter()
                .map(|(n, _)| Thunk::value(Value::Path(join(&dir, &n))))
                .collect();
            let mut m = Attrs::default();
            m.map.insert(
                "imports".into(),
                Thunk::value(Value::List(Rc::new(imports))),
            );
            let args = [arg.clone(), Thunk::value(Value::Attrs(Rc::new(m)))];
            if let Value::Attrs(o) = super::parts::mk_flake(ev, &args) {
                extra_outputs = Some(o);
            }
        }
        return Some(Value::Attrs(Rc::new(
            hosts.into_attrs(extra_outputs.as_deref()),
        )));
    } else if a.map.contains_key("hosts") || a.map.contains_key("hostDefaults") {
        flake_utils_plus(ev, arg, &a, &mut hosts);
    } else {
        return None;
    }
    Some(Value::Attrs(Rc::new(hosts.into_attrs(None))))
}

/// snowfall-lib's systems below `root`.
fn snowfall(ev: &Eval, root: &RepoPath, settings: &Thunk, hosts: &mut Hosts) {
    let systems = join(root, "systems");
    const VIRTUAL: &[&str] = &[
        "amazon",
        "azure",
        "cloudstack",
        "docker",
        "do",
        "gce",
        "hyperv",
        "iso",
        "kexec",
        "kubevirt",
        "lxc",
        "openstack",
        "proxmox",
        "qcow",
        "raw",
        "sd-aarch64",
        "vagrant",
        "virtualbox",
        "vm",
        "vmware",
    ];
    for (target, is_dir) in entries(ev, &systems) {
        if !is_dir {
            continue;
        }
        let darwin = target.contains("darwin");
        if !darwin && VIRTUAL.iter().any(|v| target.contains(v)) {
            continue;
        }
        let target_dir = join(&systems, &target);
        for (name, is_dir) in entries(ev, &target_dir) {
            let host_dir = join(&target_dir, &name);
            let file = host_dir.module_file();
            if !is_dir || !ev.tree.is_file(&file) {
                continue;
            }
            let class = if darwin { "darwin" } else { "nixos" };
            // The folders scanned for systems only name hosts: a new entry
            // is a new host, not a change of the others.
            let mut extra = vec![Target::File(file.clone()), Target::Input("*".into())];
            let modules = format!("modules/{class}");
            extra.extend(trees(
                ev,
                root,
                &[
                    &modules,
                    "modules/home",
                    "homes",
                    "lib",
                    "overlays",
                    "packages",
                ],
            ));
            hosts.add(
                ev,
                darwin,
                &name,
                settings.clone(),
                Placed {
                    rule: "snowfall-lib",
                    file: file.to_string(),
                    line: 1,
                    extra,
                },
            );
        }
    }
}

/// nixos-unified's autowired configurations below `root`.
pub fn unified(ev: &Eval, root: &RepoPath, hosts: &mut Hosts) {
    for darwin in [false, true] {
        let dir = join(
            root,
            if darwin {
                "configurations/darwin"
            } else {
                "configurations/nixos"
            },
        );
        for (entry, is_dir) in entries(ev, &dir) {
            let (name, file) = if is_dir {
                let f = join(&dir, &entry).module_file();
                if !ev.tree.is_file(&f) {
                    continue;
                }
                (entry.clone(), f)
            } else if let Some(n) = entry.strip_suffix(".nix") {
                (n.to_string(), join(&dir, &entry))
            } else {
                continue;
            };
            let mut extra = vec![Target::File(file.clone()), Target::Input("*".into())];
            extra.extend(trees(
                ev,
                root,
                &[
                    "modules/flake",
                    "modules/flake-parts",
                    "nix/modules/flake",
                    "nix/modules/flake-parts",
                    "modules/nixos",
                    "modules/darwin",
                    "modules/home",
                    "overlays",
                ],
            ));
            hosts.add(
                ev,
                darwin,
                &name,
                Thunk::value(Value::System),
                Placed {
                    rule: "nixos-unified",
                    file: file.to_string(),
                    line: 1,
                    extra,
                },
            );
        }
    }
}

/// flake-utils-plus: `hosts.<name>` with `hostDefaults`.
fn flake_utils_plus(ev: &Eval, arg: &Thunk, a: &Attrs, hosts: &mut Hosts) {
    let Some(hs) = a.map.get("hosts") else { return };
    let Value::Attrs(hs_v) = ev.force(hs) else {
        return;
    };
    let shared = [
        "hostDefaults",
        "sharedOverlays",
        "channels",
        "channelsConfig",
    ];
    for (name, t) in hs_v.map.iter() {
        let output = ev
            .select(&ev.force(t), "output")
            .and_then(|o| o.as_str())
            .unwrap_or_else(|| "nixosConfigurations".into());
        let mut items = vec![t.clone()];
        if let Value::List(l) = ev.force(&selected(ev, arg, &shared)) {
            items.extend(l.iter().cloned());
        }
        let (file, line) = super::hosts::thunk_site(ev, t).unwrap_or(("flake.nix".into(), 1));
        hosts.add(
            ev,
            output == "darwinConfigurations",
            name,
            Thunk::value(Value::List(Rc::new(items))),
            Placed {
                rule: "flake-utils-plus",
                file,
                line,
                extra: vec![],
            },
        );
    }
}

/// easy-hosts, from the `easy-hosts` definitions of flake-parts modules.
pub fn easy_hosts(ev: &Eval, defs: &[Thunk], hosts: &mut Hosts) {
    let mut settings = vec![];
    let mut path = None;
    let mut only_system: Option<String> = None;
    let mut auto = false;
    let mut explicit: Vec<(String, Thunk)> = vec![];
    for d in defs {
        let Value::Attrs(a) = ev.force(d) else {
            continue;
        };
        for k in ["shared", "perClass", "perArch", "perTag"] {
            if a.map.contains_key(k) {
                settings.push(Thunk::select(d.clone(), k.into()));
            }
        }
        if let Some(Value::Path(p)) = a.map.get("path").map(|t| ev.force(t)) {
            path = Some(p);
        }
        if let Some(s) = a.map.get("onlySystem").and_then(|t| ev.force(t).as_str()) {
            only_system = Some(s);
        }
        if let Some(Value::Bool(b)) = a.map.get("autoConstruct").map(|t| ev.force(t)) {
            auto = b;
        }
        if let Some(Value::Attrs(h)) = a.map.get("hosts").map(|t| ev.force(t)) {
            explicit.extend(h.map.iter().map(|(k, t)| (k.clone(), t.clone())));
        }
    }
    let class_of = |system: &str| system.rsplit('-').next().unwrap_or("nixos") == "darwin";
    let mut add = |name: &str,
                   darwin: bool,
                   dir: Option<RepoPath>,
                   own: Option<&Thunk>,
                   listings: Vec<RepoPath>| {
        let mut items = settings.clone();
        items.extend(own.cloned());
        let mut extra: Vec<Target> = listings.into_iter().map(Target::Listing).collect();
        extra.push(Target::Input("*".into()));
        let (file, line) = match (&dir, own) {
            (Some(d), _) => {
                extra.push(Target::File(d.module_file()));
                (d.module_file().to_string(), 1)
            }
            (None, Some(t)) => super::hosts::thunk_site(ev, t).unwrap_or(("flake.nix".into(), 1)),
            (None, None) => ("flake.nix".into(), 1),
        };
        // Without a path of its own, easy-hosts looks in hosts/<name> and systems/<name>.
        if dir.is_none() {
            for base in ["hosts", "systems"] {
                extra.push(Target::File(RepoPath::new_unchecked(format!(
                    "{base}/{name}/default.nix"
                ))));
            }
        }
        hosts.add(
            ev,
            darwin,
            name,
            Thunk::value(Value::List(Rc::new(items))),
            Placed {
                rule: "easy-hosts",
                file,
                line,
                extra,
            },
        );
    };
    if auto && let Some(path) = &path {
        match &only_system {
            Some(system) => {
                for (name, is_dir) in entries(ev, path) {
                    if is_dir {
                        let own = explicit
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map(|(_, t)| t.clone());
                        add(
                            &name,
                            class_of(system),
                            Some(join(path, &name)),
                            own.as_ref(),
                            vec![path.clone()],
                        );
                    }
                }
            }
            None => {
                for (system, is_dir) in entries(ev, path) {
                    if !is_dir {
                        continue;
                    }
                    let sys_dir = join(path, &system);
                    for (name, is_dir) in entries(ev, &sys_dir) {
                        if is_dir {
                            let own = explicit
                                .iter()
                                .find(|(n, _)| *n == name)
                                .map(|(_, t)| t.clone());
                            add(
                                &name,
                                class_of(&system),
                                Some(join(&sys_dir, &name)),
                                own.as_ref(),
                                vec![path.clone(), sys_dir.clone()],
                            );
                        }
                    }
                }
            }
        }
    }
    for (name, t) in &explicit {
        if ev.parts.borrow().placed.keys().any(|(_, n)| n == name) {
            continue;
        }
        let v = ev.force(t);
        let class = ev
            .select(&v, "class")
            .and_then(|c| c.as_str())
            .unwrap_or_default();
        let dir = match ev.select(&v, "path") {
            Some(Value::Path(p)) if ev.tree.is_dir(&p) => Some(p),
            _ => None,
        };
        add(name, class == "darwin", dir, Some(t), vec![]);
    }
}

/// `haumea.lib.load { src = ./dir; … }`: an attribute per `.nix` file
/// (its value) and per folder (loaded the same way); names starting with
/// `_` are private to the tree.
pub fn haumea_load(ev: &Eval, arg: &Value) -> Value {
    let Some(Value::Path(src)) = ev.select(arg, "src") else {
        return Value::Unknown;
    };
    haumea_dir(ev, &src, 0)
}

fn haumea_dir(ev: &Eval, dir: &RepoPath, depth: u32) -> Value {
    if depth > 32 {
        return Value::Unknown;
    }
    ev.parts.borrow_mut().haumea.push(dir.clone());
    let mut attrs = Attrs::default();
    for (entry, is_dir) in entries(ev, dir) {
        if entry.starts_with('_') {
            continue;
        }
        let p = join(dir, &entry);
        if is_dir {
            let v = haumea_dir(ev, &p, depth + 1);
            attrs.map.insert(entry, Thunk::value(v));
        } else if let Some(name) = entry.strip_suffix(".nix") {
            match ev.file_thunk(&p) {
                Some(t) => {
                    attrs.map.insert(name.to_string(), t);
                }
                None => attrs.dynamic = true,
            }
        }
    }
    Value::Attrs(Rc::new(attrs))
}
