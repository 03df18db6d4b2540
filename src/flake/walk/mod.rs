//! Dependency collection: walk the syntax a host can reach and record every
//! path it names. The base rule of static flake analysis is that every path
//! literal in a reachable file is a dependency; the partial evaluator only
//! makes answers narrower where it can prove them (constant interpolation,
//! `self.<output>` selection, helper functions applied to literal arguments).
//! Whatever it cannot prove falls back to the syntax: globs, whole
//! directories, or the whole source.
use rustc_hash::{FxHashMap, FxHashSet};
use std::rc::Rc;
use std::sync::Arc;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::eval::{Eval, ident_name};
use super::known;
use super::value::*;

mod apply;
mod paths;
mod select;
mod target;

pub use target::{Ref, Target};

/// How the walk is using the value it reaches: the same path is a module
/// file in `imports`, a whole directory as a value, and nothing yet as an
/// argument whose uses decide.
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
    /// The argument of a function that reads a file's bytes (`readFile`,
    /// `importJSON`, `hashFile`…): the path is data, never Nix code.
    Read,
}

const MAX_DEPTH: u32 = 400;
/// Bound walks of one lambda before it is walked once unbound instead.
const BOUND_WALKS: u32 = 4;
/// Bound walks of a function mapped over a literal list (`map`, `genAttrs`).
const BOUND_WALKS_PER_ELEMENT: u32 = 64;
/// Nodes one walk visits before the rest is taken from the syntax alone.
const MAX_STEPS: u64 = 1_000_000;

/// One walk: the references found so far and what was visited. A walker
/// is used for one file (`walk_file`) or one host's entry (`walk_thunk`).
pub struct Walker<'e, 't> {
    pub(in crate::flake) ev: &'e Eval<'t>,
    /// The references found, in the order found (with repeats).
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
    /// A walker over `ev`'s tree, with a host entry's budgets.
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

    pub(in crate::flake) fn push(&mut self, target: Target, file: &str, line: u32) {
        self.refs.push(Ref {
            target,
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
        match self.ev.tree.nix_file(file) {
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

    /// Walk what a thunk stands for, used at `usage`; `site_file:site_line`
    /// is where it was reached (for references with no syntax of their own).
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
            Value::Outside(p) => self.push(Target::Outside(p.clone()), file, line),
            Value::SelfFlake if !matches!(usage, Usage::Pass | Usage::Arg) => self.push(
                Target::WholeSource("the flake's `self` is used as a value".into()),
                file,
                line,
            ),
            Value::Input(i) if !matches!(usage, Usage::Pass | Usage::Arg) && i != "builtins" => {
                self.push(Target::Input(i.clone()), file, line)
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
            Value::PartsConfig if !matches!(usage, Usage::Pass | Usage::Arg) => self.parts_widen(
                "the host reads the flake-parts `config` or a module argument",
                file,
                line,
            ),
            Value::ModuleArgs(a) if !matches!(usage, Usage::Pass | Usage::Arg) => {
                self.parts_widen("the host passes on its module arguments", file, line);
                for t in a.map.values() {
                    self.walk_thunk(t, Usage::Value, file, line);
                }
            }
            _ => {}
        }
    }

    /// A host reads a value any flake-parts module may define: it depends
    /// on every module file (followed) and on the folders scanned for them.
    pub(in crate::flake) fn parts_widen(&mut self, why: &str, file: &str, line: u32) {
        let (modules, listings, external) = {
            let p = self.ev.parts.borrow();
            (p.modules.clone(), p.listings.clone(), p.external.clone())
        };
        for i in external {
            self.push(Target::Input(i), file, line);
        }
        self.push(Target::Modules(why.to_string()), file, line);
        for m in modules {
            self.push(Target::File(m), file, line);
        }
        for l in listings {
            self.push(Target::Listing(l), file, line);
        }
    }

    /// Walk an expression in its scope, used at `usage`. Each (expression,
    /// scope, usage) is walked once; past the depth or step limit, the
    /// syntax below is scanned for path literals instead.
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
            PathAbs(_) => self.push(
                Target::Unresolved("an absolute path literal".into()),
                file,
                line,
            ),
            PathHome(_) => self.push(
                Target::Unresolved("a path in the home directory".into()),
                file,
                line,
            ),
            PathSearch(p) => {
                let what = p.syntax().text().to_string();
                self.push(
                    Target::Unresolved(format!("the search path {what}")),
                    file,
                    line,
                )
            }
            Str(s) => self.string(s, env, file, usage, line),
            Ident(i) => {
                let name = ident_name(i);
                // A `nixosSystem` passed around is only ever called: read it as a
                // definition wherever it goes, not walked with arguments bound.
                let usage = if known::is_system_function(&name) && usage != Usage::Callee {
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
                                    let u = if known::is_system_function(&name) {
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

    /// `map f xs` with `f` walked per element: walk the syntax of `map f` except
    /// the lambda body of `f` itself.
    pub(in crate::flake) fn walk_callee_of(
        &mut self,
        fexpr: &ast::Expr,
        env: &Env,
        file: &Rc<str>,
    ) {
        if let ast::Expr::Apply(inner) = strip_parens(fexpr.clone()) {
            self.walk_opt(inner.lambda(), env, file, Usage::Value);
            self.walk_opt(inner.argument(), env, file, Usage::Callee);
        } else {
            self.walk_expr(fexpr, env, file, Usage::Value);
        }
    }
}

/// A file's identity: file names are interned by `Eval::file_name`, so the
/// pointer names the file without hashing its text.
fn fid(file: &Rc<str>) -> usize {
    Rc::as_ptr(file) as *const u8 as usize
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

/// The expression inside any number of parentheses.
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
    if known::MODULE_LIST_ATTRS.contains(&last) {
        return Usage::ModuleList;
    }
    if known::PASSED_ATTRS.contains(&last) || names.iter().any(|n| n == known::MODULE_ARGS_ATTR) {
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
