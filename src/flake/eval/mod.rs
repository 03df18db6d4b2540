//! A partial, lazy evaluator over the rnix syntax tree. It computes only what
//! the analysis needs (host names, strings for interpolation, paths, attrsets
//! of modules) and answers `Unknown` for everything else. Fuel and depth
//! limits keep it finite on any input.
use std::cell::Cell;
use std::rc::Rc;

use rnix::ast::{self, InterpolPart};

use super::known::KnownFunction;

mod bind;
use super::path::{self, Outside, RepoPath};
use super::source::SourceTree;
use super::value::*;

const MAX_DEPTH: u32 = 200;
const FUEL: u64 = 50_000;

/// One evaluator over a parsed tree, with its own fuel and caches. Its
/// values hold `Rc`s, so each thread keeps its own evaluator.
pub struct Eval<'t> {
    /// The repository it reads.
    pub tree: &'t SourceTree,
    depth: Cell<u32>,
    fuel: Cell<u64>,
    /// The value of `outputs` (what `self.<attr>` selects from).
    pub outputs: std::cell::RefCell<Option<Thunk>>,
    /// Input names declared by flake.nix.
    pub input_names: Vec<String>,
    /// The flake-parts module system `mkFlake` collected, if the outputs use it.
    pub parts: std::cell::RefCell<super::parts::Parts>,
    roots: std::cell::RefCell<std::collections::HashMap<String, Option<Thunk>>>,
    names: std::cell::RefCell<std::collections::HashMap<String, Rc<str>>>,
}

impl<'t> Eval<'t> {
    /// A fresh evaluator with full fuel, before `hosts::prepare` binds the flake.
    pub fn new(tree: &'t SourceTree) -> Self {
        Eval {
            tree,
            depth: Cell::new(0),
            fuel: Cell::new(FUEL),
            outputs: Default::default(),
            input_names: vec![],
            parts: Default::default(),
            roots: Default::default(),
            names: Default::default(),
        }
    }

    /// The top-level expression of a repository .nix file as a thunk
    /// (shared, so a file imported twice is evaluated once).
    pub fn file_thunk(&self, rel: &str) -> Option<Thunk> {
        if let Some(t) = self.roots.borrow().get(rel) {
            return t.clone();
        }
        let t = self
            .tree
            .nix_file(rel)
            .filter(|f| f.error().is_none())
            .and_then(|f| f.root_expr())
            .map(|e| Thunk::lazy(e, self.global_env(), self.file_name(rel)));
        self.roots.borrow_mut().insert(rel.to_string(), t.clone());
        t
    }

    /// The one shared name of a repository file (walkers key on its address).
    pub fn file_name(&self, rel: &str) -> Rc<str> {
        if let Some(n) = self.names.borrow().get(rel) {
            return n.clone();
        }
        let n: Rc<str> = Rc::from(rel);
        self.names.borrow_mut().insert(rel.to_string(), n.clone());
        n
    }

    /// A fresh step budget for the next top-level walk.
    pub fn refuel(&self) {
        self.fuel.set(FUEL);
    }

    /// A smaller budget: a module walked on its own needs constants only,
    /// not the evaluation of helper machinery (which widens soundly when cut).
    /// A file where no path can arise (`NixFile::pathless`) needs little
    /// more than its names resolved: a module system implemented in it
    /// would otherwise be evaluated for nothing.
    pub fn refuel_module(&self, pathless: bool) {
        self.fuel.set(if pathless { FUEL / 100 } else { FUEL / 10 });
    }

    /// The scope every file starts in (builtins are resolved by name, not bound).
    pub fn global_env(&self) -> Env {
        Env::default()
    }

    /// The value of a thunk, computed once; `Unknown` for a thunk that
    /// needs itself (infinite recursion in the source).
    pub fn force(&self, t: &Thunk) -> Value {
        {
            let mut slot = t.0.slot.borrow_mut();
            match &*slot {
                Slot::Done(v) => return v.clone(),
                Slot::Forcing => return Value::Unknown, // infinite recursion in the source
                Slot::Empty => *slot = Slot::Forcing,
            }
        }
        let v = match &t.0.origin {
            Origin::Expr { expr, env, file } => self.eval(expr, env, file),
            Origin::Apply { func, args } => {
                let mut v = func.clone();
                for a in args {
                    v = self.apply(v, a.clone());
                }
                v
            }
            Origin::Select { base, name } => {
                let b = self.force(base);
                self.select(&b, name).unwrap_or(Value::Unknown)
            }
            Origin::Value => Value::Unknown,
        };
        *t.0.slot.borrow_mut() = Slot::Done(v.clone());
        v
    }

    /// The value of `expr` in `env`, or `Unknown` when the fuel or depth
    /// limit is reached.
    pub fn eval(&self, expr: &ast::Expr, env: &Env, file: &Rc<str>) -> Value {
        let fuel = self.fuel.get();
        if fuel == 0 || self.depth.get() >= MAX_DEPTH {
            return Value::Unknown;
        }
        self.fuel.set(fuel - 1);
        self.depth.set(self.depth.get() + 1);
        let v = self.eval_inner(expr, env, file);
        self.depth.set(self.depth.get() - 1);
        v
    }

    fn eval_inner(&self, expr: &ast::Expr, env: &Env, file: &Rc<str>) -> Value {
        use ast::Expr::*;
        match expr {
            Paren(p) => self.eval_opt(p.expr(), env, file),
            Root(r) => self.eval_opt(r.expr(), env, file),
            Assert(a) => self.eval_opt(a.body(), env, file),
            Literal(l) => match l.kind() {
                ast::LiteralKind::Integer(i) => i.value().map(Value::Int).unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            },
            Str(s) => self.eval_str(s, env, file),
            PathRel(p) => {
                match path_text(&p.parts(), |e| self.eval_opt(e.expr(), env, file).as_str()) {
                    Some(text) => resolve_rel(file, &text),
                    None => Value::Unknown,
                }
            }
            Ident(i) => {
                let name = ident_name(i);
                self.lookup(&name, env)
            }
            Select(s) => self.eval_select(s, env, file),
            Apply(a) => {
                let f = self.eval_opt(a.lambda(), env, file);
                // A local `import-tree` (a stand-in or a wrapper) is read as
                // import-tree's own; its file is machinery.
                if let Value::Closure(c) = &f
                    && a.lambda().and_then(|l| last_name(&l)).as_deref() == Some("import-tree")
                    && let Some(arg) = a.argument()
                {
                    self.parts
                        .borrow_mut()
                        .machinery
                        .insert(RepoPath::new_unchecked(&*c.file));
                    return super::parts::import_tree(self, &self.eval(&arg, env, file));
                }
                match a.argument() {
                    Some(arg) => self.apply(f, Thunk::lazy(arg, env.clone(), file.clone())),
                    None => Value::Unknown,
                }
            }
            Lambda(l) => Value::Closure(Rc::new(Closure {
                lambda: l.clone(),
                env: env.clone(),
                file: file.clone(),
            })),
            LetIn(l) => {
                let scope = self.bind_entries(l, env, file, true).1;
                self.eval_opt(l.body(), &scope, file)
            }
            AttrSet(set) => {
                let rec = set.rec_token().is_some();
                let (attrs, _) = self.bind_entries(set, env, file, rec);
                Value::Attrs(Rc::new(attrs))
            }
            List(l) => Value::List(Rc::new(
                l.items()
                    .map(|e| Thunk::lazy(e, env.clone(), file.clone()))
                    .collect(),
            )),
            With(w) => {
                let ns = match w.namespace() {
                    Some(n) => Thunk::lazy(n, env.clone(), file.clone()),
                    None => Thunk::value(Value::Unknown),
                };
                self.eval_opt(w.body(), &env.with_scope(ns), file)
            }
            IfElse(i) => match self.eval_opt(i.condition(), env, file) {
                Value::Bool(true) => self.eval_opt(i.body(), env, file),
                Value::Bool(false) => self.eval_opt(i.else_body(), env, file),
                _ => Value::Unknown,
            },
            BinOp(b) => self.eval_binop(b, env, file),
            _ => Value::Unknown,
        }
    }

    /// `eval` of an optional expression (`Unknown` when absent).
    pub fn eval_opt(&self, e: Option<ast::Expr>, env: &Env, file: &Rc<str>) -> Value {
        e.map(|e| self.eval(&e, env, file))
            .unwrap_or(Value::Unknown)
    }

    /// A variable: lexical scopes first, then `with` namespaces (innermost
    /// first), then the global names (`true`, `builtins`, known functions).
    pub fn lookup(&self, name: &str, env: &Env) -> Value {
        if let Some(t) = env.lexical(name) {
            return self.force(&t);
        }
        for w in env.withs() {
            match self.force(&w) {
                Value::Attrs(a) => {
                    if let Some(t) = a.map.get(name) {
                        return self.force(t);
                    }
                    if a.dynamic {
                        return Value::Unknown;
                    }
                }
                // `with builtins;` (or another input): its functions by name.
                Value::Input(_) => match KnownFunction::by_name(name) {
                    Some(b) => return Value::Known(b, Rc::new(vec![])),
                    None if matches!(name, "true" | "false" | "null") => {}
                    None => return Value::Unknown,
                },
                _ => return Value::Unknown,
            }
        }
        match name {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            "builtins" => Value::Input("builtins".into()),
            _ => match KnownFunction::by_name(name) {
                Some(b) => Value::Known(b, Rc::new(vec![])),
                None => Value::Unknown,
            },
        }
    }

    fn eval_str(&self, s: &ast::Str, env: &Env, file: &Rc<str>) -> Value {
        let parts = s.normalized_parts();
        let mut out = String::new();
        let mut base: Option<RepoPath> = None;
        for (i, part) in parts.iter().enumerate() {
            match part {
                InterpolPart::Literal(l) => out.push_str(l),
                InterpolPart::Interpolation(ip) => match self.eval_opt(ip.expr(), env, file) {
                    Value::Str(x) => out.push_str(&x),
                    Value::Path(p) if i == 0 => base = Some(p),
                    Value::SelfFlake if i == 0 => base = Some(RepoPath::root()),
                    _ => return Value::Unknown,
                },
            }
        }
        match base {
            // "${self}/x" and "${./dir}/x" name a path of the repository.
            Some(b) => path_value(b.join(&out)),
            None => Value::Str(out),
        }
    }

    fn eval_binop(&self, b: &ast::BinOp, env: &Env, file: &Rc<str>) -> Value {
        use ast::BinOpKind::*;
        let Some(op) = b.operator() else {
            return Value::Unknown;
        };
        let rhs_expr = b.rhs();
        let lhs = self.eval_opt(b.lhs(), env, file);
        // `dir + /core`: an absolute path literal on the right appends its text.
        let rhs = match &rhs_expr {
            Some(ast::Expr::PathAbs(p)) => {
                match path_text(&p.parts(), |e| self.eval_opt(e.expr(), env, file).as_str()) {
                    Some(t) => Value::Str(t),
                    None => Value::Unknown,
                }
            }
            _ => self.eval_opt(rhs_expr, env, file),
        };
        match op {
            Add => add(lhs, rhs),
            Concat => match (lhs, rhs) {
                (Value::List(a), Value::List(b)) => {
                    Value::List(Rc::new(a.iter().chain(b.iter()).cloned().collect()))
                }
                _ => Value::Unknown,
            },
            Update => match (lhs, rhs) {
                (Value::Attrs(a), Value::Attrs(b)) => {
                    let mut map = a.map.clone();
                    map.extend(b.map.iter().map(|(k, v)| (k.clone(), v.clone())));
                    Value::Attrs(Rc::new(Attrs {
                        map,
                        dynamic: a.dynamic || b.dynamic,
                    }))
                }
                (Value::Attrs(a), _) | (_, Value::Attrs(a)) => Value::Attrs(Rc::new(Attrs {
                    map: a.map.clone(),
                    dynamic: true,
                })),
                _ => Value::Unknown,
            },
            PipeRight => self.apply(rhs, Thunk::value(lhs)),
            PipeLeft => self.apply(lhs, Thunk::value(rhs)),
            Equal | NotEqual => match (lhs.as_str(), rhs.as_str()) {
                (Some(a), Some(b)) => Value::Bool((a == b) == (op == Equal)),
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    fn eval_select(&self, s: &ast::Select, env: &Env, file: &Rc<str>) -> Value {
        let mut v = self.eval_opt(s.expr(), env, file);
        let Some(path) = s.attrpath() else {
            return Value::Unknown;
        };
        let mut last = String::new();
        for attr in path.attrs() {
            let Some(name) = self.attr_name(&attr, env, file) else {
                return Value::Unknown;
            };
            last.clone_from(&name);
            match self.select(&v, &name) {
                Some(next) => v = next,
                None => {
                    return match s.default_expr() {
                        Some(d) => self.eval(&d, env, file),
                        None => Value::Unknown,
                    };
                }
            }
        }
        // A local `….lib.mkFlake` (a wrapper or a stand-in) is read as
        // flake-parts' own, as a local `nixosSystem` is read as nixpkgs'; its
        // file is machinery every host depends on.
        if let Value::Closure(c) = &v
            && last == "mkFlake"
        {
            self.parts
                .borrow_mut()
                .machinery
                .insert(RepoPath::new_unchecked(&*c.file));
            return Value::Known(KnownFunction::MkFlake, Rc::new(vec![]));
        }
        v
    }

    /// `v.name`; `None` when `v` is an attrset known not to have it.
    pub fn select(&self, v: &Value, name: &str) -> Option<Value> {
        Some(match v {
            Value::Attrs(a) => match a.map.get(name) {
                Some(t) => self.force(t),
                None if a.dynamic => Value::Unknown,
                None => return None,
            },
            Value::Inputs if name == "self" => Value::SelfFlake,
            Value::Inputs => Value::Input(name.to_string()),
            Value::SelfFlake => match self.outputs.borrow().clone() {
                Some(out) => match self.force(&out) {
                    Value::Attrs(a) => match a.map.get(name) {
                        Some(t) => self.force(t),
                        None => Value::Unknown,
                    },
                    _ => Value::Unknown,
                },
                None => Value::Unknown,
            },
            Value::Input(_) => match KnownFunction::by_name(name) {
                Some(b) => Value::Known(b, Rc::new(vec![])),
                None => v.clone(),
            },
            // `config.flake` of a flake-parts module is the flake's outputs.
            Value::PartsConfig if name == "flake" => Value::SelfFlake,
            Value::PartsConfig => Value::PartsConfig,
            Value::ModuleArgs(a) => match a.map.get(name) {
                Some(t) => self.force(t),
                None => Value::PartsConfig,
            },
            _ => match KnownFunction::by_name(name) {
                // `lib.genAttrs` on an unknown `lib`: the name is the best evidence.
                Some(b) => Value::Known(b, Rc::new(vec![])),
                None => Value::Unknown,
            },
        })
    }

    /// The name of one attribute of an attribute path, when it can be computed.
    pub fn attr_name(&self, attr: &ast::Attr, env: &Env, file: &Rc<str>) -> Option<String> {
        match attr {
            ast::Attr::Ident(i) => Some(ident_name(i)),
            ast::Attr::Str(s) => self.eval_str(s, env, file).as_str(),
            ast::Attr::Dynamic(d) => self.eval_opt(d.expr(), env, file).as_str(),
        }
    }

    /// `f arg`: a closure's body with its parameter bound, a known function
    /// once it has all its arguments.
    pub fn apply(&self, f: Value, arg: Thunk) -> Value {
        match f {
            Value::Closure(c) => {
                let env = self.bind_params(&c, arg);
                self.eval_opt(c.lambda.body(), &env, &c.file)
            }
            Value::Known(b, args) => {
                let mut args = (*args).clone();
                args.push(arg);
                // A one-argument `mkFlake` is a host framework's (snowfall-lib,
                // nixos-unified, flake-utils-plus), not flake-parts'.
                if b == KnownFunction::MkFlake
                    && args.len() == 1
                    && let Some(v) = super::frameworks::one_arg_mk_flake(self, &args[0])
                {
                    return v;
                }
                if args.len() < b.arity() {
                    return Value::Known(b, Rc::new(args));
                }
                b.value(self, &args)
            }
            Value::Input(i) if super::parts::is_import_tree(&i) => {
                super::parts::import_tree(self, &self.force(&arg))
            }
            Value::Input(i) if i == "haumea" => match self.force(&arg) {
                v @ Value::Attrs(_) if self.select(&v, "src").is_some() => {
                    super::frameworks::haumea_load(self, &v)
                }
                _ => Value::Input(i),
            },
            Value::Input(i) => Value::Input(i),
            Value::PartsConfig => Value::PartsConfig,
            _ => Value::Unknown,
        }
    }

    /// A list of known strings.
    pub fn strings(&self, v: &Value) -> Option<Vec<String>> {
        match v {
            Value::List(items) => items.iter().map(|t| self.force(t).as_str()).collect(),
            _ => None,
        }
    }

    /// `builtins.readDir`: entries of a repository directory, as Nix lists them.
    pub fn read_dir(&self, dir: &str) -> Attrs {
        let prefix = path::dir_prefix(dir);
        let mut attrs = Attrs::default();
        let direct = |p: &String| {
            p.strip_prefix(&prefix)
                .filter(|r| !r.is_empty() && !r.contains('/'))
                .map(str::to_string)
        };
        for f in self.tree.files_under(dir) {
            if let Some(name) = direct(f) {
                attrs
                    .map
                    .insert(name, Thunk::value(Value::Str("regular".into())));
            }
        }
        for d in self.tree.dirs_under(dir) {
            if let Some(name) = direct(d) {
                attrs
                    .map
                    .insert(name, Thunk::value(Value::Str("directory".into())));
            }
        }
        attrs
    }
}

/// `lhs + rhs`: a path and a string make a path (`./. + "/${f}"`), as do
/// the flake's `self` and a string; strings concatenate, integers add.
pub fn add(lhs: Value, rhs: Value) -> Value {
    match (lhs, rhs) {
        (Value::Path(p), Value::Str(s)) => path_value(p.join(&s)),
        (Value::SelfFlake, Value::Str(s)) => path_value(RepoPath::root().join(&s)),
        (Value::Str(a), Value::Str(b)) => Value::Str(a + &b),
        (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(b)),
        _ => Value::Unknown,
    }
}

/// The name a function is called by: `f` in `f x`, `g` in `a.b.g x`.
fn last_name(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Ident(i) => Some(ident_name(i)),
        ast::Expr::Select(s) => match s.attrpath()?.attrs().last()? {
            ast::Attr::Ident(i) => Some(ident_name(&i)),
            _ => None,
        },
        ast::Expr::Paren(p) => last_name(&p.expr()?),
        _ => None,
    }
}

/// The text of an identifier (`or` used as a name included).
pub fn ident_name(i: &ast::Ident) -> String {
    use rowan::ast::AstNode;
    match i.ident_token() {
        Some(t) => t.text().to_string(),
        None => i.syntax().text().to_string(), // `or` used as a name
    }
}

/// The text of a path literal with its interpolations filled by `fill`;
/// `None` when some interpolation is not a known string.
pub fn path_text(
    parts: &[InterpolPart<ast::PathContent>],
    mut fill: impl FnMut(&ast::Interpol) -> Option<String>,
) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            InterpolPart::Literal(l) => out.push_str(l.text()),
            InterpolPart::Interpolation(i) => out.push_str(&fill(i)?),
        }
    }
    Some(out)
}

/// A relative path literal in `file`, as a repository path.
pub fn resolve_rel(file: &str, text: &str) -> Value {
    path_value(RepoPath::new_unchecked(path::parent(file)).join(text))
}

/// A joined path as a value: inside the repository or outside it.
pub fn path_value(joined: Result<RepoPath, Outside>) -> Value {
    match joined {
        Ok(p) => Value::Path(p),
        Err(Outside(text)) => Value::Outside(text),
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}
