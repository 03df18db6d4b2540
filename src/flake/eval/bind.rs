//! Binding names: the entries of a `let` or attribute set (nested attribute
//! paths merged as Nix merges them, `inherit` and `inherit (from)`, `rec`
//! scopes), and a lambda's parameters (a plain name, or a pattern whose
//! missing arguments take their defaults, or the module system's `self` and
//! `inputs` when nobody passed them).
use std::collections::BTreeMap;
use std::rc::Rc;

use rnix::ast::{self, HasEntry};

use super::{Eval, ident_name};
use crate::flake::value::*;

impl Eval<'_> {
    /// Bind the entries of a `let` or attrset. Returns the attrset and the
    /// scope its values see (the new scope when `rec`, else `env`).
    pub fn bind_entries(
        &self,
        node: &impl HasEntry,
        env: &Env,
        file: &Rc<str>,
        rec: bool,
    ) -> (Attrs, Env) {
        let scope = if rec { env.child() } else { env.clone() };
        let mut tree: BTreeMap<String, Node> = BTreeMap::new();
        let mut dynamic = false;
        for entry in node.entries() {
            match entry {
                ast::Entry::AttrpathValue(apv) => {
                    let (Some(path), Some(value)) = (apv.attrpath(), apv.value()) else {
                        continue;
                    };
                    let names: Option<Vec<String>> = path
                        .attrs()
                        .map(|a| self.attr_name(&a, &scope, file))
                        .collect();
                    let Some(names) = names else {
                        dynamic = true;
                        continue;
                    };
                    insert_path(
                        &mut tree,
                        &names,
                        Thunk::lazy(value, scope.clone(), file.clone()),
                        self,
                    );
                }
                ast::Entry::Inherit(inh) => {
                    let from = inh.from().and_then(|f| f.expr());
                    for attr in inh.attrs() {
                        let Some(name) = self.attr_name(&attr, &scope, file) else {
                            continue;
                        };
                        let t = match &from {
                            Some(src) => Thunk::select(
                                Thunk::lazy(src.clone(), scope.clone(), file.clone()),
                                name.clone(),
                            ),
                            // `inherit x;` reads x from the enclosing scope, even in `rec`.
                            None => env
                                .lexical(&name)
                                .unwrap_or_else(|| Thunk::value(self.lookup(&name, env))),
                        };
                        tree.insert(name, Node::Leaf(t));
                    }
                }
            }
        }
        let mut attrs = Attrs {
            map: BTreeMap::new(),
            dynamic,
        };
        for (k, n) in tree {
            let t = n.into_thunk();
            if rec {
                scope.set(&k, t.clone());
            }
            attrs.map.insert(k, t);
        }
        (attrs, scope)
    }

    /// The scope of a lambda's body with its parameter bound to `arg`.
    pub fn bind_params(&self, c: &Closure, arg: Thunk) -> Env {
        let env = c.env.child();
        env.mark_params();
        match c.lambda.param() {
            Some(ast::Param::IdentParam(p)) => {
                if let Some(i) = p.ident() {
                    env.set(&ident_name(&i), arg);
                }
            }
            Some(ast::Param::Pattern(pat)) => {
                let argv = self.force(&arg);
                if let Some(b) = pat.pat_bind().and_then(|b| b.ident()) {
                    env.set(&ident_name(&b), arg.clone());
                }
                for entry in pat.pat_entries() {
                    let Some(i) = entry.ident() else { continue };
                    let name = ident_name(&i);
                    let given = match &argv {
                        Value::Attrs(a) => a.map.get(&name).cloned(),
                        Value::Inputs | Value::SelfFlake | Value::ModuleArgs(_) => {
                            self.select(&argv, &name).map(Thunk::value)
                        }
                        _ => None,
                    };
                    let t = match (given, entry.default()) {
                        (Some(t), _) => t,
                        (None, Some(d)) if matches!(argv, Value::Attrs(_)) => {
                            Thunk::lazy(d, env.clone(), c.file.clone())
                        }
                        _ => Thunk::value(crate::flake::known::module_arg(&name)),
                    };
                    env.set(&name, t);
                }
            }
            None => {}
        }
        env
    }
}

enum Node {
    Leaf(Thunk),
    Set(BTreeMap<String, Node>),
}

impl Node {
    fn into_thunk(self) -> Thunk {
        match self {
            Node::Leaf(t) => t,
            Node::Set(m) => {
                let map = m.into_iter().map(|(k, n)| (k, n.into_thunk())).collect();
                Thunk::value(Value::Attrs(Rc::new(Attrs {
                    map,
                    dynamic: false,
                })))
            }
        }
    }
}

/// `a.b.c = v;` merged with its siblings, as Nix merges nested attribute paths.
fn insert_path(tree: &mut BTreeMap<String, Node>, names: &[String], t: Thunk, ev: &Eval) {
    let Some((first, rest)) = names.split_first() else {
        return;
    };
    if rest.is_empty() {
        match tree.get_mut(first) {
            // `a.b = 1; a = { c = 2; };` is legal Nix: merge the literal set in.
            Some(Node::Set(existing)) => {
                if let Value::Attrs(a) = ev.force(&t) {
                    for (k, v) in a.map.iter() {
                        existing.insert(k.clone(), Node::Leaf(v.clone()));
                    }
                }
            }
            _ => {
                tree.insert(first.clone(), Node::Leaf(t));
            }
        }
        return;
    }
    let entry = tree
        .entry(first.clone())
        .or_insert_with(|| Node::Set(BTreeMap::new()));
    if let Node::Leaf(existing) = entry {
        let mut m = BTreeMap::new();
        if let Value::Attrs(a) = ev.force(existing) {
            for (k, v) in a.map.iter() {
                m.insert(k.clone(), Node::Leaf(v.clone()));
            }
        }
        *entry = Node::Set(m);
    }
    if let Node::Set(m) = entry {
        insert_path(m, rest, t, ev);
    }
}
