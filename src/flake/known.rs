//! The vocabulary of Nix, nixpkgs and NixOS names the analysis understands,
//! in one place: the functions it knows by name ([`KnownFunction`]), with each
//! one's value meaning (what the partial evaluator computes) and reference
//! meaning (what the walker records) side by side, and the attribute and
//! argument names that change how a value is used.
//!
//! A function is known by its last name wherever it is reached
//! (`builtins.x`, `lib.x`, `pkgs.x`, a bare global): a flake that rebinds a
//! known name to something else is read as if it had not, which can only add
//! references (the walker also walks the arguments), never drop one.
//!
//! To teach the analysis a new function: add a variant, its names in
//! [`KnownFunction::by_name`], its [`KnownFunction::arity`], what it returns in
//! [`KnownFunction::value`] and what it names in `KnownFunction::walk`.
use std::rc::Rc;

use rnix::ast;

use super::eval::Eval;
use super::value::*;
use super::walk::{Target, Usage, Walker};

/// Attribute names whose value is a list of modules (`imports = [ … ]`,
/// `nixosSystem { modules = [ … ]; }`, home-manager's `sharedModules`).
pub const MODULE_LIST_ATTRS: &[&str] = &["imports", "modules", "sharedModules"];

/// Attribute names whose value is passed on to modules as arguments
/// (`specialArgs`, home-manager's `extraSpecialArgs`): a bare `self` there is
/// not yet a use of the whole source.
pub const PASSED_ATTRS: &[&str] = &["specialArgs", "extraSpecialArgs"];

/// The attribute under which the module system passes its own arguments.
pub const MODULE_ARGS_ATTR: &str = "_module";

/// The names of the functions that build a system from modules
/// (`lib.nixosSystem`, nix-darwin's `darwinSystem`). A local function with
/// one of these names is read as the real one: its argument holds the host's
/// modules, its definition is a dependency that configures nothing.
pub fn is_system_function(name: &str) -> bool {
    matches!(name, "nixosSystem" | "darwinSystem")
}

/// What a module function receives for an argument nobody passed explicitly.
/// `self` and `inputs` are the flake's own (passed by specialArgs in practice).
pub fn module_arg(name: &str) -> Value {
    match name {
        "self" => Value::SelfFlake,
        "inputs" => Value::Inputs,
        _ => Value::Unknown,
    }
}

/// Attributes of a flake's `self` that name the commit rather than the
/// files: they differ between any two commits, and between a commit and a
/// dirty working tree.
pub const REVISION_ATTRS: &[&str] = &[
    "rev",
    "shortRev",
    "dirtyRev",
    "dirtyShortRev",
    "lastModified",
    "lastModifiedDate",
    "revCount",
];

/// The outputs that hold hosts, with the kind of host each holds.
pub const HOST_OUTPUTS: [(&str, &str); 2] = [
    ("nixosConfigurations", "nixos"),
    ("darwinConfigurations", "darwin"),
];

/// Frameworks that place hosts by convention (by their input names); the
/// analysis names them when it cannot find hosts rather than answering
/// "no hosts".
pub const HOST_FRAMEWORKS: &[&str] = &[
    "snowfall-lib",
    "nixos-unified",
    "easy-hosts",
    "haumea",
    "import-tree",
    "flake-utils-plus",
    "digga",
    "std",
    "hive",
    "den",
];

/// The frameworks of [`HOST_FRAMEWORKS`] with a rule (`flake::frameworks`,
/// `flake::parts`).
pub const FRAMEWORK_RULES: &[&str] = &[
    "snowfall-lib",
    "nixos-unified",
    "easy-hosts",
    "haumea",
    "import-tree",
    "flake-utils-plus",
];

/// What `withSystem system f` passes to `f`: the system, the inputs per
/// system (`inputs'`), and perSystem values that any module may define.
fn per_system_args(system: &Thunk) -> Value {
    let mut a = Attrs::default();
    a.map.insert("system".into(), system.clone());
    a.map.insert("inputs'".into(), Thunk::value(Value::Inputs));
    Value::ModuleArgs(Rc::new(a))
}

/// Whether `fexpr` names a builtin or nixpkgs' lib function as such: a
/// bare global (`readFile`), `builtins.x`, `lib.x`, `pkgs.x` or
/// `pkgs.lib.x`, rather than an attribute of some other value that merely
/// has the same last name.
fn called_as_builtin(fexpr: &ast::Expr, env: &Env) -> bool {
    use rowan::ast::AstNode;
    match super::walk::strip_parens(fexpr.clone()) {
        ast::Expr::Ident(i) => env.lexical(&super::eval::ident_name(&i)).is_none(),
        ast::Expr::Select(s) => {
            let base = s.expr().map(|e| e.syntax().text().to_string());
            let path: Vec<Option<String>> = s
                .attrpath()
                .map(|p| p.attrs().map(|a| super::slice::literal_attr(&a)).collect())
                .unwrap_or_default();
            s.default_expr().is_none()
                && match (base.as_deref(), path.as_slice()) {
                    (Some("builtins" | "lib" | "pkgs"), [Some(_)]) => true,
                    (Some("pkgs"), [Some(l), Some(_)]) => l == "lib",
                    _ => false,
                }
        }
        _ => false,
    }
}

/// Functions the analysis understands by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownFunction {
    /// `import path`: the file's value.
    Import,
    /// `callPackage path args`: the file is a dependency, as a module.
    CallPackage,
    /// `genAttrs names f`: an attrset with `f name` per name.
    GenAttrs,
    /// `mapAttrs f set`: `f name value` per attribute.
    MapAttrs,
    /// `listToAttrs [ { name; value; } ]`.
    ListToAttrs,
    /// `nameValuePair name value`.
    NameValuePair,
    /// `map f list`.
    Map,
    /// `attrNames set`.
    AttrNames,
    /// `attrValues set`.
    AttrValues,
    /// `readDir dir`: the listing of a repository directory.
    ReadDir,
    /// `listFilesRecursive dir`: every file below a directory.
    ListFilesRecursive,
    /// `filterAttrs pred set`: kept whole (a superset).
    FilterAttrs,
    /// `filter pred list`: kept whole (a superset).
    Filter,
    /// `removeSuffix suffix s`.
    RemoveSuffix,
    /// `lib.path.append base rel`.
    PathAppend,
    /// `toString x` of a string or integer.
    ToString,
    /// nixpkgs' `lib.nixosSystem`: builds a NixOS host from modules.
    NixosSystem,
    /// nix-darwin's `darwinSystem`: builds a darwin host from modules.
    DarwinSystem,
    /// flake-parts' `mkFlake`: the `flake` definitions of its modules are the outputs.
    MkFlake,
    /// flake-parts' `withSystem system f`: `f` applied to that system's perSystem values.
    WithSystem,
    /// `getEnv`, `currentSystem`, `getFlake`: impure, cannot be resolved.
    Impure,
    /// Functions whose result is opaque but whose argument is only read.
    Opaque,
}

impl KnownFunction {
    /// How many arguments the function takes before it does anything.
    pub fn arity(self) -> usize {
        use KnownFunction::*;
        match self {
            GenAttrs | MapAttrs | NameValuePair | Map | FilterAttrs | Filter | RemoveSuffix
            | PathAppend | CallPackage | MkFlake | WithSystem => 2,
            _ => 1,
        }
    }

    /// The builtin a name denotes, whether reached as `builtins.x`, `lib.x`,
    /// `pkgs.x` or a bare global.
    pub fn by_name(name: &str) -> Option<KnownFunction> {
        use KnownFunction::*;
        Some(match name {
            "import" => Import,
            "callPackage" | "callPackages" => CallPackage,
            "genAttrs" => GenAttrs,
            "mapAttrs" | "mapAttrs'" => MapAttrs,
            "listToAttrs" => ListToAttrs,
            "nameValuePair" => NameValuePair,
            "map" | "forEach" => Map,
            "attrNames" => AttrNames,
            "attrValues" => AttrValues,
            "readDir" => ReadDir,
            "listFilesRecursive" => ListFilesRecursive,
            "filterAttrs" => FilterAttrs,
            "filter" => Filter,
            "removeSuffix" => RemoveSuffix,
            "append" => PathAppend,
            "toString" => ToString,
            "nixosSystem" => NixosSystem,
            "darwinSystem" => DarwinSystem,
            "mkFlake" => MkFlake,
            "getEnv" | "currentSystem" | "getFlake" | "currentTime" => Impure,
            "readFile" | "importJSON" | "importTOML" | "fromJSON" | "fromTOML" | "pathExists"
            | "hashFile" | "cleanSource" | "path" | "toFile" => Opaque,
            _ => return None,
        })
    }

    /// What the function returns, applied to all its arguments (`args.len()
    /// == ev.arity()`), as far as the analysis can know it; `Unknown`
    /// otherwise. Consumers treat `Unknown` soundly.
    pub fn value(self, ev: &Eval, args: &[Thunk]) -> Value {
        use KnownFunction::*;
        let arg = |i: usize| ev.force(&args[i]);
        match self {
            Import => match arg(0) {
                Value::Path(p) => {
                    let target = if ev.tree.is_dir(&p) {
                        p.module_file()
                    } else {
                        p
                    };
                    match ev.file_thunk(&target) {
                        Some(t) => ev.force(&t),
                        None => Value::Unknown,
                    }
                }
                Value::Input(i) => Value::Input(i),
                _ => Value::Unknown,
            },
            GenAttrs => match ev.strings(&arg(0)) {
                Some(names) => {
                    let f = arg(1);
                    let map = names
                        .into_iter()
                        .map(|n| {
                            let t =
                                Thunk::apply(f.clone(), vec![Thunk::value(Value::Str(n.clone()))]);
                            (n, t)
                        })
                        .collect();
                    Value::Attrs(Rc::new(Attrs {
                        map,
                        dynamic: false,
                    }))
                }
                None => Value::Unknown,
            },
            MapAttrs => match arg(1) {
                Value::Attrs(a) => {
                    let f = arg(0);
                    let map = a
                        .map
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                Thunk::apply(
                                    f.clone(),
                                    vec![Thunk::value(Value::Str(k.clone())), v.clone()],
                                ),
                            )
                        })
                        .collect();
                    Value::Attrs(Rc::new(Attrs {
                        map,
                        dynamic: a.dynamic,
                    }))
                }
                _ => Value::Unknown,
            },
            // Entries the predicate is known to reject are dropped; the
            // rest (kept or unknown) stay: a superset.
            FilterAttrs => match arg(1) {
                Value::Attrs(a) => {
                    let pred = arg(0);
                    let map = a
                        .map
                        .iter()
                        .filter(|(k, v)| {
                            let name = Thunk::value(Value::Str((*k).clone()));
                            let r = ev.apply(ev.apply(pred.clone(), name), (*v).clone());
                            !matches!(r, Value::Bool(false))
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    Value::Attrs(Rc::new(Attrs {
                        map,
                        dynamic: a.dynamic,
                    }))
                }
                v => v,
            },
            Filter => match arg(1) {
                Value::List(items) => {
                    let pred = arg(0);
                    Value::List(Rc::new(
                        items
                            .iter()
                            .filter(|t| {
                                !matches!(ev.apply(pred.clone(), (*t).clone()), Value::Bool(false))
                            })
                            .cloned()
                            .collect(),
                    ))
                }
                v => v,
            },
            ListToAttrs => match arg(0) {
                Value::List(items) => {
                    let mut attrs = Attrs::default();
                    for item in items.iter() {
                        let v = ev.force(item);
                        let name = ev.select(&v, "name").and_then(|n| n.as_str());
                        let value = match &v {
                            Value::Attrs(a) => a.map.get("value").cloned(),
                            _ => None,
                        };
                        match (name, value) {
                            (Some(n), Some(val)) => {
                                attrs.map.insert(n, val);
                            }
                            _ => attrs.dynamic = true,
                        }
                    }
                    Value::Attrs(Rc::new(attrs))
                }
                _ => Value::Unknown,
            },
            NameValuePair => {
                let mut attrs = Attrs::default();
                attrs.map.insert("name".into(), args[0].clone());
                attrs.map.insert("value".into(), args[1].clone());
                Value::Attrs(Rc::new(attrs))
            }
            Map => match arg(1) {
                Value::List(items) => {
                    let f = arg(0);
                    Value::List(Rc::new(
                        items
                            .iter()
                            .map(|i| Thunk::apply(f.clone(), vec![i.clone()]))
                            .collect(),
                    ))
                }
                _ => Value::Unknown,
            },
            AttrNames => match arg(0) {
                Value::Attrs(a) if !a.dynamic => Value::List(Rc::new(
                    a.map
                        .keys()
                        .map(|k| Thunk::value(Value::Str(k.clone())))
                        .collect(),
                )),
                _ => Value::Unknown,
            },
            AttrValues => match arg(0) {
                Value::Attrs(a) if !a.dynamic => {
                    Value::List(Rc::new(a.map.values().cloned().collect()))
                }
                _ => Value::Unknown,
            },
            ReadDir => match arg(0) {
                Value::Path(dir) => Value::Attrs(Rc::new(ev.read_dir(&dir))),
                _ => Value::Unknown,
            },
            RemoveSuffix => match (arg(0).as_str(), arg(1).as_str()) {
                (Some(suf), Some(s)) => {
                    Value::Str(s.strip_suffix(suf.as_str()).unwrap_or(&s).to_string())
                }
                _ => Value::Unknown,
            },
            PathAppend => super::eval::add(arg(0), arg(1)),
            ToString => match arg(0) {
                Value::Str(s) => Value::Str(s),
                Value::Int(i) => Value::Str(i.to_string()),
                _ => Value::Unknown,
            },
            NixosSystem | DarwinSystem => Value::System,
            MkFlake => super::parts::mk_flake(ev, args),
            WithSystem => ev.apply(arg(1), Thunk::value(per_system_args(&args[0]))),
            CallPackage | ListFilesRecursive | Impure | Opaque => Value::Unknown,
        }
    }

    /// What a call names, for the walker: `fexpr arg` where `fexpr`
    /// evaluated to this function with the arguments `partial` already given.
    /// Records references on `w` and walks the parts the call does not
    /// explain by itself.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn walk(
        self,
        w: &mut Walker,
        partial: &[Thunk],
        fexpr: &ast::Expr,
        arg: &ast::Expr,
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
        use KnownFunction::*;
        let b = self;
        let complete = partial.len() + 1 >= b.arity();
        match b {
            Import | CallPackage if partial.is_empty() => {
                // The argument is a module-like position: a directory means default.nix.
                let path_usage = if usage == Usage::Callee && b == Import {
                    Usage::Callee
                } else {
                    Usage::Module
                };
                match w.ev.eval(arg, env, file) {
                    Value::Path(p) => {
                        let target = if w.ev.tree.is_dir(&p) {
                            p.module_file()
                        } else {
                            p
                        };
                        let target = if path_usage == Usage::Callee {
                            Target::FileWalked(target)
                        } else if usage == Usage::Definition {
                            Target::Machinery(target)
                        } else {
                            Target::File(target)
                        };
                        w.push(target, file, line);
                        w.walk_expr(fexpr, env, file, Usage::Value);
                    }
                    _ => {
                        w.walk_expr(fexpr, env, file, Usage::Value);
                        w.walk_expr(arg, env, file, Usage::Module);
                    }
                }
            }
            Map | GenAttrs | MapAttrs if complete && partial.len() == 1 => {
                let f = w.ev.force(&partial[0]);
                let data = w.ev.eval(arg, env, file);
                let elems: Option<Vec<Vec<Thunk>>> = match (b, &data) {
                    (Map, Value::List(items)) => {
                        Some(items.iter().map(|t| vec![t.clone()]).collect())
                    }
                    (GenAttrs, v) => w.ev.strings(v).map(|names| {
                        names
                            .into_iter()
                            .map(|n| vec![Thunk::value(Value::Str(n))])
                            .collect()
                    }),
                    (MapAttrs, Value::Attrs(a)) if !a.dynamic => Some(
                        a.map
                            .iter()
                            .map(|(k, v)| vec![Thunk::value(Value::Str(k.clone())), v.clone()])
                            .collect(),
                    ),
                    _ => None,
                };
                match (&f, elems) {
                    (Value::Closure(_), Some(elems)) => {
                        for args in elems {
                            w.walk_application(&f, &args, Usage::Value, file, line);
                        }
                        // The function expression's own syntax: walked as a callee only.
                        w.walk_callee_of(fexpr, env, file);
                    }
                    _ => w.walk_expr(fexpr, env, file, Usage::Value),
                }
                w.walk_expr(arg, env, file, Usage::Value);
            }
            ReadDir | ListFilesRecursive if partial.is_empty() => {
                match w.ev.eval(arg, env, file) {
                    Value::Path(p) if p.is_empty() && b == ListFilesRecursive => w.push(
                        Target::WholeSource(
                            "every file of the repository is listed (listFilesRecursive of the root)"
                                .into(),
                        ),
                        file,
                        line,
                    ),
                    Value::Path(p) => {
                        let target = if b == ReadDir {
                            Target::Listing(p)
                        } else {
                            Target::Tree(p)
                        };
                        w.push(target, file, line);
                    }
                    _ => w.walk_expr(arg, env, file, Usage::Value),
                }
                w.walk_expr(fexpr, env, file, Usage::Value);
            }
            PathAppend if complete => {
                let whole = w.ev.apply(
                    w.ev.apply(Value::Known(b, Rc::new(vec![])), partial[0].clone()),
                    Thunk::lazy(arg.clone(), env.clone(), file.clone()),
                );
                match whole {
                    Value::Path(p) => w.path_ref(&p, usage, file, line),
                    _ => match w.ev.force(&partial[0]) {
                        Value::Path(d) => {
                            w.push(Target::Glob(d.glob_join("*")), file, line);
                        }
                        _ => w.walk_expr(fexpr, env, file, Usage::Value),
                    },
                }
                w.walk_expr(arg, env, file, Usage::Value);
            }
            PathAppend => {
                // `relativeToRoot = lib.path.append ./.;`: the base is not a use by itself.
                if !matches!(w.ev.eval(arg, env, file), Value::Path(_)) {
                    w.walk_expr(arg, env, file, Usage::Value);
                }
            }
            Impure => {
                w.push(
                    Target::Unresolved(
                        "an impure builtin (getEnv, currentSystem, getFlake)".into(),
                    ),
                    file,
                    line,
                );
                w.walk_expr(arg, env, file, Usage::Value);
            }
            WithSystem if complete => {
                // perSystem values may be defined by any module.
                w.parts_widen(
                    "the host reads perSystem values through `withSystem`",
                    file,
                    line,
                );
                w.walk_expr(fexpr, env, file, Usage::Value);
                let f = w.ev.eval(arg, env, file);
                let bound = [Thunk::value(per_system_args(&partial[0]))];
                match f {
                    Value::Closure(_) => w.walk_application(&f, &bound, usage, file, line),
                    _ => w.walk_expr(arg, env, file, Usage::Value),
                }
            }
            NixosSystem | DarwinSystem => {
                w.walk_expr(fexpr, env, file, Usage::Value);
                w.walk_expr(arg, env, file, Usage::Value);
            }
            // `builtins.readFile ./x`: the path is data. Known by its last
            // name alone (`helpers.path ./m.nix`) the function may import
            // it: a value then, followed.
            Opaque if partial.is_empty() => {
                let usage = if called_as_builtin(fexpr, env) {
                    Usage::Read
                } else {
                    Usage::Value
                };
                w.walk_expr(fexpr, env, file, Usage::Value);
                w.walk_expr(arg, env, file, usage);
            }
            _ => {
                w.walk_expr(fexpr, env, file, Usage::Value);
                w.walk_expr(arg, env, file, Usage::Value);
            }
        }
    }
}
