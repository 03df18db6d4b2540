//! Abstract values of the partial evaluator: what a Nix expression is known
//! to be without evaluating Nix. Anything the analyzer cannot know is
//! `Unknown`, and every consumer treats `Unknown` soundly (wider, never narrower).
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use rnix::ast;

#[derive(Clone, Debug)]
pub enum Value {
    Str(String),
    /// A path inside the repository (normalised, `/`-separated, "" = root).
    Path(String),
    /// A path literal that leaves the repository.
    Outside(String),
    Bool(bool),
    Int(i64),
    Null,
    List(Rc<Vec<Thunk>>),
    Attrs(Rc<Attrs>),
    Closure(Rc<Closure>),
    Builtin(Builtin, Rc<Vec<Thunk>>),
    /// The flake's own `self`.
    SelfFlake,
    /// The `inputs` argument of `outputs` (`inputs.self` is `SelfFlake`).
    Inputs,
    /// Something taken from the named input flake.
    Input(String),
    /// The result of `nixosSystem` / `darwinSystem`.
    System,
    Unknown,
}

#[derive(Debug, Default)]
pub struct Attrs {
    pub map: BTreeMap<String, Thunk>,
    /// Some attribute names could not be computed.
    pub dynamic: bool,
}

#[derive(Debug)]
pub struct Closure {
    pub lambda: ast::Lambda,
    pub env: Env,
    pub file: Rc<str>,
}

/// Functions the analyzer understands by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Import,
    CallPackage,
    GenAttrs,
    MapAttrs,
    ListToAttrs,
    NameValuePair,
    Map,
    AttrNames,
    AttrValues,
    ReadDir,
    ListFilesRecursive,
    FilterAttrs,
    Filter,
    RemoveSuffix,
    PathAppend,
    ToString,
    NixosSystem,
    DarwinSystem,
    MkFlake,
    /// `getEnv`, `currentSystem`, `getFlake`: impure, cannot be resolved.
    Impure,
    /// Functions whose result is opaque but whose argument is only read.
    Opaque,
}

impl Builtin {
    pub fn arity(self) -> usize {
        use Builtin::*;
        match self {
            GenAttrs | MapAttrs | NameValuePair | Map | FilterAttrs | Filter | RemoveSuffix
            | PathAppend | CallPackage | MkFlake => 2,
            _ => 1,
        }
    }

    /// The builtin a name denotes, whether reached as `builtins.x`, `lib.x`,
    /// `pkgs.x` or a bare global.
    pub fn by_name(name: &str) -> Option<Builtin> {
        use Builtin::*;
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
}

/// A lazily computed value that remembers where it came from: the walker
/// follows the origin (the syntax), the evaluator uses the value.
#[derive(Clone, Debug)]
pub struct Thunk(pub Rc<ThunkInner>);

#[derive(Debug)]
pub struct ThunkInner {
    pub origin: Origin,
    pub slot: RefCell<Slot>,
}

#[derive(Debug)]
pub enum Origin {
    Expr {
        expr: ast::Expr,
        env: Env,
        file: Rc<str>,
    },
    /// A deferred application, e.g. the value `f name` that `genAttrs` makes.
    Apply {
        func: Value,
        args: Vec<Thunk>,
    },
    /// `inherit (base) name;`
    Select {
        base: Thunk,
        name: String,
    },
    Value,
}

#[derive(Debug)]
pub enum Slot {
    Empty,
    Forcing,
    Done(Value),
}

impl Thunk {
    fn new(origin: Origin, slot: Slot) -> Self {
        Thunk(Rc::new(ThunkInner {
            origin,
            slot: RefCell::new(slot),
        }))
    }
    pub fn lazy(expr: ast::Expr, env: Env, file: Rc<str>) -> Self {
        Self::new(Origin::Expr { expr, env, file }, Slot::Empty)
    }
    pub fn value(v: Value) -> Self {
        Self::new(Origin::Value, Slot::Done(v))
    }
    pub fn apply(func: Value, args: Vec<Thunk>) -> Self {
        Self::new(Origin::Apply { func, args }, Slot::Empty)
    }
    pub fn select(base: Thunk, name: String) -> Self {
        Self::new(Origin::Select { base, name }, Slot::Empty)
    }
    pub fn id(&self) -> usize {
        Rc::as_ptr(&self.0) as *const () as usize
    }
}

/// A lexical scope. `with` scopes are searched only after every lexical one,
/// as Nix does.
#[derive(Debug, Default)]
pub struct Scope {
    pub vars: RefCell<HashMap<String, Thunk>>,
    pub with: Option<Thunk>,
    pub parent: Option<Env>,
    /// The scope binds a function's parameters (what a caller passed).
    pub params: std::cell::Cell<bool>,
}

#[derive(Clone, Debug, Default)]
pub struct Env(pub Rc<Scope>);

impl Env {
    pub fn child(&self) -> Env {
        Env(Rc::new(Scope {
            parent: Some(self.clone()),
            ..Default::default()
        }))
    }
    pub fn with_scope(&self, ns: Thunk) -> Env {
        Env(Rc::new(Scope {
            parent: Some(self.clone()),
            with: Some(ns),
            ..Default::default()
        }))
    }
    pub fn mark_params(&self) {
        self.0.params.set(true);
    }
    /// The values of every parameter bound in this scope or around it: what
    /// the callers of the enclosing functions passed.
    pub fn param_values(&self) -> Vec<Thunk> {
        let mut out = vec![];
        let mut cur = Some(self);
        while let Some(env) = cur {
            if env.0.params.get() {
                out.extend(env.0.vars.borrow().values().cloned());
            }
            cur = env.0.parent.as_ref();
        }
        out
    }
    pub fn set(&self, name: &str, t: Thunk) {
        self.0.vars.borrow_mut().insert(name.to_string(), t);
    }
    pub fn id(&self) -> usize {
        Rc::as_ptr(&self.0) as *const () as usize
    }
    /// A lexically bound name.
    pub fn lexical(&self, name: &str) -> Option<Thunk> {
        let mut cur = Some(self);
        while let Some(env) = cur {
            if let Some(t) = env.0.vars.borrow().get(name) {
                return Some(t.clone());
            }
            cur = env.0.parent.as_ref();
        }
        None
    }
    /// The `with` namespaces, innermost first.
    pub fn withs(&self) -> Vec<Thunk> {
        let mut out = vec![];
        let mut cur = Some(self);
        while let Some(env) = cur {
            if let Some(w) = &env.0.with {
                out.push(w.clone());
            }
            cur = env.0.parent.as_ref();
        }
        out
    }
}
