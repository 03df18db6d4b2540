//! Abstract values of the partial evaluator: what a Nix expression is known
//! to be without evaluating Nix. Anything the analyzer cannot know is
//! `Unknown`, and every consumer treats `Unknown` soundly (wider, never narrower).
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use rnix::ast;

use super::known::KnownFunction;
use super::path::RepoPath;

/// What an expression is known to be.
#[derive(Clone, Debug)]
pub enum Value {
    /// A string (its context is not tracked).
    Str(String),
    /// A path inside the repository.
    Path(RepoPath),
    /// A path literal that leaves the repository.
    Outside(String),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// `null`.
    Null,
    /// A list of lazily computed items.
    List(Rc<Vec<Thunk>>),
    /// An attribute set.
    Attrs(Rc<Attrs>),
    /// A lambda with the scope it was defined in.
    Closure(Rc<Closure>),
    /// A function the analysis knows by name, with the arguments given so far.
    Known(KnownFunction, Rc<Vec<Thunk>>),
    /// The flake's own `self`.
    SelfFlake,
    /// The `inputs` argument of `outputs` (`inputs.self` is `SelfFlake`).
    Inputs,
    /// Something taken from the named input flake.
    Input(String),
    /// The result of `nixosSystem` / `darwinSystem`.
    System,
    /// The `config` (or `options`, `getSystem`, a perSystem value) of a
    /// flake-parts module system: any of its modules may define it, so a
    /// host that uses it depends on every module (`config.flake` is the
    /// flake's outputs).
    PartsConfig,
    /// The arguments a flake-parts module receives: the names given, and
    /// for any other name a value of the module system (`PartsConfig`,
    /// since `_module.args` may be set by any module).
    ModuleArgs(Rc<Attrs>),
    /// Anything the analysis cannot know.
    Unknown,
}

/// An attribute set: the names the analysis could compute, each with its lazy value.
#[derive(Debug, Default)]
pub struct Attrs {
    /// Attributes by name.
    pub map: BTreeMap<String, Thunk>,
    /// Some attribute names could not be computed.
    pub dynamic: bool,
}

/// A lambda and what it closes over.
#[derive(Debug)]
pub struct Closure {
    /// The lambda's syntax.
    pub lambda: ast::Lambda,
    /// The scope it was defined in.
    pub env: Env,
    /// The repository file it is written in (interned: compare by address).
    pub file: Rc<str>,
}

/// A lazily computed value that remembers where it came from: the walker
/// follows the origin (the syntax), the evaluator uses the value.
#[derive(Clone, Debug)]
pub struct Thunk(pub Rc<ThunkInner>);

/// A thunk's origin and its computed value.
#[derive(Debug)]
pub struct ThunkInner {
    /// Where the value comes from.
    pub origin: Origin,
    /// The value, once forced.
    pub slot: RefCell<Slot>,
}

/// Where a thunk's value comes from.
#[derive(Debug)]
pub enum Origin {
    /// An expression in a scope.
    Expr {
        /// The expression.
        expr: ast::Expr,
        /// The scope it is evaluated in.
        env: Env,
        /// The repository file it is written in.
        file: Rc<str>,
    },
    /// A deferred application, e.g. the value `f name` that `genAttrs` makes.
    Apply {
        /// The function.
        func: Value,
        /// Its arguments, in order.
        args: Vec<Thunk>,
    },
    /// `inherit (base) name;`
    Select {
        /// The attribute set.
        base: Thunk,
        /// The attribute.
        name: String,
    },
    /// A value given directly (it is already in the slot).
    Value,
}

/// A thunk's state.
#[derive(Debug)]
pub enum Slot {
    /// Not computed yet.
    Empty,
    /// Being computed: forcing it again is infinite recursion in the source.
    Forcing,
    /// Computed.
    Done(Value),
}

impl Thunk {
    fn new(origin: Origin, slot: Slot) -> Self {
        Thunk(Rc::new(ThunkInner {
            origin,
            slot: RefCell::new(slot),
        }))
    }
    /// `expr` in `env`, computed when forced.
    pub fn lazy(expr: ast::Expr, env: Env, file: Rc<str>) -> Self {
        Self::new(Origin::Expr { expr, env, file }, Slot::Empty)
    }
    /// A value already known.
    pub fn value(v: Value) -> Self {
        Self::new(Origin::Value, Slot::Done(v))
    }
    /// `func args…`, computed when forced.
    pub fn apply(func: Value, args: Vec<Thunk>) -> Self {
        Self::new(Origin::Apply { func, args }, Slot::Empty)
    }
    /// `base.name`, computed when forced.
    pub fn select(base: Thunk, name: String) -> Self {
        Self::new(Origin::Select { base, name }, Slot::Empty)
    }
    /// The thunk's identity (its address; stable while it is alive).
    pub fn id(&self) -> usize {
        Rc::as_ptr(&self.0) as *const () as usize
    }
}

/// A lexical scope. `with` scopes are searched only after every lexical one,
/// as Nix does.
#[derive(Debug, Default)]
pub struct Scope {
    /// Names bound here.
    pub vars: RefCell<HashMap<String, Thunk>>,
    /// The namespace of a `with` scope.
    pub with: Option<Thunk>,
    /// The enclosing scope.
    pub parent: Option<Env>,
    /// The scope binds a function's parameters (what a caller passed).
    pub params: std::cell::Cell<bool>,
}

#[derive(Clone, Debug, Default)]
/// A shared handle on a scope chain.
pub struct Env(pub Rc<Scope>);

impl Env {
    /// A new empty scope inside this one.
    pub fn child(&self) -> Env {
        Env(Rc::new(Scope {
            parent: Some(self.clone()),
            ..Default::default()
        }))
    }
    /// A `with ns;` scope inside this one.
    pub fn with_scope(&self, ns: Thunk) -> Env {
        Env(Rc::new(Scope {
            parent: Some(self.clone()),
            with: Some(ns),
            ..Default::default()
        }))
    }
    /// Mark this scope as binding a function's parameters.
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
    /// Bind `name` in this scope.
    pub fn set(&self, name: &str, t: Thunk) {
        self.0.vars.borrow_mut().insert(name.to_string(), t);
    }
    /// The scope's identity (its address; stable while it is alive).
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
