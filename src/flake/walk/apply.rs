//! Function application in the walk. A function applied to known arguments
//! is walked with them bound, so constants reach the paths it builds
//! (`mkHost "yoga"` naming `hosts/yoga`); budgets bound how often one lambda
//! is walked that way before one unbound walk with opaque arguments stands
//! for every call. A local `nixosSystem` is read by its name (its argument
//! holds the modules), and, in a module walk, another file's function called
//! without path or flake values is named as a dependency instead of walked.
use std::rc::Rc;

use rnix::ast;

use super::{BOUND_WALKS_PER_ELEMENT, Target, Usage, Walker, callee_name, strip_parens};
use crate::flake::known;
use crate::flake::path::RepoPath;
use crate::flake::value::*;

impl Walker<'_, '_> {
    /// A function from another file, met in a module walk, whose arguments
    /// and captured parameters carry no path or flake value. Its file is
    /// walked on its own (unbound) anyway, and with no constant to propagate
    /// a bound walk here would find nothing more; so the walk names its file
    /// as a followed dependency and takes the arguments as opaque values.
    /// This keeps one file's walk from re-deriving a helper library, such as
    /// a module system, that the file merely calls.
    pub(super) fn foreign(&self, c: &Closure, args: &[Thunk]) -> bool {
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
    pub(super) fn carries_constants(&self, v: &Value, depth: u32) -> bool {
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

    /// A deferred `func args…` (from genAttrs/mapAttrs/map): walk the function's
    /// body with the arguments bound.
    pub(in crate::flake) fn walk_application(
        &mut self,
        func: &Value,
        args: &[Thunk],
        usage: Usage,
        file: &str,
        line: u32,
    ) {
        match func {
            Value::Closure(c) if self.foreign(c, args) => {
                self.push(Target::File(RepoPath::new_unchecked(&*c.file)), file, line);
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

    pub(super) fn apply(
        &mut self,
        a: &ast::Apply,
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
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
                Some(n) if known::is_system_function(n)
            )
        {
            self.walk_expr(&fexpr, env, file, Usage::Definition);
            self.walk_expr(&arg, env, file, Usage::Value);
            return;
        }
        match &func {
            Value::Closure(c) if usage == Usage::Definition => {
                if !Rc::ptr_eq(&c.file, file) {
                    self.push(
                        Target::Machinery(RepoPath::new_unchecked(&*c.file)),
                        file,
                        line,
                    );
                }
                self.walk_expr(&fexpr, env, file, Usage::Definition);
                self.walk_expr(&arg, env, file, Usage::Value);
            }
            Value::Closure(c) if self.foreign(c, std::slice::from_ref(&arg_thunk)) => {
                let target = RepoPath::new_unchecked(&*c.file);
                self.push(Target::File(target), file, line);
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
            Value::Known(b, partial) => {
                let b = *b;
                let partial = partial.clone();
                b.walk(self, &partial, &fexpr, &arg, env, file, usage, line)
            }
            _ => {
                self.walk_expr(&fexpr, env, file, Usage::Value);
                self.walk_expr(&arg, env, file, Usage::Value);
            }
        }
    }
}
