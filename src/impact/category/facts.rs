//! What one version of a `.nix` file says, as the categories compare it:
//! the option definitions and declarations of the NixOS modules in it, the
//! module lists (`imports`, a host's `modules`), and in flake.nix the inputs
//! and the hosts' own attributes. Read from the rnix syntax only.
//!
//! Rules:
//! - A module is a file whose expression (under a function, `with`, `let`
//!   and the module system's wrappers) is an attribute set, an attribute set
//!   or function in a module list (`imports`, `modules`, `extraModules`), or
//!   a `let` binding such a list names. When the set has `config` or
//!   `options`, its definitions are under `config`; otherwise every
//!   attribute but `imports`, `disabledModules`, `_file`, `key`, `meta`,
//!   `_class` and `freeformType` is one.
//! - Nested sets (`a = { b.c = 1; }`) and attribute paths (`a.b.c = 1`) give
//!   the same definition `a.b.c`. `mkIf`, `mkMerge`, `mkDefault`, `mkForce`,
//!   `mkOverride`, `mkBefore`, `mkAfter`, `mkOrder` and `mkOptionDefault`
//!   (bare, or as `lib.` names) are looked through; the condition of `mkIf`
//!   and the wrappers belong to what each definition inside them holds.
//!   A computed attribute name (`${n}`) is `*`.
//! - What a definition holds is its value's tokens less whitespace and
//!   comments, with the `let` bindings it names (transitively): a comment or
//!   a reformat changes nothing; an edit to a binding changes the
//!   definitions that use it.
//! - A declaration is a path under `options` whose value is `mkOption`,
//!   `mkEnableOption`, `mkPackageOption` (or any value that is not a set).
//! - Module lists under home-manager (`home-manager.users.*`,
//!   `sharedModules`, `homeConfigurations`) hold home-manager modules, not
//!   NixOS ones: they are not read.
use std::collections::{BTreeMap, BTreeSet};

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use crate::flake::slice::{literal_attr, tokens};
use crate::flake::source::NixFile;
use crate::flake::walk::strip_parens;

/// One definition or declaration: where, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The attribute path (`*` for a computed name).
    pub path: Vec<String>,
    /// What it holds: tokens, conditions and the bindings it names.
    pub holds: String,
    /// The 1-based line of its attribute.
    pub line: u32,
}

/// A module list (`imports = [ … ]`, a host's `modules = [ … ]`).
#[derive(Debug, Clone)]
pub struct ModuleList {
    /// The attributes around it, joined (`nixosConfigurations.yoga.modules`).
    pub context: String,
    /// The entries that name modules (paths, inputs' modules, …) as code,
    /// each with its line; inline modules are read as modules instead.
    pub entries: Vec<(String, u32)>,
    /// The line of the list's attribute.
    pub line: u32,
}

/// A flake input as flake.nix declares it.
#[derive(Debug, Clone)]
pub struct Input {
    /// Where it is fetched from: `url`, or the attributes that say it
    /// (`type`, `owner`, `repo`, `ref`, `flake`…), as code; `follows` and
    /// the input's own inputs excluded.
    pub source: String,
    /// The `url` string when it is a literal.
    pub url: Option<String>,
    /// The line of its first attribute.
    pub line: u32,
}

/// What one version of a file says.
#[derive(Debug, Default)]
pub struct Facts {
    /// Definitions of the modules in it.
    pub defs: Vec<Item>,
    /// Option declarations of the modules in it.
    pub options: Vec<Item>,
    /// Its module lists.
    pub lists: Vec<ModuleList>,
    /// flake.nix: the inputs by name.
    pub inputs: BTreeMap<String, Input>,
    /// flake.nix: each host's own attribute (`nixosConfigurations.<h>`),
    /// holding its code alone.
    pub hosts: Vec<Item>,
    /// The file itself is a module.
    pub module: bool,
    /// The file's code (tokens less whitespace and comments).
    pub code: String,
}

/// Attribute names of a module that are not definitions.
const MODULE_KEYS: &[&str] = &[
    "imports",
    "disabledModules",
    "_file",
    "key",
    "meta",
    "_class",
    "freeformType",
];

/// Attribute names whose list holds NixOS modules.
const LIST_ATTRS: &[&str] = &["imports", "modules", "extraModules"];

/// Attribute names under which modules are home-manager's.
const HOME_MANAGER: &[&str] = &["home-manager", "sharedModules", "homeConfigurations"];

/// Outputs whose attributes are hosts.
const HOST_OUTPUTS: &[&str] = &["nixosConfigurations", "darwinConfigurations"];

/// The facts of `file`; `None` when it cannot be read or has a syntax
/// error (then only its path can say anything).
pub fn read(file: &NixFile, is_flake: bool) -> Option<Facts> {
    if file.error().is_some() {
        return None;
    }
    let root = file.root()?;
    let expr = file.root_expr()?;
    let mut r = Reader {
        file,
        facts: Facts {
            code: tokens(&root),
            ..Default::default()
        },
        done: BTreeSet::new(),
    };
    if is_flake {
        r.flake(&expr);
    } else {
        r.facts.module = r.module(expr, &[]);
    }
    r.lists_anywhere(&root);
    Some(r.facts)
}

struct Reader<'a> {
    file: &'a NixFile,
    facts: Facts,
    /// Nodes already read as modules or module lists (by their range).
    done: BTreeSet<(u32, u32)>,
}

fn range(n: &SyntaxNode) -> (u32, u32) {
    let r = n.text_range();
    (r.start().into(), r.end().into())
}

/// The names of an attribute path, `*` for a computed one.
fn names(path: Option<ast::Attrpath>) -> Vec<String> {
    path.map(|p| {
        p.attrs()
            .map(|a| literal_attr(&a).unwrap_or_else(|| "*".into()))
            .collect()
    })
    .unwrap_or_default()
}

/// A function application as its function's last name and arguments:
/// `lib.mkIf c x` is `("mkIf", [c, x])`.
fn call(e: &ast::Expr) -> Option<(String, Vec<ast::Expr>)> {
    let mut args = vec![];
    let mut cur = e.clone();
    while let ast::Expr::Apply(a) = cur {
        args.push(a.argument()?);
        cur = strip_parens(a.lambda()?);
    }
    if args.is_empty() {
        return None;
    }
    args.reverse();
    let name = match &cur {
        ast::Expr::Ident(i) => i.syntax().text().to_string(),
        ast::Expr::Select(s) => s
            .attrpath()?
            .attrs()
            .last()
            .and_then(|a| literal_attr(&a))?,
        _ => return None,
    };
    Some((name, args))
}

/// The module system's wrappers that keep the definitions inside them:
/// the wrapper's name, its argument count, and which argument holds them.
fn wrapper(name: &str) -> Option<(usize, usize)> {
    Some(match name {
        "mkIf" | "mkOverride" | "mkOrder" | "optionalAttrs" => (2, 1),
        "mkDefault"
        | "mkForce"
        | "mkBefore"
        | "mkAfter"
        | "mkOptionDefault"
        | "mkImageMediaOverride"
        | "mkVMOverride" => (1, 0),
        _ => return None,
    })
}

impl Reader<'_> {
    fn line(&self, n: &SyntaxNode) -> u32 {
        self.file.line_of(n)
    }

    /// What `node` holds: its code, and the code of every `let` binding it
    /// names, transitively.
    fn holds(&self, node: &SyntaxNode, conds: &[String]) -> String {
        let mut out = conds.join("\u{1e}");
        out.push('\u{1d}');
        out.push_str(&with_bindings(node));
        out
    }

    /// Read `e` as a module; false when it is not one.
    fn module(&mut self, e: ast::Expr, conds: &[String]) -> bool {
        let e = strip_parens(e);
        match &e {
            ast::Expr::Lambda(l) => match l.body() {
                Some(b) => self.module(b, conds),
                None => false,
            },
            ast::Expr::With(w) => {
                let mut c = conds.to_vec();
                if let Some(ns) = w.namespace() {
                    c.push(format!("with {}", tokens(ns.syntax())));
                }
                match w.body() {
                    Some(b) => self.module(b, &c),
                    None => false,
                }
            }
            ast::Expr::LetIn(l) => match l.body() {
                Some(b) => self.module(b, conds),
                None => false,
            },
            ast::Expr::AttrSet(set) => {
                self.done.insert(range(set.syntax()));
                let explicit = set.entries().any(|en| match en {
                    ast::Entry::AttrpathValue(apv) => matches!(
                        names(apv.attrpath()).first().map(String::as_str),
                        Some("config" | "options")
                    ),
                    ast::Entry::Inherit(_) => false,
                });
                for en in set.entries() {
                    match en {
                        ast::Entry::AttrpathValue(apv) => {
                            let path = names(apv.attrpath());
                            let line = self.line(apv.syntax());
                            let Some(value) = apv.value() else { continue };
                            match path.first().map(String::as_str) {
                                Some("imports") if path.len() == 1 => {
                                    self.list("imports".into(), value, line, true)
                                }
                                Some("options") => self.declarations(&path[1..], value, line),
                                Some("config") if explicit => {
                                    self.definitions(&path[1..], value, conds, line)
                                }
                                Some(k) if MODULE_KEYS.contains(&k) => {}
                                _ => self.definitions(&path, value, conds, line),
                            }
                        }
                        ast::Entry::Inherit(i) => self.inherit(&[], &i, conds),
                    }
                }
                true
            }
            _ => match call(&e) {
                Some((name, args)) if name == "mkMerge" => match args.first().cloned() {
                    Some(ast::Expr::List(l)) => {
                        let mut any = false;
                        for item in l.items() {
                            any |= self.module(item, conds);
                        }
                        any
                    }
                    _ => false,
                },
                Some((name, args)) => match wrapper(&name) {
                    Some((n, at)) if args.len() == n => {
                        let mut c = conds.to_vec();
                        c.push(wrapped(&name, &args, at));
                        self.module(args[at].clone(), &c)
                    }
                    _ => false,
                },
                None => false,
            },
        }
    }

    fn inherit(&mut self, prefix: &[String], i: &ast::Inherit, conds: &[String]) {
        let line = self.line(i.syntax());
        let from = i.from().map(|f| tokens(f.syntax())).unwrap_or_default();
        for a in i.attrs() {
            let name = literal_attr(&a).unwrap_or_else(|| "*".into());
            let mut path = prefix.to_vec();
            path.push(name.clone());
            let mut holds = conds.join("\u{1e}");
            holds.push_str(&format!("\u{1d}inherit {from} {name}"));
            self.facts.defs.push(Item { path, holds, line });
        }
    }

    /// The definitions of `value` at `prefix`.
    fn definitions(&mut self, prefix: &[String], value: ast::Expr, conds: &[String], line: u32) {
        let v = strip_parens(value);
        // `with lib; { … }`, `let … in { … }`: the set inside.
        if let Some((body, cond)) = scoped(&v) {
            let mut c = conds.to_vec();
            c.extend(cond);
            return self.definitions(prefix, body, &c, line);
        }
        match &v {
            ast::Expr::AttrSet(set) => {
                for en in set.entries() {
                    match en {
                        ast::Entry::AttrpathValue(apv) => {
                            let mut path = prefix.to_vec();
                            path.extend(names(apv.attrpath()));
                            let line = self.line(apv.syntax());
                            if let Some(inner) = apv.value() {
                                self.definitions(&path, inner, conds, line);
                            }
                        }
                        ast::Entry::Inherit(i) => self.inherit(prefix, &i, conds),
                    }
                }
                return;
            }
            _ => {
                if let Some((name, args)) = call(&v) {
                    if name == "mkMerge"
                        && let Some(ast::Expr::List(l)) =
                            args.first().map(|a| strip_parens(a.clone()))
                    {
                        for item in l.items() {
                            self.definitions(prefix, item, conds, line);
                        }
                        return;
                    }
                    if let Some((n, at)) = wrapper(&name)
                        && args.len() == n
                    {
                        let mut c = conds.to_vec();
                        c.push(wrapped(&name, &args, at));
                        self.definitions(prefix, args[at].clone(), &c, line);
                        return;
                    }
                }
            }
        }
        let holds = self.holds(v.syntax(), conds);
        self.facts.defs.push(Item {
            path: prefix.to_vec(),
            holds,
            line,
        });
    }

    /// The option declarations of `value` at `prefix` (under `options`).
    fn declarations(&mut self, prefix: &[String], value: ast::Expr, line: u32) {
        let v = strip_parens(value);
        if let Some((body, _)) = scoped(&v) {
            return self.declarations(prefix, body, line);
        }
        if let ast::Expr::AttrSet(set) = &v {
            for en in set.entries() {
                if let ast::Entry::AttrpathValue(apv) = en {
                    let mut path = prefix.to_vec();
                    path.extend(names(apv.attrpath()));
                    let line = self.line(apv.syntax());
                    if let Some(inner) = apv.value() {
                        self.declarations(&path, inner, line);
                    }
                }
            }
            return;
        }
        let holds = self.holds(v.syntax(), &[]);
        self.facts.options.push(Item {
            path: prefix.to_vec(),
            holds,
            line,
        });
    }

    /// A module list: its entries, and the modules written inline in it.
    fn list(&mut self, context: String, value: ast::Expr, line: u32, nixos: bool) {
        self.done.insert(range(value.syntax()));
        let mut entries = vec![];
        let mut stack = vec![value];
        while let Some(e) = stack.pop() {
            let e = strip_parens(e);
            match &e {
                ast::Expr::List(l) => {
                    for item in l.items() {
                        let it = strip_parens(item.clone());
                        let inline = match &it {
                            ast::Expr::AttrSet(_) | ast::Expr::Lambda(_) => Some(it.clone()),
                            ast::Expr::Ident(i) => {
                                binding(i.syntax(), &i.syntax().text().to_string())
                                    .and_then(ast::Expr::cast)
                                    .map(strip_parens)
                                    .filter(|b| {
                                        matches!(b, ast::Expr::AttrSet(_) | ast::Expr::Lambda(_))
                                    })
                            }
                            _ => None,
                        };
                        match inline {
                            Some(m) => {
                                if nixos && self.done.insert(range(m.syntax())) {
                                    self.module(m, &[]);
                                }
                            }
                            None => entries.push((tokens(it.syntax()), self.line(it.syntax()))),
                        }
                    }
                }
                ast::Expr::BinOp(b) => {
                    stack.extend(b.rhs());
                    stack.extend(b.lhs());
                }
                _ => entries.push((tokens(e.syntax()), self.line(e.syntax()))),
            }
        }
        self.facts.lists.push(ModuleList {
            context,
            entries,
            line,
        });
    }

    /// Every module list not read yet, wherever it is in the file.
    fn lists_anywhere(&mut self, root: &SyntaxNode) {
        for node in root.descendants() {
            let Some(apv) = ast::AttrpathValue::cast(node) else {
                continue;
            };
            let own = names(apv.attrpath());
            let Some(last) = own.last() else { continue };
            if !LIST_ATTRS.contains(&last.as_str()) {
                continue;
            }
            let Some(value) = apv.value() else { continue };
            let inner = strip_parens(value.clone());
            if !matches!(inner, ast::Expr::List(_) | ast::Expr::BinOp(_)) {
                continue;
            }
            if self.done.contains(&range(value.syntax()))
                || self.done.contains(&range(inner.syntax()))
            {
                continue;
            }
            let context = context_of(apv.syntax());
            let nixos = !context
                .iter()
                .any(|c| HOME_MANAGER.contains(&c.as_str()) || c == "homeManagerModules");
            if !nixos {
                continue;
            }
            let line = self.line(apv.syntax());
            self.list(display(&context), value, line, true);
        }
    }

    /// flake.nix: its inputs, its hosts' attributes; module lists are read
    /// by `lists_anywhere`.
    fn flake(&mut self, expr: &ast::Expr) {
        let ast::Expr::AttrSet(set) = strip_parens(expr.clone()) else {
            return;
        };
        let mut leaves: Vec<(Vec<String>, SyntaxNode, u32)> = vec![];
        for en in set.entries() {
            let ast::Entry::AttrpathValue(apv) = en else {
                continue;
            };
            let path = names(apv.attrpath());
            if path.first().map(String::as_str) == Some("inputs")
                && let Some(v) = apv.value()
            {
                let line = self.line(apv.syntax());
                flatten(&path[1..], v, line, self.file, &mut leaves);
            }
        }
        let mut by_name: BTreeMap<String, (Vec<String>, Option<String>, u32)> = BTreeMap::new();
        for (path, value, line) in leaves {
            let Some(name) = path.first() else { continue };
            let entry = by_name.entry(name.clone()).or_insert((vec![], None, line));
            entry.2 = entry.2.min(line);
            let rest = &path[1..];
            // `inputs.x.follows` and `inputs.x.inputs.*`: where its own
            // inputs come from, not where it is fetched from.
            if matches!(rest.first().map(String::as_str), Some("inputs" | "follows")) {
                continue;
            }
            if rest == ["url"] {
                entry.1 = string_literal(&value);
            }
            entry
                .0
                .push(format!("{}={}", rest.join("."), tokens(&value)));
        }
        for (name, (mut parts, url, line)) in by_name {
            parts.sort();
            self.facts.inputs.insert(
                name,
                Input {
                    source: parts.join("\u{1d}"),
                    url,
                    line,
                },
            );
        }
        // Each host's own attribute, wherever the outputs put it.
        for node in set.syntax().descendants() {
            let Some(apv) = ast::AttrpathValue::cast(node) else {
                continue;
            };
            let mut context = context_of(apv.syntax());
            let Some(at) = context
                .iter()
                .position(|c| HOST_OUTPUTS.contains(&c.as_str()))
            else {
                continue;
            };
            if context.len() != at + 2 || names(apv.attrpath()).last() != context.last() {
                continue;
            }
            let Some(value) = apv.value() else { continue };
            let line = self.line(apv.syntax());
            // Its own code: what it shares with other hosts (`let` bindings,
            // overlays) is not this host's configuration.
            let holds = tokens(value.syntax());
            context.drain(..at);
            self.facts.hosts.push(Item {
                path: context,
                holds,
                line,
            });
        }
    }
}

/// The code of `node` with every `let` binding it names, transitively: an
/// edit to a binding is an edit to what uses it.
fn with_bindings(node: &SyntaxNode) -> String {
    let mut out = tokens(node);

    let mut seen = BTreeSet::new();
    let mut stack = vec![node.clone()];
    while let Some(n) = stack.pop() {
        for ident in n.descendants().filter(|d| {
            d.kind() == SyntaxKind::NODE_IDENT
                && d.parent()
                    .is_none_or(|p| p.kind() != SyntaxKind::NODE_ATTRPATH)
        }) {
            let name = ident.text().to_string();
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(value) = binding(&ident, &name) {
                out.push('\u{1d}');
                out.push_str(&name);
                out.push('=');
                out.push_str(&tokens(&value));
                stack.push(value);
            }
        }
    }
    out
}

/// The body of `with X; BODY` (with `with X` as a condition of what it
/// holds) or `let … in BODY` (whose bindings the definitions inside name).
fn scoped(e: &ast::Expr) -> Option<(ast::Expr, Option<String>)> {
    match e {
        ast::Expr::With(w) => Some((
            w.body()?,
            w.namespace()
                .map(|ns| format!("with {}", tokens(ns.syntax()))),
        )),
        ast::Expr::LetIn(l) => Some((l.body()?, None)),
        _ => None,
    }
}

/// `mkIf cond` / `mkOverride 50` as it conditions what it wraps.
fn wrapped(name: &str, args: &[ast::Expr], at: usize) -> String {
    let mut s = name.to_string();
    for (i, a) in args.iter().enumerate() {
        if i != at {
            s.push(' ');
            s.push_str(&with_bindings(a.syntax()));
        }
    }
    s
}

/// Leaves of an attribute set (no wrappers): `inputs = { a.url = …; }`.
fn flatten(
    prefix: &[String],
    value: ast::Expr,
    line: u32,
    file: &NixFile,
    out: &mut Vec<(Vec<String>, SyntaxNode, u32)>,
) {
    match strip_parens(value) {
        ast::Expr::AttrSet(set) => {
            for en in set.entries() {
                if let ast::Entry::AttrpathValue(apv) = en
                    && let Some(v) = apv.value()
                {
                    let mut path = prefix.to_vec();
                    path.extend(names(apv.attrpath()));
                    flatten(&path, v, file.line_of(apv.syntax()), file, out);
                }
            }
        }
        v => out.push((prefix.to_vec(), v.syntax().clone(), line)),
    }
}

/// The text of a string literal without interpolations.
fn string_literal(node: &SyntaxNode) -> Option<String> {
    let s = ast::Str::cast(node.clone())?;
    match s.normalized_parts().as_slice() {
        [ast::InterpolPart::Literal(l)] => Some(l.clone()),
        [] => Some(String::new()),
        _ => None,
    }
}

/// The attribute names of the bindings around `node`, outermost first, its
/// own included: `outputs`, `nixosConfigurations`, `yoga`, `modules`.
fn context_of(node: &SyntaxNode) -> Vec<String> {
    let mut out: Vec<Vec<String>> = vec![];
    let mut cur = Some(node.clone());
    while let Some(n) = cur {
        if let Some(apv) = ast::AttrpathValue::cast(n.clone()) {
            out.push(names(apv.attrpath()));
        }
        cur = n.parent();
    }
    out.into_iter().rev().flatten().collect()
}

/// A context as shown: without flake.nix's `outputs`.
fn display(context: &[String]) -> String {
    let skip = usize::from(context.first().map(String::as_str) == Some("outputs"));
    context[skip..].join(".")
}

/// The value `name` is bound to by a `let` around `at` (`let name = …;` or
/// `inherit (x) name;` in a `let`), if any.
fn binding(at: &SyntaxNode, name: &str) -> Option<SyntaxNode> {
    let mut cur = at.parent();
    while let Some(n) = cur {
        if let Some(l) = ast::LetIn::cast(n.clone()) {
            for en in l.entries() {
                match en {
                    ast::Entry::AttrpathValue(apv) => {
                        let path = names(apv.attrpath());
                        if path.len() == 1 && path[0] == name {
                            // A binding that names itself (`x = x + 1` in a
                            // nested let) is still a value: its code.
                            return apv.value().map(|v| v.syntax().clone());
                        }
                    }
                    ast::Entry::Inherit(i) => {
                        if i.attrs().any(|a| literal_attr(&a).as_deref() == Some(name)) {
                            return Some(i.syntax().clone());
                        }
                    }
                }
            }
        }
        cur = n.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, flake: bool) -> Facts {
        let f = NixFile::new("x.nix".into(), Ok(text.as_bytes().to_vec()));
        read(&f, flake).unwrap_or_else(|| panic!("parses"))
    }

    fn paths(items: &[Item]) -> Vec<String> {
        items.iter().map(|i| i.path.join(".")).collect()
    }

    #[test]
    fn nested_sets_and_wrappers_give_the_same_paths() {
        let f = facts(
            "{ config, lib, ... }: with lib; let cfg = config.x; in {\n\
             options.x.enable = mkEnableOption \"x\";\n\
             config = mkIf cfg.enable (mkMerge [ { services.openssh = { enable = mkForce true; }; } { networking.firewall.allowedTCPPorts = [ 22 ]; } ]);\n\
             }",
            false,
        );
        assert!(f.module);
        assert_eq!(paths(&f.options), ["x.enable"]);
        assert_eq!(
            paths(&f.defs),
            [
                "services.openssh.enable",
                "networking.firewall.allowedTCPPorts"
            ]
        );
        assert_eq!(f.defs[1].line, 3);
        assert!(f.defs[0].holds.contains("mkIf"));
        // The condition and the bindings it names belong to what a definition holds.
        let g = facts(
            "{ config, lib, ... }: with lib; let cfg = config.y; in {\n\
             options.x.enable = mkEnableOption \"x\";\n\
             config = mkIf cfg.enable (mkMerge [ { services.openssh = { enable = mkForce true; }; } { networking.firewall.allowedTCPPorts = [ 22 ]; } ]);\n\
             }",
            false,
        );
        assert_ne!(f.defs[0].holds, g.defs[0].holds);
        assert_eq!(f.options[0].holds, g.options[0].holds);
    }

    #[test]
    fn with_let_and_optional_sets_are_looked_through() {
        let f = facts(
            "{ lib, ... }: {\n\
             options.x = with lib; { enable = mkEnableOption \"x\"; };\n\
             services.openssh = let p = 22; in { ports = [ p ]; };\n\
             networking = lib.optionalAttrs true { firewall.enable = true; };\n\
             }",
            false,
        );
        assert_eq!(paths(&f.options), ["x.enable"]);
        assert_eq!(
            paths(&f.defs),
            ["services.openssh.ports", "networking.firewall.enable"]
        );
        assert!(f.defs[0].holds.contains("p=22"));
    }

    #[test]
    fn a_comment_or_a_reformat_holds_the_same() {
        let a = facts("{ a.b = [ 1 2 ]; }", false);
        let b = facts("{\n  # note\n  a = {\n    b = [\n 1 2 ];\n  };\n}", false);
        assert_eq!(a.defs[0].holds, b.defs[0].holds);
        let c = facts("{\n  a.b = [\n    1 # one\n    2\n  ];\n}\n", false);
        assert_eq!(a.code, c.code);
    }

    #[test]
    fn flake_inputs_hosts_and_module_lists() {
        let f = facts(
            r#"{
  inputs = { nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05"; disko = { url = "github:nix-community/disko"; inputs.nixpkgs.follows = "nixpkgs"; }; };
  inputs.old = { type = "github"; owner = "o"; repo = "r"; };
  outputs = { self, nixpkgs, ... }: let shared = { system.stateVersion = "25.05"; }; in {
    nixosConfigurations.yoga = nixpkgs.lib.nixosSystem {
      modules = [ ./hosts/yoga shared { networking.firewall.enable = true; } ];
    };
    nixosConfigurations = { vps = nixpkgs.lib.nixosSystem { modules = [ ./hosts/vps ]; }; };
  };
}"#,
            true,
        );
        assert_eq!(
            f.inputs.keys().cloned().collect::<Vec<_>>(),
            ["disko", "nixpkgs", "old"]
        );
        assert_eq!(
            f.inputs["nixpkgs"].url.as_deref(),
            Some("github:NixOS/nixpkgs/nixos-25.05")
        );
        assert!(!f.inputs["disko"].source.contains("follows"));
        assert_eq!(
            paths(&f.hosts),
            ["nixosConfigurations.yoga", "nixosConfigurations.vps"]
        );
        let mut defs = paths(&f.defs);
        defs.sort();
        assert_eq!(defs, ["networking.firewall.enable", "system.stateVersion"]);
        let contexts: Vec<&str> = f.lists.iter().map(|l| l.context.as_str()).collect();
        assert_eq!(
            contexts,
            [
                "nixosConfigurations.yoga.modules",
                "nixosConfigurations.vps.modules"
            ]
        );
        assert_eq!(f.lists[0].entries.len(), 1);
    }

    #[test]
    fn home_manager_lists_are_not_nixos_modules() {
        let f = facts(
            "{ home-manager.users.u = { imports = [ ./home.nix ]; programs.ssh.enable = true; }; }",
            false,
        );
        assert!(f.lists.is_empty());
        assert_eq!(
            paths(&f.defs),
            [
                "home-manager.users.u.imports",
                "home-manager.users.u.programs.ssh.enable"
            ]
        );
    }
}
