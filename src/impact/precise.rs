//! The opt-in enable-option layer: a host that reaches a
//! gated module but never enables it is not affected by an edit confined to
//! the module's `mkIf` body. Every condition must be proven; anything the
//! syntax cannot prove keeps the host.
use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use serde::Serialize;

use crate::flake::slice::literal_attr;
use crate::flake::source::SourceTree;
use crate::flake::walk::strip_parens;
use crate::flake::{FlakeModel, Host};

use super::{Options, Reason};

#[derive(Debug, Serialize, Clone)]
pub struct Verdict {
    /// The host was dropped by this layer.
    pub dropped: bool,
    pub explanation: String,
}

fn keep(why: impl Into<String>) -> Verdict {
    Verdict {
        dropped: false,
        explanation: why.into(),
    }
}

pub fn judge(model: &FlakeModel, host: &Host, reasons: &[Reason], opts: &Options) -> Verdict {
    let Some(tree) = model.tree.as_deref() else {
        return keep("kept: no parsed tree");
    };
    let mut gated = vec![];
    if host.deps.whole_source {
        // `self.rev`, the root as a value, …: every edit changes the host.
        return keep("kept: the host depends on the whole source");
    }
    for r in reasons {
        if !(r.exact && r.kind == "file" && r.file.ends_with(".nix")) {
            return keep(format!("kept: `{}` is not a plain module edit", r.file));
        }
        if let Some(how) = super::read_as_data(host, &r.file) {
            return keep(format!("kept: `{}` is also {how}", r.file));
        }
        let Some(head) = tree
            .nix_file(&r.file)
            .and_then(|f| f.root().map(|n| n.text().to_string()))
        else {
            return keep(format!("kept: `{}` cannot be read", r.file));
        };
        let Some(Some(base)) = opts.base_text.get(&r.file) else {
            return keep(format!(
                "kept: no base revision of `{}` to compare (pass --base, not --files)",
                r.file
            ));
        };
        let (Some(a), Some(b)) = (Gate::find(base), Gate::find(&head)) else {
            return keep(format!(
                "kept: `{}` is not a gated module (`config = mkIf cfg.enable …` with `cfg = config.<path>`)",
                r.file
            ));
        };
        if a.option != b.option || a.outside != b.outside {
            return keep(format!(
                "kept: the edit to `{}` touches code outside its `mkIf` body",
                r.file
            ));
        }
        if !b.default_false {
            return keep(format!(
                "kept: `{}.enable` may default to true",
                b.option.join(".")
            ));
        }
        if let Some(site) = enabled_by(tree, host, &b.option) {
            return keep(format!(
                "kept: `{}.enable` is set at {site}",
                b.option.join(".")
            ));
        }
        gated.push(format!("{} (`{}.enable`)", r.file, b.option.join(".")));
    }
    Verdict {
        dropped: true,
        explanation: format!("dropped: reaches but never enables {}", gated.join(", ")),
    }
}

/// A module of the shape `let cfg = config.<P>; in { options…; config = mkIf cfg.enable BODY; }`.
struct Gate {
    option: Vec<String>,
    default_false: bool,
    /// The file text with BODY cut out: equal texts mean the edit is inside BODY.
    outside: String,
}

impl Gate {
    /// The gate of a module text, if it has one: the module is a function
    /// (or a set) whose body, under any `with` and `let` layers, is an
    /// attrset holding only `options`, module-system keys (`imports`,
    /// `disabledModules`, `meta`, `_file`, `key`) and
    /// `config = mkIf <cond> BODY`, where `<cond>` is `config.<P>.enable`
    /// spelled inline or through a `let`-bound name (`cfg = config.<P>`).
    fn find(text: &str) -> Option<Gate> {
        let parse = rnix::Root::parse(text);
        if !parse.errors().is_empty() {
            return None;
        }
        let mut expr = strip_parens(parse.tree().expr()?);
        if let ast::Expr::Lambda(l) = &expr {
            expr = strip_parens(l.body()?);
        }
        // Names bound to `config.<P>` by the `let` layers around the body.
        let mut bound: Vec<(String, Vec<String>)> = vec![];
        loop {
            match expr {
                ast::Expr::With(w) => expr = strip_parens(w.body()?),
                ast::Expr::LetIn(l) => {
                    for e in l.entries() {
                        if let ast::Entry::AttrpathValue(apv) = e
                            && let Some(name) = apv.attrpath().and_then(|p| path_of(&p))
                            && let [name] = name.as_slice()
                            && let Some(option) =
                                apv.value().and_then(|v| select_path(&v, "config"))
                        {
                            bound.push((name.clone(), option));
                        }
                    }
                    expr = strip_parens(l.body()?);
                }
                _ => break,
            }
        }
        let ast::Expr::AttrSet(set) = expr else {
            return None;
        };
        let mut body = None;
        let mut option: Option<Vec<String>> = None;
        let mut options_entries = vec![];
        for e in set.entries() {
            let ast::Entry::AttrpathValue(apv) = e else {
                continue;
            };
            let path = path_of(&apv.attrpath()?)?;
            let value = apv.value()?;
            if path == ["config"] {
                // mkIf COND BODY   (also lib.mkIf)
                let ast::Expr::Apply(outer) = strip_parens(value) else {
                    return None;
                };
                let ast::Expr::Apply(inner) = strip_parens(outer.lambda()?) else {
                    return None;
                };
                let f = inner.lambda()?.syntax().text().to_string();
                if f != "mkIf" && f != "lib.mkIf" {
                    return None;
                }
                option = Some(enable_condition(&inner.argument()?, &bound)?);
                body = Some(outer.argument()?.syntax().text_range());
            } else if path.first().map(String::as_str) == Some("options") {
                options_entries.push(apv);
            } else if !matches!(
                path.first().map(String::as_str),
                Some("imports" | "disabledModules" | "meta" | "_file" | "key")
            ) {
                return None; // a definition outside the gate
            }
        }
        let option = option?;
        // `options.P.enable = mkEnableOption …` (or a bool option defaulting
        // to false), in any nesting of attrsets.
        let mut want: Vec<Option<String>> = vec![Some("options".into())];
        want.extend(option.iter().cloned().map(Some));
        want.push(Some("enable".into()));
        let mut default_false = false;
        for apv in &options_entries {
            for node in apv.syntax().descendants() {
                let Some(inner) = ast::AttrpathValue::cast(node) else {
                    continue;
                };
                if full_path(inner.syntax()).0 == want {
                    default_false = inner.value().is_some_and(defaults_to_false);
                }
            }
        }
        let range = body?;
        let (s, e) = (usize::from(range.start()), usize::from(range.end()));
        let outside = format!("{}\u{0}{}", &text[..s], &text[e..]);
        Some(Gate {
            option,
            default_false,
            outside,
        })
    }
}

/// The option `<P>` of a condition `config.<P>.enable`, or `N.enable` with
/// `N` bound to `config.<P>`.
fn enable_condition(cond: &ast::Expr, bound: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    let ast::Expr::Select(s) = strip_parens(cond.clone()) else {
        return None;
    };
    if s.default_expr().is_some() {
        return None;
    }
    let mut path = path_of(&s.attrpath()?)?;
    if path.pop().as_deref() != Some("enable") {
        return None;
    }
    let base = s.expr()?.syntax().text().to_string();
    if base == "config" && !path.is_empty() {
        return Some(path);
    }
    if !path.is_empty() {
        return None;
    }
    // The innermost binding of the name wins, as in Nix.
    bound
        .iter()
        .rev()
        .find(|(n, _)| *n == base)
        .map(|(_, option)| option.clone())
}

/// `mkEnableOption …` (also `lib.mkEnableOption`), or
/// `mkOption { …; default = false; … }`: an option that is off unless set.
fn defaults_to_false(v: ast::Expr) -> bool {
    let v = strip_parens(v);
    let text = v.syntax().text().to_string();
    if text.starts_with("mkEnableOption") || text.starts_with("lib.mkEnableOption") {
        return true;
    }
    let ast::Expr::Apply(a) = v else {
        return false;
    };
    let f = a.lambda().map(|f| f.syntax().text().to_string());
    if !matches!(f.as_deref(), Some("mkOption" | "lib.mkOption")) {
        return false;
    }
    let Some(ast::Expr::AttrSet(set)) = a.argument().map(strip_parens) else {
        return false;
    };
    set.entries().any(|e| match e {
        ast::Entry::AttrpathValue(apv) => {
            apv.attrpath().and_then(|p| path_of(&p)).as_deref()
                == Some(&["default".to_string()][..])
                && apv
                    .value()
                    .is_some_and(|v| strip_parens(v).syntax().text() == "false")
        }
        _ => false,
    })
}

/// `config.a.b` -> ["a", "b"] when `expr` selects literal names from `root`.
fn select_path(expr: &ast::Expr, root: &str) -> Option<Vec<String>> {
    let ast::Expr::Select(s) = strip_parens(expr.clone()) else {
        return None;
    };
    if s.default_expr().is_some() || s.expr()?.syntax().text() != root {
        return None;
    }
    path_of(&s.attrpath()?)
}

fn path_of(p: &ast::Attrpath) -> Option<Vec<String>> {
    p.attrs().map(|a| literal_attr(&a)).collect()
}

/// Where a file the host reaches may set `<option>.enable`, if anywhere.
fn enabled_by(tree: &SourceTree, host: &Host, option: &[String]) -> Option<String> {
    let mut target: Vec<String> = option.to_vec();
    target.push("enable".into());
    // Files that implement a local `nixosSystem` configure nothing themselves.
    for rel in host
        .deps
        .reached
        .iter()
        .filter(|f| !host.deps.machinery.contains(*f))
    {
        let Some(file) = tree.nix_file(rel) else {
            continue;
        };
        let Some(root) = file.root() else { continue };
        for node in root.descendants() {
            // (path from the file's top, anchored at a module's top?, the value if literal)
            let defs: Vec<(Vec<Option<String>>, bool, Option<ast::Expr>)> =
                if let Some(apv) = ast::AttrpathValue::cast(node.clone()) {
                    let (path, anchored) = full_path(apv.syntax());
                    vec![(path, anchored, apv.value())]
                } else if let Some(inh) = ast::Inherit::cast(node.clone()) {
                    // `{ inherit x; }` defines `x` with a value the syntax does not show.
                    let (base, anchored) = match node.parent() {
                        Some(p) => full_path(&p),
                        None => (vec![], true),
                    };
                    inh.attrs()
                        .map(|a| {
                            let mut p = base.clone();
                            p.push(match a {
                                ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
                                _ => None,
                            });
                            (p, anchored, None)
                        })
                        .collect()
                } else {
                    continue;
                };
            for (path, anchored, value) in defs {
                let mut path: &[Option<String>] = &path;
                if path.first() == Some(&Some("options".to_string())) {
                    continue;
                }
                if path.first() == Some(&Some("config".to_string())) {
                    path = &path[1..];
                }
                if defines(path, anchored, &target, value) {
                    return Some(format!("{rel}:{}", file.line_of(&node)));
                }
            }
        }
    }
    None
}

/// True when a definition at `path` (None = computed name) can set `target`.
fn defines(
    path: &[Option<String>],
    anchored: bool,
    target: &[String],
    value: Option<ast::Expr>,
) -> bool {
    // A set bound in a `let` or built by a helper can end up anywhere: any
    // definition whose tail is exactly `<P>.enable` counts.
    let tail_matches = |tail: &[Option<String>]| {
        tail.len() == target.len()
            && tail
                .iter()
                .zip(target)
                .all(|(p, t)| p.as_ref().is_none_or(|p| p == t))
    };
    if (0..path.len()).any(|i| tail_matches(&path[i..])) {
        return true;
    }
    if !anchored {
        return false; // a `let` binding is a definition only where it is used, matched above
    }
    let matches_prefix = path
        .iter()
        .zip(target)
        .all(|(p, t)| p.as_ref().is_none_or(|p| p == t));
    if !matches_prefix {
        return false;
    }
    if path.len() >= target.len() {
        return true; // the leaf itself (or below it)
    }
    // A prefix: only a literal attrset value is looked into (its entries are
    // their own AttrpathValues); anything else (`= enabled`, a function call) may set it.
    !value.is_some_and(transparent)
}

/// A value that cannot carry option definitions at all.
fn inert(v: &ast::Expr) -> bool {
    matches!(
        v,
        ast::Expr::Str(_) | ast::Expr::Literal(_) | ast::Expr::PathRel(_) | ast::Expr::PathAbs(_)
    ) || matches!(v, ast::Expr::Ident(i) if matches!(i.syntax().text().to_string().as_str(), "true" | "false" | "null"))
}

/// A value whose definitions are all visible as nested attribute paths: a
/// literal attrset, possibly under mkIf / mkMerge / mkDefault / mkForce.
fn transparent(v: ast::Expr) -> bool {
    match strip_parens(v) {
        ast::Expr::AttrSet(_) => true,
        v if inert(&v) => true,
        ast::Expr::List(l) => l.items().all(transparent),
        ast::Expr::Apply(a) => {
            let mut f = a.lambda();
            while let Some(ast::Expr::Apply(inner)) = f.clone().map(strip_parens) {
                f = inner.lambda();
            }
            let name = f.map(|f| f.syntax().text().to_string()).unwrap_or_default();
            let name = name.rsplit('.').next().unwrap_or("");
            matches!(
                name,
                "mkIf"
                    | "mkMerge"
                    | "mkDefault"
                    | "mkForce"
                    | "mkOverride"
                    | "mkBefore"
                    | "mkAfter"
                    | "optionalAttrs"
            ) && a.argument().is_some_and(transparent)
        }
        _ => false,
    }
}

/// The attribute path of a definition from the file's top, through nested
/// attrsets and wrappers such as `mkIf c { … }` or `mkMerge [ … ]` (`None`
/// entries are computed names), and whether it is anchored at a module's top
/// (false when it passes through a `let` binding).
fn full_path(start: &rnix::SyntaxNode) -> (Vec<Option<String>>, bool) {
    let mut segments: Vec<Vec<Option<String>>> = vec![];
    let mut anchored = true;
    let mut cur: Option<rnix::SyntaxNode> = Some(start.clone());
    while let Some(node) = cur {
        if let Some(a) = ast::AttrpathValue::cast(node.clone()) {
            let seg: Vec<Option<String>> = a
                .attrpath()
                .map(|p| p.attrs().map(|at| literal_attr(&at)).collect())
                .unwrap_or_else(|| vec![None]);
            if node.parent().is_some_and(|p| ast::LetIn::cast(p).is_some()) {
                anchored = false;
            }
            segments.push(seg);
        }
        cur = node.parent();
    }
    segments.reverse();
    (segments.into_iter().flatten().collect(), anchored)
}
