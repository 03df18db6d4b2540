//! Paths in the syntax: path literals, strings that name a path
//! (`"${self}/x"`, `"${./dir}/x"`), path arithmetic (`./. + "/x"`), and the
//! fallback that reads path literals from the syntax alone. An interpolation
//! the evaluator cannot resolve becomes a glob relative to the known prefix;
//! a path that leaves the root is recorded as outside it.
use std::rc::Rc;

use rnix::ast::{self, InterpolPart};
use rowan::ast::AstNode;

use super::{Target, Usage, Walker, strip_parens};
use crate::flake::eval::{self, ident_name};
use crate::flake::path::{self, RepoPath};
use crate::flake::value::*;

impl Walker<'_, '_> {
    pub(super) fn binop(
        &mut self,
        b: &ast::BinOp,
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
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
                        self.push(Target::Outside(p), file, line);
                        return;
                    }
                    _ => {}
                }
                let lhs = b.lhs().map(|l| self.ev.eval(&l, env, file));
                let base = match lhs {
                    Some(Value::Path(d)) => Some(d),
                    Some(Value::SelfFlake) => Some(RepoPath::root()),
                    _ => None,
                };
                match base {
                    Some(d) => {
                        let suffix = b
                            .rhs()
                            .map(|r| self.pattern_of(&r, env, file))
                            .unwrap_or_else(|| "*".into());
                        let g = d.glob_join(&suffix);
                        self.push(Target::Glob(g), file, line);
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
    pub(super) fn pattern_of(&mut self, e: &ast::Expr, env: &Env, file: &Rc<str>) -> String {
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

    pub(super) fn string(
        &mut self,
        s: &ast::Str,
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
        let parts = s.normalized_parts();
        let mut first_is_base = false;
        if let Some(InterpolPart::Interpolation(first)) = parts.first() {
            let v = self.ev.eval_opt(first.expr(), env, file);
            let base = match v {
                Value::Path(p) => Some(p),
                Value::SelfFlake => Some(RepoPath::root()),
                _ => None,
            };
            if let Some(base) = base
                && parts.len() > 1
            {
                first_is_base = true;
                match self.ev.eval(&ast::Expr::Str(s.clone()), env, file) {
                    Value::Path(p) => self.path_ref(&p, usage, file, line),
                    Value::Outside(p) => self.push(Target::Outside(p), file, line),
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
                        let g = base.glob_join(&rest);
                        self.push(Target::Glob(g), file, line);
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

    pub(super) fn path_literal(
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
            let g = path::glob_join(path::parent(file), &text);
            self.push(Target::Glob(g), file, line);
            return;
        }
        match eval::resolve_rel(file, &text) {
            Value::Path(p) => self.path_ref(&p, usage, file, line),
            Value::Outside(p) => self.push(Target::Outside(p), file, line),
            _ => {}
        }
    }

    /// A repository path used at `usage`.
    pub(in crate::flake) fn path_ref(&mut self, p: &RepoPath, usage: Usage, file: &str, line: u32) {
        let tree = self.ev.tree;
        if tree.is_dir(p) {
            match usage {
                Usage::Module | Usage::ModuleList | Usage::Callee => {
                    self.push(Target::File(p.module_file()), file, line)
                }
                Usage::Arg => {}
                _ if p.is_empty() => self.push(
                    Target::WholeSource("the flake's root directory is used as a value".into()),
                    file,
                    line,
                ),
                Usage::Opaque => self.push(Target::Tree(p.clone()), file, line),
                Usage::Read => self.push(Target::Dir(p.clone()), file, line),
                _ => {
                    self.push(Target::Dir(p.clone()), file, line);
                    // It may still be imported somewhere the analysis cannot see.
                    if tree.is_file(&p.module_file()) {
                        self.push(Target::Value(p.module_file()), file, line);
                    }
                }
            }
        } else {
            let target = match usage {
                Usage::Module | Usage::ModuleList | Usage::Callee => Target::File(p.clone()),
                Usage::Read => Target::Read(p.clone()),
                _ => Target::Value(p.clone()),
            };
            self.push(target, file, line);
        }
    }

    /// Too deep to walk: take every path literal below `node` from the syntax alone.
    pub(super) fn scan(&mut self, node: &rnix::SyntaxNode, file: &Rc<str>) {
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
                    let g = path::glob_join(path::parent(file), &text);
                    self.push(Target::Glob(g), file, line);
                } else if let Value::Path(p) = eval::resolve_rel(file, &text) {
                    self.path_ref(&p, Usage::Value, file, line);
                }
            } else if ast::PathAbs::cast(d.clone()).is_some()
                || ast::PathSearch::cast(d.clone()).is_some()
            {
                self.push(
                    Target::Unresolved("a path outside the repository".into()),
                    file,
                    line,
                );
            } else if let Some(i) = ast::Ident::cast(d.clone())
                && ident_name(&i) == "self"
            {
                self.push(
                    Target::WholeSource("`self` in code too deep to analyse".into()),
                    file,
                    line,
                );
            }
        }
    }
}
