//! Dependency collection: walk the syntax a host can reach and record every
//! path it names. The base rule (flake-analysis.md) is that every path
//! literal in a reachable file is a dependency; the partial evaluator only
//! makes answers narrower where it can prove them (constant interpolation,
//! `self.<output>` selection, helper functions applied to literal arguments).
//! Whatever it cannot prove falls back to the syntax: globs, whole
//! directories, or the whole source.
use rustc_hash::{FxHashMap, FxHashSet};
use std::rc::Rc;
use std::sync::Arc;

use rnix::ast::{self, HasEntry, InterpolPart};
use rowan::ast::AstNode;

use super::eval::{self, Eval, ident_name, module_file};
use super::source;
use super::value::*;

/// One thing a file makes its hosts depend on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref {
    pub kind: RefKind,
    /// Repository path, glob pattern, input name or reason, by kind.
    pub target: String,
    /// The file and line that name it.
    pub from: String,
    pub line: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefKind {
    /// A file (it may not exist); a .nix file is followed.
    File,
    /// A .nix file that implements a `nixosSystem` (a stand-in or wrapper):
    /// followed like `File`, but it configures nothing.
    Machinery,
    /// A .nix file whose relevant code was walked with its arguments bound:
    /// a dependency, but not followed again unbound.
    FileWalked,
    /// Every file below a directory (a source copied whole).
    Dir,
    /// Every file below a directory, and every .nix file there may be imported.
    Tree,
    /// The listing of a directory (readDir): adding or removing an entry matters.
    Listing,
    /// A pattern (`*` spans `/`): interpolation the analysis could not resolve.
    Glob,
    /// A path outside the repository.
    Outside,
    /// An input flake by name.
    Input,
    /// Every tracked file (bare `self`, `self.rev`, …): `target` says why.
    WholeSource,
    /// Cannot be resolved statically (getEnv, absolute paths, …): whole source.
    Unresolved,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Usage {
    /// Any value: a directory means its whole content.
    Value,
    /// A module position: a directory means its default.nix.
    Module,
    /// The items of this list are modules (`imports`, `modules`).
    ModuleList,
    /// Passed along (specialArgs): a bare `self` here is not yet a use.
    Pass,
    /// An argument of a function whose body is walked with it bound: its uses
    /// in the body decide; a directory or bare `self` here is not yet a use.
    Arg,
    /// The function of an application whose body is walked with bound arguments.
    Callee,
    /// Passed to a function whose body this walk does not follow with the
    /// argument bound: the function may read or import it in any way, so a
    /// directory means every file below it (its .nix files followed) and
    /// `self` is a use.
    Opaque,
    /// The function of a call the walker treats by its name (`nixosSystem`):
    /// the files that define it matter, its body is read unbound, as a module.
    Definition,
}

const MAX_DEPTH: u32 = 400;
/// Bound walks of one lambda before it is walked once unbound instead.
const BOUND_WALKS: u32 = 4;
/// Bound walks of a function mapped over a literal list (`map`, `genAttrs`).
const BOUND_WALKS_PER_ELEMENT: u32 = 64;
/// Nodes one walk visits before the rest is taken from the syntax alone.
const MAX_STEPS: u64 = 1_000_000;

pub struct Walker<'e, 't> {
    ev: &'e Eval<'t>,
    pub refs: Vec<Ref>,
    visited: FxHashSet<(usize, u32, u32, usize, u8)>,
    thunks_seen: FxHashSet<(usize, u8)>,
    /// Environments stay alive while the walk runs, so their addresses
    /// (part of the visited key) are never reused.
    keep: Vec<Env>,
    keep_thunks: Vec<Thunk>,
    depth: u32,
    steps: u64,
    bound_walks_limit: u32,
    /// Module walks may name another file's function instead of walking it
    /// bound (`foreign`); off only to test that shortcut.
    shortcuts: bool,
    bound_walks: FxHashMap<(usize, u32), u32>,
    /// One-entry cache of the file lines are computed in.
    line_file: Option<(usize, Arc<super::source::NixFile>)>,
    unbound_done: FxHashSet<(usize, u32)>,
    scanned: FxHashSet<(usize, u32, u32)>,
    /// In a module walk (`walk_file`), the file walked: functions defined in
    /// other files are not walked with bound arguments (see `foreign`).
    module_root: Option<Rc<str>>,
}

fn usage_tag(u: Usage) -> u8 {
    u as u8
}

impl<'e, 't> Walker<'e, 't> {
    pub fn new(ev: &'e Eval<'t>) -> Self {
        Walker {
            ev,
            refs: vec![],
            visited: Default::default(),
            thunks_seen: Default::default(),
            keep: vec![],
            keep_thunks: vec![],
            depth: 0,
            steps: 0,
            bound_walks_limit: BOUND_WALKS,
            shortcuts: true,
            bound_walks: Default::default(),
            unbound_done: Default::default(),
            line_file: None,
            scanned: Default::default(),
            module_root: None,
        }
    }

    /// A function from another file, met in a module walk, whose arguments
    /// and captured parameters carry no path or flake value. Its file is
    /// walked on its own (unbound) anyway, and with no constant to propagate
    /// a bound walk here would find nothing more; so the walk names its file
    /// as a followed dependency and takes the arguments as opaque values.
    /// This keeps one file's walk from re-deriving a helper library, such as
    /// a module system, that the file merely calls.
    fn foreign(&self, c: &Closure, args: &[Thunk]) -> bool {
        self.shortcuts
            && self
                .module_root
                .as_ref()
                .is_some_and(|root| !Rc::ptr_eq(root, &c.file))
            && !args
                .iter()
                .chain(&c.env.param_values())
                .any(|a| self.carries_constants(&self.ev.force(a), 3))
    }

    /// Whether a value holds (within `depth` levels of attrsets and lists) a
    /// path or the flake's `self`/inputs: the constants a bound walk of a
    /// function turns into precise references. Without them the shortcut in
    /// `foreign` loses no precision either.
    fn carries_constants(&self, v: &Value, depth: u32) -> bool {
        match v {
            Value::Path(_) | Value::Outside(_) | Value::SelfFlake | Value::Inputs => true,
            Value::Input(i) => i != "builtins",
            _ if depth == 0 => false,
            Value::Attrs(a) => a
                .map
                .values()
                .any(|t| self.carries_constants(&self.ev.force(t), depth - 1)),
            Value::List(items) => items
                .iter()
                .any(|t| self.carries_constants(&self.ev.force(t), depth - 1)),
            _ => false,
        }
    }

    fn push(&mut self, kind: RefKind, target: impl Into<String>, file: &str, line: u32) {
        self.refs.push(Ref {
            kind,
            target: target.into(),
            from: file.to_string(),
            line,
        });
    }

    fn line(&mut self, file: &str, node: &rnix::SyntaxNode) -> u32 {
        let key = file.as_ptr() as usize;
        if let Some((k, f)) = &self.line_file
            && *k == key
            && f.rel == file
        {
            return f.line_of(node);
        }
        match self.ev.tree.nix.get(file) {
            Some(f) => {
                self.line_file = Some((key, f.clone()));
                f.line_of(node)
            }
            None => 1,
        }
    }

    /// Walk a whole file as a module: every path it names. A module needs
    /// less constant propagation than a host's entry: local functions are
    /// walked with bound arguments once each, then unbound.
    /// Without `shortcuts`, other files' functions are walked bound like
    /// local ones (for the tests of the shortcut in `foreign`).
    pub fn walk_file(&mut self, rel: &str, shortcuts: bool) {
        self.bound_walks_limit = 1;
        self.shortcuts = shortcuts;
        self.module_root = Some(self.ev.file_name(rel));
        if let Some(t) = self.ev.file_thunk(rel) {
            self.walk_thunk(&t, Usage::Value, rel, 1);
        }
    }

    pub fn walk_thunk(&mut self, t: &Thunk, usage: Usage, site_file: &str, site_line: u32) {
        if !self.thunks_seen.insert((t.id(), usage_tag(usage))) {
            return;
        }
        self.keep_thunks.push(t.clone());
        match &t.0.origin {
            Origin::Expr { expr, env, file } => {
                let (expr, env, file) = (expr.clone(), env.clone(), file.clone());
                self.walk_expr(&expr, &env, &file, usage)
            }
            Origin::Apply { func, args } => {
                let (func, args) = (func.clone(), args.clone());
                self.walk_application(&func, &args, usage, site_file, site_line)
            }
            Origin::Select { base, name } => {
                let base_v = self.ev.force(base);
                match &base_v {
                    Value::Attrs(a) if a.map.contains_key(name) => {
                        let t = a.map[name].clone();
                        self.walk_thunk(&t, usage, site_file, site_line)
                    }
                    _ => {
                        let base = base.clone();
                        self.walk_thunk(&base, Usage::Value, site_file, site_line)
                    }
                }
            }
            Origin::Value => {
                let v = self.ev.force(t);
                self.walk_value(&v, usage, site_file, site_line)
            }
        }
    }

    fn walk_value(&mut self, v: &Value, usage: Usage, file: &str, line: u32) {
        match v {
            Value::Path(p) => self.path_ref(p, usage, file, line),
            Value::Outside(p) => self.push(RefKind::Outside, p.clone(), file, line),
            Value::SelfFlake if !matches!(usage, Usage::Pass | Usage::Arg) => self.push(
                RefKind::WholeSource,
                "the flake's `self` is used as a value",
                file,
                line,
            ),
            Value::Input(i) if !matches!(usage, Usage::Pass | Usage::Arg) && i != "builtins" => {
                self.push(RefKind::Input, i.clone(), file, line)
            }
            Value::List(items) => {
                let item_usage = if usage == Usage::ModuleList {
                    Usage::Module
                } else {
                    usage
                };
                for t in items.iter() {
                    self.walk_thunk(t, item_usage, file, line);
                }
            }
            Value::Attrs(a) => {
                let inner = if usage == Usage::Opaque {
                    usage
                } else {
                    Usage::Value
                };
                for t in a.map.values() {
                    self.walk_thunk(t, inner, file, line);
                }
            }
            Value::Closure(c) if usage != Usage::Callee => {
                let c = c.clone();
                self.walk_lambda_unbound(&c.lambda, &c.env, &c.file);
            }
            _ => {}
        }
    }

    /// A deferred `func args…` (from genAttrs/mapAttrs/map): walk the function's
    /// body with the arguments bound.
    fn walk_application(
        &mut self,
        func: &Value,
        args: &[Thunk],
        usage: Usage,
        file: &str,
        line: u32,
    ) {
        match func {
            Value::Closure(c) if self.foreign(c, args) => {
                self.push(RefKind::File, c.file.to_string(), file, line);
                for a in args {
                    self.walk_thunk(a, Usage::Opaque, file, line);
                }
            }
            // `map`/`genAttrs` over a literal list: one bound walk per element.
            Value::Closure(c) if !self.bound_budget(c, BOUND_WALKS_PER_ELEMENT) => {
                let c = c.clone();
                self.walk_closure_unbound(&c);
                for a in args {
                    self.walk_thunk(a, Usage::Opaque, file, line);
                }
            }
            Value::Closure(c) => {
                let mut env = self.ev.bind_params(c, args[0].clone());
                let mut lambda = c.lambda.clone();
                for (i, a) in args.iter().enumerate().skip(1) {
                    // Curried: the body must itself be a lambda to take the next argument.
                    match lambda.body().map(strip_parens) {
                        Some(ast::Expr::Lambda(inner)) => {
                            let cl = Closure {
                                lambda: inner.clone(),
                                env: env.clone(),
                                file: c.file.clone(),
                            };
                            env = self.ev.bind_params(&cl, a.clone());
                            lambda = inner;
                        }
                        _ => {
                            for t in &args[i..] {
                                self.walk_thunk(t, Usage::Value, file, line);
                            }
                            break;
                        }
                    }
                }
                self.keep.push(env.clone());
                if let Some(body) = lambda.body() {
                    let cfile = c.file.clone();
                    self.walk_expr(&body, &env, &cfile, usage);
                }
                for a in args {
                    self.walk_thunk(a, Usage::Arg, file, line);
                }
            }
            other => {
                self.walk_value(other, Usage::Value, file, line);
                for a in args {
                    self.walk_thunk(a, Usage::Value, file, line);
                }
            }
        }
    }

    pub fn walk_expr(&mut self, expr: &ast::Expr, env: &Env, file: &Rc<str>, usage: Usage) {
        let node = expr.syntax();
        let range = node.text_range();
        let key = (
            fid(file),
            u32::from(range.start()),
            u32::from(range.end()),
            env.id(),
            usage_tag(usage),
        );
        if !self.visited.insert(key) {
            return;
        }
        self.keep.push(env.clone());
        self.steps += 1;
        if self.depth >= MAX_DEPTH || self.steps > MAX_STEPS {
            if self
                .scanned
                .insert((fid(file), u32::from(range.start()), u32::from(range.end())))
            {
                self.scan(node, file);
            }
            return;
        }
        self.depth += 1;
        self.walk_expr_inner(expr, env, file, usage);
        self.depth -= 1;
    }

    fn walk_opt(&mut self, e: Option<ast::Expr>, env: &Env, file: &Rc<str>, usage: Usage) {
        if let Some(e) = e {
            self.walk_expr(&e, env, file, usage);
        }
    }

    fn walk_expr_inner(&mut self, expr: &ast::Expr, env: &Env, file: &Rc<str>, usage: Usage) {
        use ast::Expr::*;
        let line = self.line(file, expr.syntax());
        match expr {
            Paren(p) => self.walk_opt(p.expr(), env, file, usage),
            Root(r) => self.walk_opt(r.expr(), env, file, usage),
            Assert(a) => {
                self.walk_opt(a.condition(), env, file, Usage::Value);
                self.walk_opt(a.body(), env, file, usage);
            }
            Literal(_) | CurPos(_) | Error(_) => {}
            PathRel(p) => self.path_literal(&p.parts(), env, file, usage, line),
            PathAbs(_) => self.push(RefKind::Unresolved, "an absolute path literal", file, line),
            PathHome(_) => self.push(
                RefKind::Unresolved,
                "a path in the home directory",
                file,
                line,
            ),
            PathSearch(p) => {
                let what = p.syntax().text().to_string();
                self.push(
                    RefKind::Unresolved,
                    format!("the search path {what}"),
                    file,
                    line,
                )
            }
            Str(s) => self.string(s, env, file, usage, line),
            Ident(i) => {
                let name = ident_name(i);
                // A `nixosSystem` passed around is only ever called: read it as a
                // definition wherever it goes, not walked with arguments bound.
                let usage = if is_system_fn(&name) && usage != Usage::Callee {
                    Usage::Definition
                } else {
                    usage
                };
                if let Some(t) = env.lexical(&name) {
                    self.walk_thunk(&t, usage, file, line);
                    return;
                }
                for w in env.withs() {
                    match self.ev.force(&w) {
                        Value::Attrs(a) => {
                            if let Some(t) = a.map.get(&name) {
                                let t = t.clone();
                                self.walk_thunk(&t, usage, file, line);
                                return;
                            }
                            if a.dynamic {
                                return;
                            }
                        }
                        // The namespace itself was walked whole where `with` stands.
                        _ => return,
                    }
                }
            }
            Select(s) => self.select(s, env, file, usage, line),
            Apply(a) => self.apply(a, env, file, usage, line),
            Lambda(l) => {
                if usage != Usage::Callee {
                    self.walk_lambda_unbound(l, env, file);
                }
            }
            LetIn(l) => {
                let (_, scope) = self.ev.bind_entries(l, env, file, true);
                self.keep.push(scope.clone());
                self.walk_opt(l.body(), &scope, file, usage);
            }
            LegacyLet(l) => self.scan(l.syntax(), file),
            AttrSet(set) => self.attrset(set, env, file, usage),
            List(l) => {
                let item = if usage == Usage::ModuleList {
                    Usage::Module
                } else {
                    usage
                };
                let item = if item == Usage::Callee {
                    Usage::Value
                } else {
                    item
                };
                for e in l.items() {
                    self.walk_expr(&e, env, file, item);
                }
            }
            With(w) => {
                let ns = match w.namespace() {
                    Some(n) => Thunk::lazy(n, env.clone(), file.clone()),
                    None => Thunk::value(Value::Unknown),
                };
                self.walk_opt(w.namespace(), env, file, Usage::Value);
                let scope = env.with_scope(ns);
                self.keep.push(scope.clone());
                self.walk_opt(w.body(), &scope, file, usage);
            }
            IfElse(i) => {
                self.walk_opt(i.condition(), env, file, Usage::Value);
                self.walk_opt(i.body(), env, file, usage);
                self.walk_opt(i.else_body(), env, file, usage);
            }
            BinOp(b) => self.binop(b, env, file, usage, line),
            UnaryOp(u) => self.walk_opt(u.expr(), env, file, Usage::Value),
            HasAttr(h) => {
                // `self ? rev` asks about the revision: no file is read.
                let base = h.expr();
                if let Some(b) = &base
                    && matches!(self.ev.eval(b, env, file), Value::SelfFlake | Value::Inputs)
                {
                    return;
                }
                self.walk_opt(base, env, file, Usage::Value);
                if let Some(path) = h.attrpath() {
                    self.dynamic_names(&path, env, file);
                }
            }
        }
    }

    /// May this lambda's body be walked once more with bound arguments?
    fn bound_budget(&mut self, c: &Closure, limit: u32) -> bool {
        let key = (
            fid(&c.file),
            u32::from(c.lambda.syntax().text_range().start()),
        );
        let n = self.bound_walks.entry(key).or_insert(0);
        *n += 1;
        *n <= limit && self.steps < MAX_STEPS
    }

    fn walk_closure_unbound(&mut self, c: &Closure) {
        let key = (
            fid(&c.file),
            u32::from(c.lambda.syntax().text_range().start()),
        );
        if self.unbound_done.insert(key) {
            self.walk_lambda_unbound(&c.lambda, &c.env, &c.file);
        }
    }

    fn walk_lambda_unbound(&mut self, l: &ast::Lambda, env: &Env, file: &Rc<str>) {
        let closure = Closure {
            lambda: l.clone(),
            env: env.clone(),
            file: file.clone(),
        };
        let scope = self.ev.bind_params(&closure, Thunk::value(Value::Unknown));
        self.keep.push(scope.clone());
        if let Some(ast::Param::Pattern(p)) = l.param() {
            for entry in p.pat_entries() {
                self.walk_opt(entry.default(), &scope, file, Usage::Value);
            }
        }
        self.walk_opt(l.body(), &scope, file, Usage::Value);
    }

    fn attrset(&mut self, set: &ast::AttrSet, env: &Env, file: &Rc<str>, usage: Usage) {
        let rec = set.rec_token().is_some();
        let (_, scope) = self.ev.bind_entries(set, env, file, rec);
        self.keep.push(scope.clone());
        let inherit_usage = if matches!(usage, Usage::Pass | Usage::Arg | Usage::Opaque) {
            usage
        } else {
            Usage::Value
        };
        for entry in set.entries() {
            match entry {
                ast::Entry::AttrpathValue(apv) => {
                    let names: Vec<String> = match apv.attrpath() {
                        Some(p) => {
                            self.dynamic_names(&p, &scope, file);
                            p.attrs()
                                .map(|a| self.ev.attr_name(&a, &scope, file).unwrap_or_default())
                                .collect()
                        }
                        None => vec![],
                    };
                    let value_usage = attr_usage(&names, usage);
                    self.walk_opt(apv.value(), &scope, file, value_usage);
                }
                ast::Entry::Inherit(inh) => {
                    if let Some(from) = inh.from().and_then(|f| f.expr()) {
                        self.walk_expr(&from, &scope, file, inherit_usage);
                    } else {
                        for attr in inh.attrs() {
                            if let ast::Attr::Ident(i) = &attr {
                                let name = ident_name(i);
                                let line = self.line(file, i.syntax());
                                if let Some(t) = env.lexical(&name) {
                                    let u = if is_system_fn(&name) {
                                        Usage::Definition
                                    } else {
                                        inherit_usage
                                    };
                                    self.walk_thunk(&t, u, file, line);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn dynamic_names(&mut self, path: &ast::Attrpath, env: &Env, file: &Rc<str>) {
        for a in path.attrs() {
            match a {
                ast::Attr::Dynamic(d) => self.walk_opt(d.expr(), env, file, Usage::Value),
                ast::Attr::Str(s) => {
                    let line = self.line(file, s.syntax());
                    self.string(&s, env, file, Usage::Value, line)
                }
                ast::Attr::Ident(_) => {}
            }
        }
    }

    fn select(&mut self, s: &ast::Select, env: &Env, file: &Rc<str>, usage: Usage, line: u32) {
        let Some(base_expr) = s.expr() else { return };
        let Some(path) = s.attrpath() else { return };
        self.dynamic_names(&path, env, file);
        self.walk_opt(s.default_expr(), env, file, usage);
        let names: Vec<Option<String>> = path
            .attrs()
            .map(|a| self.ev.attr_name(&a, env, file))
            .collect();
        let base = self.ev.eval(&base_expr, env, file);
        match base {
            Value::SelfFlake | Value::Inputs => self.select_self(&base, &names, usage, file, line),
            Value::Input(i) => {
                if i != "builtins" {
                    self.push(RefKind::Input, i, file, line);
                }
            }
            Value::Attrs(_) if is_variable(&base_expr) => {
                // `mods.a` where `mods` is bound to an attrset: only `a` matters,
                // but whatever computed `mods` (an import, say) does too.
                let mut cur = Thunk::value(base.clone());
                let mut walked = false;
                for n in names.iter() {
                    let v = self.ev.force(&cur);
                    match (n, &v) {
                        (Some(n), Value::Attrs(a)) if a.map.contains_key(n) => {
                            cur = a.map[n].clone()
                        }
                        _ => {
                            self.walk_thunk(&cur, Usage::Value, file, line);
                            walked = true;
                            break;
                        }
                    }
                }
                if !walked {
                    self.walk_thunk(&cur, usage, file, line);
                }
                self.walk_binding_source(&base_expr, env, file, line);
            }
            _ => self.walk_expr(&base_expr, env, file, Usage::Value),
        }
    }

    /// For `x.a` with `x` bound to an attrset: walk how `x` was computed,
    /// without walking every attribute of a literal attrset.
    fn walk_binding_source(&mut self, base_expr: &ast::Expr, env: &Env, file: &Rc<str>, line: u32) {
        let ast::Expr::Ident(i) = strip_parens(base_expr.clone()) else {
            self.walk_expr(base_expr, env, file, Usage::Value);
            return;
        };
        let Some(t) = env.lexical(&ident_name(&i)) else {
            return;
        };
        match &t.0.origin {
            Origin::Expr {
                expr,
                env: benv,
                file: bfile,
            } => match strip_parens(expr.clone()) {
                ast::Expr::AttrSet(set) => {
                    // A literal attrset: its attribute names and inherit sources only.
                    for entry in set.entries() {
                        if let ast::Entry::AttrpathValue(apv) = entry
                            && let Some(p) = apv.attrpath()
                        {
                            let (benv, bfile) = (benv.clone(), bfile.clone());
                            self.dynamic_names(&p, &benv, &bfile);
                        }
                    }
                }
                other => {
                    let (benv, bfile) = (benv.clone(), bfile.clone());
                    if !self.imported_attrset(&other, &benv, &bfile, line) {
                        self.walk_expr(&other, &benv, &bfile, Usage::Value);
                    }
                }
            },
            Origin::Value => {}
            _ => self.walk_thunk(&t, Usage::Value, file, line),
        }
    }

    /// `x = import ./file.nix ARGS;` used as `x.attr`: the file is a dependency,
    /// the selected attribute was walked with the arguments bound, and
    /// attributes nobody selects cannot matter (Nix is lazy).
    fn imported_attrset(&mut self, e: &ast::Expr, env: &Env, file: &Rc<str>, line: u32) -> bool {
        let mut args = vec![];
        let mut cur = e.clone();
        while let ast::Expr::Apply(a) = strip_parens(cur.clone()) {
            let (Some(f), Some(arg)) = (a.lambda(), a.argument()) else {
                return false;
            };
            args.push(arg);
            cur = f;
        }
        let Some(path_arg) = args.pop() else {
            return false;
        };
        if !matches!(
            self.ev.eval(&cur, env, file),
            Value::Builtin(Builtin::Import, _)
        ) {
            return false;
        }
        let Value::Path(p) = self.ev.eval(&path_arg, env, file) else {
            return false;
        };
        let target = if self.ev.tree.is_dir(&p) {
            module_file(&p)
        } else {
            p
        };
        self.push(RefKind::FileWalked, target, file, line);
        for a in args {
            self.walk_expr(&a, env, file, Usage::Arg);
        }
        true
    }

    fn select_self(
        &mut self,
        base: &Value,
        names: &[Option<String>],
        usage: Usage,
        file: &str,
        line: u32,
    ) {
        let mut names = names.iter();
        if matches!(base, Value::Inputs) {
            match names.next() {
                Some(Some(n)) if n == "self" => {}
                Some(Some(n)) => return self.push(RefKind::Input, n.clone(), file, line),
                _ => return self.push(RefKind::Input, "*", file, line),
            }
        }
        let Some(first) = names.next() else {
            return self.walk_value(&Value::SelfFlake, usage, file, line);
        };
        let outputs = self.ev.outputs.borrow().clone();
        let attrs = outputs.map(|o| self.ev.force(&o));
        let found = match (first, &attrs) {
            (Some(n), Some(Value::Attrs(a))) => a.map.get(n).cloned(),
            _ => None,
        };
        match found {
            Some(mut cur) => {
                for n in names {
                    let v = self.ev.force(&cur);
                    match (n, &v) {
                        (Some(n), Value::Attrs(a)) if a.map.contains_key(n) => {
                            cur = a.map[n].clone()
                        }
                        _ => break,
                    }
                }
                self.walk_thunk(&cur, usage, file, line);
            }
            None => {
                let what = first.clone().unwrap_or_else(|| "<computed>".into());
                self.push(
                    RefKind::WholeSource,
                    format!("`self.{what}` depends on the whole source"),
                    file,
                    line,
                )
            }
        }
    }

    fn apply(&mut self, a: &ast::Apply, env: &Env, file: &Rc<str>, usage: Usage, line: u32) {
        let (Some(fexpr), Some(arg)) = (a.lambda(), a.argument()) else {
            return;
        };
        let func = self.ev.eval(&fexpr, env, file);
        let arg_thunk = Thunk::lazy(arg.clone(), env.clone(), file.clone());
        self.keep_thunks.push(arg_thunk.clone());
        // A local `nixosSystem` (a wrapper or a stand-in) is treated as nixpkgs'
        // own: the host's modules are its argument, its definition is a module-like
        // dependency. Walking its body bound would re-derive the module system.
        if matches!(func, Value::Closure(_))
            && matches!(
                callee_name(&fexpr).as_deref(),
                Some(n) if is_system_fn(n)
            )
        {
            self.walk_expr(&fexpr, env, file, Usage::Definition);
            self.walk_expr(&arg, env, file, Usage::Value);
            return;
        }
        match &func {
            Value::Closure(c) if usage == Usage::Definition => {
                if !Rc::ptr_eq(&c.file, file) {
                    self.push(RefKind::Machinery, c.file.to_string(), file, line);
                }
                self.walk_expr(&fexpr, env, file, Usage::Definition);
                self.walk_expr(&arg, env, file, Usage::Value);
            }
            Value::Closure(c) if self.foreign(c, std::slice::from_ref(&arg_thunk)) => {
                let target = c.file.to_string();
                self.push(RefKind::File, target, file, line);
                self.walk_expr(&fexpr, env, file, Usage::Value);
                self.walk_expr(&arg, env, file, Usage::Opaque);
            }
            Value::Closure(c) if !self.bound_budget(c, self.bound_walks_limit) => {
                // Walked bound often enough (a recursive helper): once unbound, and
                // the argument as an opaque value, which covers every call.
                let c = c.clone();
                self.walk_closure_unbound(&c);
                self.walk_expr(&fexpr, env, file, Usage::Value);
                self.walk_expr(&arg, env, file, Usage::Opaque);
            }
            Value::Closure(c) => {
                let c = c.clone();
                let scope = self.ev.bind_params(&c, arg_thunk);
                self.keep.push(scope.clone());
                let body = c.lambda.body();
                let curried = matches!(body.clone().map(strip_parens), Some(ast::Expr::Lambda(_)));
                if !(usage == Usage::Callee && curried) {
                    let cfile = c.file.clone();
                    self.walk_opt(body, &scope, &cfile, usage);
                }
                if let Some(ast::Param::Pattern(p)) = c.lambda.param() {
                    // Defaults that apply are bound lazily; walk them all (they are few).
                    for entry in p.pat_entries() {
                        let cfile = c.file.clone();
                        self.walk_opt(entry.default(), &scope, &cfile, Usage::Value);
                    }
                }
                self.walk_expr(&fexpr, env, file, Usage::Callee);
                self.walk_expr(&arg, env, file, Usage::Arg);
            }
            Value::Builtin(b, partial) => {
                let b = *b;
                let partial = partial.clone();
                self.builtin(b, &partial, &fexpr, &arg, env, file, usage, line)
            }
            _ => {
                self.walk_expr(&fexpr, env, file, Usage::Value);
                self.walk_expr(&arg, env, file, Usage::Value);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn builtin(
        &mut self,
        b: Builtin,
        partial: &[Thunk],
        fexpr: &ast::Expr,
        arg: &ast::Expr,
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
        use Builtin::*;
        let complete = partial.len() + 1 >= b.arity();
        match b {
            Import | CallPackage if partial.is_empty() => {
                // The argument is a module-like position: a directory means default.nix.
                let path_usage = if usage == Usage::Callee && b == Import {
                    Usage::Callee
                } else {
                    Usage::Module
                };
                match self.ev.eval(arg, env, file) {
                    Value::Path(p) => {
                        let target = if self.ev.tree.is_dir(&p) {
                            module_file(&p)
                        } else {
                            p
                        };
                        let kind = if path_usage == Usage::Callee {
                            RefKind::FileWalked
                        } else if usage == Usage::Definition {
                            RefKind::Machinery
                        } else {
                            RefKind::File
                        };
                        self.push(kind, target, file, line);
                        self.walk_expr(fexpr, env, file, Usage::Value);
                    }
                    _ => {
                        self.walk_expr(fexpr, env, file, Usage::Value);
                        self.walk_expr(arg, env, file, Usage::Module);
                    }
                }
            }
            Map | GenAttrs | MapAttrs if complete && partial.len() == 1 => {
                let f = self.ev.force(&partial[0]);
                let data = self.ev.eval(arg, env, file);
                let elems: Option<Vec<Vec<Thunk>>> = match (b, &data) {
                    (Map, Value::List(items)) => {
                        Some(items.iter().map(|t| vec![t.clone()]).collect())
                    }
                    (GenAttrs, v) => self.ev.strings(v).map(|names| {
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
                            self.walk_application(&f, &args, Usage::Value, file, line);
                        }
                        // The function expression's own syntax: walked as a callee only.
                        self.walk_callee_of(fexpr, env, file);
                    }
                    _ => self.walk_expr(fexpr, env, file, Usage::Value),
                }
                self.walk_expr(arg, env, file, Usage::Value);
            }
            ReadDir | ListFilesRecursive if partial.is_empty() => {
                match self.ev.eval(arg, env, file) {
                    Value::Path(p) if p.is_empty() && b == ListFilesRecursive => self.push(
                        RefKind::WholeSource,
                        "every file of the repository is listed (listFilesRecursive of the root)",
                        file,
                        line,
                    ),
                    Value::Path(p) => {
                        let kind = if b == ReadDir {
                            RefKind::Listing
                        } else {
                            RefKind::Tree
                        };
                        self.push(kind, p, file, line);
                    }
                    _ => self.walk_expr(arg, env, file, Usage::Value),
                }
                self.walk_expr(fexpr, env, file, Usage::Value);
            }
            PathAppend if complete => {
                let whole = self.ev.apply(
                    self.ev
                        .apply(Value::Builtin(b, Rc::new(vec![])), partial[0].clone()),
                    Thunk::lazy(arg.clone(), env.clone(), file.clone()),
                );
                match whole {
                    Value::Path(p) => self.path_ref(&p, usage, file, line),
                    _ => match self.ev.force(&partial[0]) {
                        Value::Path(d) => {
                            let g = glob_join(&d, "*");
                            self.push(RefKind::Glob, g, file, line);
                        }
                        _ => self.walk_expr(fexpr, env, file, Usage::Value),
                    },
                }
                self.walk_expr(arg, env, file, Usage::Value);
            }
            PathAppend => {
                // `relativeToRoot = lib.path.append ./.;`: the base is not a use by itself.
                if !matches!(self.ev.eval(arg, env, file), Value::Path(_)) {
                    self.walk_expr(arg, env, file, Usage::Value);
                }
            }
            Impure => {
                self.push(
                    RefKind::Unresolved,
                    "an impure builtin (getEnv, currentSystem, getFlake)",
                    file,
                    line,
                );
                self.walk_expr(arg, env, file, Usage::Value);
            }
            NixosSystem | DarwinSystem => {
                self.walk_expr(fexpr, env, file, Usage::Value);
                self.walk_expr(arg, env, file, Usage::Value);
            }
            _ => {
                self.walk_expr(fexpr, env, file, Usage::Value);
                self.walk_expr(arg, env, file, Usage::Value);
            }
        }
    }

    /// `map f xs` with `f` walked per element: walk the syntax of `map f` except
    /// the lambda body of `f` itself.
    fn walk_callee_of(&mut self, fexpr: &ast::Expr, env: &Env, file: &Rc<str>) {
        if let ast::Expr::Apply(inner) = strip_parens(fexpr.clone()) {
            self.walk_opt(inner.lambda(), env, file, Usage::Value);
            self.walk_opt(inner.argument(), env, file, Usage::Callee);
        } else {
            self.walk_expr(fexpr, env, file, Usage::Value);
        }
    }

    fn binop(&mut self, b: &ast::BinOp, env: &Env, file: &Rc<str>, usage: Usage, line: u32) {
        use ast::BinOpKind::*;
        let op = b.operator();
        match op {
            Some(Add) => {
                let whole = self.ev.eval(&ast::Expr::BinOp(b.clone()), env, file);
                match whole {
                    Value::Path(p) => {
                        self.path_ref(&p, usage, file, line);
                        if !matches!(b.rhs(), Some(ast::Expr::PathAbs(_))) {
                            self.walk_opt(b.rhs(), env, file, Usage::Value);
                        }
                        return;
                    }
                    Value::Outside(p) => {
                        self.push(RefKind::Outside, p, file, line);
                        return;
                    }
                    _ => {}
                }
                let lhs = b.lhs().map(|l| self.ev.eval(&l, env, file));
                let base = match lhs {
                    Some(Value::Path(d)) => Some(d),
                    Some(Value::SelfFlake) => Some(String::new()),
                    _ => None,
                };
                match base {
                    Some(d) => {
                        let suffix = b
                            .rhs()
                            .map(|r| self.pattern_of(&r, env, file))
                            .unwrap_or_else(|| "*".into());
                        let g = glob_join(&d, &suffix);
                        self.push(RefKind::Glob, g, file, line);
                        if !matches!(b.rhs(), Some(ast::Expr::PathAbs(_))) {
                            self.walk_opt(b.rhs(), env, file, Usage::Value);
                        }
                    }
                    None => {
                        self.walk_opt(b.lhs(), env, file, Usage::Value);
                        self.walk_opt(b.rhs(), env, file, Usage::Value);
                    }
                }
            }
            Some(Concat) | Some(Update) => {
                let u = if usage == Usage::Callee {
                    Usage::Value
                } else {
                    usage
                };
                self.walk_opt(b.lhs(), env, file, u);
                self.walk_opt(b.rhs(), env, file, u);
            }
            _ => {
                self.walk_opt(b.lhs(), env, file, Usage::Value);
                self.walk_opt(b.rhs(), env, file, Usage::Value);
            }
        }
    }

    /// The text an expression stands for, with `*` where it is not known.
    fn pattern_of(&mut self, e: &ast::Expr, env: &Env, file: &Rc<str>) -> String {
        match strip_parens(e.clone()) {
            ast::Expr::Str(s) => {
                let mut out = String::new();
                for p in s.normalized_parts() {
                    match p {
                        InterpolPart::Literal(l) => out.push_str(&l),
                        InterpolPart::Interpolation(i) => {
                            match self.ev.eval_opt(i.expr(), env, file) {
                                Value::Str(x) => out.push_str(&x),
                                _ => out.push('*'),
                            }
                        }
                    }
                }
                out
            }
            other => match self.ev.eval(&other, env, file) {
                Value::Str(x) => x,
                _ => "/*".into(),
            },
        }
    }

    fn string(&mut self, s: &ast::Str, env: &Env, file: &Rc<str>, usage: Usage, line: u32) {
        let parts = s.normalized_parts();
        let mut first_is_base = false;
        if let Some(InterpolPart::Interpolation(first)) = parts.first() {
            let v = self.ev.eval_opt(first.expr(), env, file);
            let base = match v {
                Value::Path(p) => Some(p),
                Value::SelfFlake => Some(String::new()),
                _ => None,
            };
            if let Some(base) = base
                && parts.len() > 1
            {
                first_is_base = true;
                match self.ev.eval(&ast::Expr::Str(s.clone()), env, file) {
                    Value::Path(p) => self.path_ref(&p, usage, file, line),
                    Value::Outside(p) => self.push(RefKind::Outside, p, file, line),
                    _ => {
                        let mut rest = String::new();
                        for p in &parts[1..] {
                            match p {
                                InterpolPart::Literal(l) => rest.push_str(l),
                                InterpolPart::Interpolation(i) => {
                                    match self.ev.eval_opt(i.expr(), env, file) {
                                        Value::Str(x) => rest.push_str(&x),
                                        _ => rest.push('*'),
                                    }
                                }
                            }
                        }
                        let g = glob_join(&base, &rest);
                        self.push(RefKind::Glob, g, file, line);
                    }
                }
            }
        }
        for (i, p) in parts.iter().enumerate() {
            if let InterpolPart::Interpolation(ip) = p {
                if i == 0 && first_is_base {
                    continue;
                }
                self.walk_opt(ip.expr(), env, file, Usage::Value);
            }
        }
    }

    fn path_literal(
        &mut self,
        parts: &[InterpolPart<ast::PathContent>],
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
        let mut holes = false;
        let mut text = String::new();
        for p in parts {
            match p {
                InterpolPart::Literal(l) => text.push_str(l.text()),
                InterpolPart::Interpolation(i) => match self.ev.eval_opt(i.expr(), env, file) {
                    Value::Str(x) => text.push_str(&x),
                    _ => {
                        holes = true;
                        text.push('*');
                        self.walk_opt(i.expr(), env, file, Usage::Value);
                    }
                },
            }
        }
        if holes {
            let g = glob_join(source::parent(file), &text);
            self.push(RefKind::Glob, g, file, line);
            return;
        }
        match eval::resolve_rel(file, &text) {
            Value::Path(p) => self.path_ref(&p, usage, file, line),
            Value::Outside(p) => self.push(RefKind::Outside, p, file, line),
            _ => {}
        }
    }

    /// A repository path used at `usage`.
    fn path_ref(&mut self, p: &str, usage: Usage, file: &str, line: u32) {
        let tree = self.ev.tree;
        if tree.is_dir(p) {
            match usage {
                Usage::Module | Usage::ModuleList | Usage::Callee => {
                    self.push(RefKind::File, module_file(p), file, line)
                }
                Usage::Arg => {}
                _ if p.is_empty() => self.push(
                    RefKind::WholeSource,
                    "the flake's root directory is used as a value",
                    file,
                    line,
                ),
                Usage::Opaque => self.push(RefKind::Tree, p, file, line),
                _ => {
                    self.push(RefKind::Dir, p, file, line);
                    // It may still be imported somewhere the analysis cannot see.
                    if tree.is_file(&module_file(p)) {
                        self.push(RefKind::File, module_file(p), file, line);
                    }
                }
            }
        } else {
            self.push(RefKind::File, p, file, line);
        }
    }

    /// Too deep to walk: take every path literal below `node` from the syntax alone.
    fn scan(&mut self, node: &rnix::SyntaxNode, file: &Rc<str>) {
        for d in node.descendants() {
            let line = self.line(file, &d);
            if let Some(p) = ast::PathRel::cast(d.clone()) {
                let parts = p.parts();
                let text: String = parts
                    .iter()
                    .map(|p| match p {
                        InterpolPart::Literal(l) => l.text().to_string(),
                        InterpolPart::Interpolation(_) => "*".into(),
                    })
                    .collect();
                if text.contains('*') {
                    let g = glob_join(source::parent(file), &text);
                    self.push(RefKind::Glob, g, file, line);
                } else if let Value::Path(p) = eval::resolve_rel(file, &text) {
                    self.path_ref(&p, Usage::Value, file, line);
                }
            } else if ast::PathAbs::cast(d.clone()).is_some()
                || ast::PathSearch::cast(d.clone()).is_some()
            {
                self.push(
                    RefKind::Unresolved,
                    "a path outside the repository",
                    file,
                    line,
                );
            } else if let Some(i) = ast::Ident::cast(d.clone())
                && ident_name(&i) == "self"
            {
                self.push(
                    RefKind::WholeSource,
                    "`self` in code too deep to analyse",
                    file,
                    line,
                );
            }
        }
    }
}

/// A file's identity: file names are interned by `Eval::file_name`, so the
/// pointer names the file without hashing its text.
fn fid(file: &Rc<str>) -> usize {
    Rc::as_ptr(file) as *const u8 as usize
}

fn is_system_fn(name: &str) -> bool {
    matches!(name, "nixosSystem" | "darwinSystem")
}

/// The name a function is called by: `f` in `f x`, `nixosSystem` in `lib.nixosSystem x`.
fn callee_name(e: &ast::Expr) -> Option<String> {
    match strip_parens(e.clone()) {
        ast::Expr::Ident(i) => Some(ident_name(&i)),
        ast::Expr::Select(s) => match s.attrpath()?.attrs().last()? {
            ast::Attr::Ident(i) => Some(ident_name(&i)),
            _ => None,
        },
        _ => None,
    }
}

fn is_variable(e: &ast::Expr) -> bool {
    matches!(strip_parens(e.clone()), ast::Expr::Ident(_))
}

pub fn strip_parens(mut e: ast::Expr) -> ast::Expr {
    while let ast::Expr::Paren(p) = &e {
        match p.expr() {
            Some(inner) => e = inner,
            None => break,
        }
    }
    e
}

/// How the value of `a.b.c = …` is used, from the attribute names.
fn attr_usage(names: &[String], outer: Usage) -> Usage {
    if outer == Usage::Opaque {
        return outer;
    }
    let last = names.last().map(String::as_str).unwrap_or("");
    if matches!(last, "imports" | "modules" | "sharedModules") {
        return Usage::ModuleList;
    }
    if matches!(last, "specialArgs" | "extraSpecialArgs") || names.iter().any(|n| n == "_module") {
        return Usage::Pass;
    }
    // home-manager.users.<u> = ./home.nix  (a path as a module)
    if names.len() >= 2
        && names[names.len() - 2] == "users"
        && names.iter().any(|n| n == "home-manager")
    {
        return Usage::Module;
    }
    if matches!(outer, Usage::Pass | Usage::Arg) {
        return outer;
    }
    Usage::Value
}

/// A glob for `base` joined with a relative text holding `*` holes. A `..`
/// after a hole cannot be folded: the whole of `base` is the answer then.
pub fn glob_join(base: &str, rel: &str) -> String {
    let mut parts: Vec<String> = if base.is_empty() {
        vec![]
    } else {
        base.split('/').map(str::to_string).collect()
    };
    let mut seen_hole = false;
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." if !seen_hole => {
                if parts.pop().is_none() {
                    return "**".into();
                }
            }
            ".." => {
                return if base.is_empty() {
                    "**".into()
                } else {
                    format!("{base}/**")
                };
            }
            s => {
                seen_hole |= s.contains('*');
                parts.push(s.to_string());
            }
        }
    }
    if parts.is_empty() {
        "**".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::glob_join;

    #[test]
    fn globs_fold_dots_before_the_first_hole() {
        assert_eq!(glob_join("hosts/yoga", "../*/key.pub"), "hosts/*/key.pub");
        assert_eq!(glob_join("lib", "../machines/*.nix"), "machines/*.nix");
        assert_eq!(glob_join("a", "*/../x"), "a/**");
    }
}
