//! Attribute selection: `self.<output>` and `inputs.<name>` selected
//! precisely, `x.a` on a bound attrset walking only `a` and how `x` was
//! computed, and `x = import ./f.nix args` whose selected attributes alone
//! matter (Nix is lazy: attributes nobody selects are never evaluated).
use std::rc::Rc;

use rnix::ast::{self, HasEntry};

use super::{Target, Usage, Walker, is_variable, strip_parens};
use crate::flake::eval::ident_name;
use crate::flake::known::KnownFunction;
use crate::flake::value::*;

impl Walker<'_, '_> {
    pub(super) fn select(
        &mut self,
        s: &ast::Select,
        env: &Env,
        file: &Rc<str>,
        usage: Usage,
        line: u32,
    ) {
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
                    self.push(Target::Input(i), file, line);
                }
            }
            // `config.flake.<output>` is the flake's own output.
            Value::PartsConfig if matches!(names.first(), Some(Some(n)) if n == "flake") => {
                self.select_self(&Value::SelfFlake, &names[1..], usage, file, line)
            }
            Value::ModuleArgs(a) if matches!(names.first(), Some(Some(n)) if a.map.contains_key(n)) =>
            {
                let Some(Some(n)) = names.first() else { return };
                let t = a.map[n].clone();
                let v = self.ev.force(&t);
                match v {
                    Value::SelfFlake | Value::Inputs => {
                        self.select_self(&v, &names[1..], usage, file, line)
                    }
                    _ => self.walk_thunk(&t, Usage::Value, file, line),
                }
            }
            Value::PartsConfig | Value::ModuleArgs(_) => self.walk_value(&base, usage, file, line),
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
    pub(super) fn walk_binding_source(
        &mut self,
        base_expr: &ast::Expr,
        env: &Env,
        file: &Rc<str>,
        line: u32,
    ) {
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
    pub(super) fn imported_attrset(
        &mut self,
        e: &ast::Expr,
        env: &Env,
        file: &Rc<str>,
        line: u32,
    ) -> bool {
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
            Value::Known(KnownFunction::Import, _)
        ) {
            return false;
        }
        let Value::Path(p) = self.ev.eval(&path_arg, env, file) else {
            return false;
        };
        let target = if self.ev.tree.is_dir(&p) {
            p.module_file()
        } else {
            p
        };
        self.push(Target::FileWalked(target), file, line);
        for a in args {
            self.walk_expr(&a, env, file, Usage::Arg);
        }
        true
    }

    pub(super) fn select_self(
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
                Some(Some(n)) => return self.push(Target::Input(n.clone()), file, line),
                _ => return self.push(Target::Input("*".into()), file, line),
            }
        }
        let Some(first) = names.next() else {
            return self.walk_value(&Value::SelfFlake, usage, file, line);
        };
        match first.as_deref() {
            // `self.inputs.<x>`: an input, as `inputs.<x>` is.
            Some("inputs") => {
                let target = match names.next() {
                    Some(Some(n)) if n != "self" => Target::Input(n.clone()),
                    Some(Some(_)) => return self.walk_value(&Value::SelfFlake, usage, file, line),
                    _ => Target::Input("*".into()),
                };
                return self.push(target, file, line);
            }
            // `self.outputs`: the flake's own outputs, all of them.
            Some("outputs") => return self.walk_value(&Value::SelfFlake, usage, file, line),
            _ => {}
        }
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
                // An output a flake-parts module defines: that module's file
                // is where the value is written, so it is a dependency.
                if self.ev.parts.borrow().used {
                    let mut defs: Vec<Thunk> = vec![cur.clone()];
                    if let Value::Attrs(a) = self.ev.force(&cur) {
                        defs.extend(a.map.values().cloned());
                    }
                    for d in defs {
                        if let Some((def, _)) = crate::flake::hosts::thunk_site(self.ev, &d)
                            && def != "flake.nix"
                        {
                            let p = crate::flake::path::RepoPath::new_unchecked(def);
                            self.push(Target::FileWalked(p), file, line);
                        }
                    }
                }
                self.walk_thunk(&cur, usage, file, line);
            }
            None => {
                let what = first.clone().unwrap_or_else(|| "<computed>".into());
                // A computed name may be `rev` too.
                let target = if first.is_none()
                    || crate::flake::known::REVISION_ATTRS.contains(&what.as_str())
                {
                    Target::Revision(format!("`self.{what}` is the commit"))
                } else {
                    Target::WholeSource(format!("`self.{what}` depends on the whole source"))
                };
                self.push(target, file, line)
            }
        }
    }
}
