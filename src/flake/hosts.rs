//! Where hosts start: `nixosConfigurations` and `darwinConfigurations` of the
//! flake's outputs, in whatever shape the partial evaluator can name them.
use std::rc::Rc;

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;

use super::eval::Eval;
use super::known::{FRAMEWORK_RULES, HOST_FRAMEWORKS, HOST_OUTPUTS};
use super::path::RepoPath;
use super::value::*;
use super::{Diagnostic, DiagnosticKind, Level};

/// A host as found in the outputs, before its dependencies are known.
pub struct HostEntry {
    /// The attribute name.
    pub name: String,
    /// `nixos` or `darwin`.
    pub kind: &'static str,
    /// Its definition, to be walked.
    pub thunk: Thunk,
    /// The repository file its definition is written in.
    pub file: String,
    /// The line its definition starts on.
    pub line: u32,
    /// How it was found: `literal`, `helper`, `flake-parts`, a framework's
    /// name, or `nix` (named by Nix only).
    pub rule: &'static str,
    /// What the rule that placed it makes it depend on besides its
    /// definition (the module files that import it, folders scanned).
    pub extra: Vec<super::walk::Target>,
}

/// Bind `self` and the inputs, and remember the outputs for `self.<attr>`.
pub fn prepare(ev: &mut Eval) {
    let Some(file) = ev.tree.nix_file("flake.nix").cloned() else {
        return;
    };
    let Some(ast::Expr::AttrSet(set)) = file.root_expr().map(super::walk::strip_parens) else {
        return;
    };
    let fname: Rc<str> = ev.file_name("flake.nix");
    let mut inputs = vec![];
    let mut outputs = None;
    for entry in set.entries() {
        let ast::Entry::AttrpathValue(apv) = entry else {
            continue;
        };
        let Some(path) = apv.attrpath() else { continue };
        let names: Vec<String> = path
            .attrs()
            .map(|a| a.syntax().text().to_string().trim_matches('"').to_string())
            .collect();
        match names.first().map(String::as_str) {
            Some("inputs") if names.len() >= 2 => inputs.push(names[1].clone()),
            Some("inputs") => {
                if let Some(ast::Expr::AttrSet(i)) = apv.value() {
                    for e in i.entries() {
                        if let ast::Entry::AttrpathValue(a) = e
                            && let Some(first) = a.attrpath().and_then(|p| p.attrs().next())
                        {
                            inputs.push(
                                first
                                    .syntax()
                                    .text()
                                    .to_string()
                                    .trim_matches('"')
                                    .to_string(),
                            );
                        }
                    }
                }
            }
            Some("outputs") => outputs = apv.value(),
            _ => {}
        }
    }
    inputs.sort();
    inputs.dedup();
    ev.input_names = inputs;
    if let Some(out) = outputs {
        let f = Thunk::lazy(out, ev.global_env(), fname);
        let applied = Thunk::apply(ev.force(&f), vec![Thunk::value(Value::Inputs)]);
        *ev.outputs.borrow_mut() = Some(applied);
    }
}

/// Every host of the outputs `prepare` bound, sorted by name; findings
/// about hosts that cannot be named go to `diags`.
pub fn discover(ev: &Eval, diags: &mut Vec<Diagnostic>) -> Vec<HostEntry> {
    let mut hosts = vec![];
    let Some(file) = ev.tree.nix_file("flake.nix").cloned() else {
        return hosts;
    };
    if file.error().is_some() {
        return hosts;
    }
    let outputs = ev.outputs.borrow().clone();
    let Some(outputs) = outputs else {
        diags.push(diag(
            Level::Error,
            DiagnosticKind::Unresolved,
            1,
            "flake.nix has no `outputs` attribute; add `outputs = { self, ... }: { ... };`",
        ));
        return hosts;
    };
    let out = ev.force(&outputs);
    let mut any_attr = false;
    for (attr, kind) in HOST_OUTPUTS {
        let Some(v) = ev.select(&out, attr) else {
            continue;
        };
        let (attr_file, line) = match &out {
            Value::Attrs(a) => a.map.get(attr).and_then(|t| thunk_site(ev, t)),
            _ => None,
        }
        .unwrap_or(("flake.nix".into(), 1));
        match v {
            Value::Attrs(a) => {
                any_attr = true;
                let parts = ev.parts.borrow();
                for (name, t) in a.map.iter() {
                    let (mut file, mut l) = thunk_site(ev, t).unwrap_or(("flake.nix".into(), line));
                    let mut extra = vec![];
                    let haumea = parts
                        .haumea
                        .iter()
                        .any(|d| super::path::parent(&file) == d.as_str());
                    let rule = if let Some(p) = parts.placed.get(&(attr.to_string(), name.clone()))
                    {
                        file = p.file.clone();
                        l = p.line;
                        extra = p.extra.clone();
                        p.rule
                    } else if haumea {
                        extra.push(super::walk::Target::FileWalked(RepoPath::new_unchecked(
                            &file,
                        )));
                        extra.push(super::walk::Target::Input("*".into()));
                        "haumea"
                    } else if parts.used {
                        for f in parts.chain(&file) {
                            extra
                                .push(super::walk::Target::FileWalked(RepoPath::new_unchecked(&f)));
                        }
                        for l in &parts.listings {
                            extra.push(super::walk::Target::Listing(l.clone()));
                        }
                        parts.rule_of(&file)
                    } else if literal_attr(t, name) {
                        "literal"
                    } else {
                        "helper"
                    };
                    // The file its definition is written in (flake.nix always counts).
                    if file != "flake.nix" {
                        let t = super::walk::Target::FileWalked(RepoPath::new_unchecked(&file));
                        if !extra.contains(&t) {
                            extra.push(t);
                        }
                    }
                    // Built by a function the analysis cannot read: its
                    // dependencies cannot be known.
                    if let Origin::Apply {
                        func: Value::Unknown | Value::Input(_),
                        ..
                    } = &t.0.origin
                    {
                        extra.push(super::walk::Target::WholeSource(
                            "the host is built by a function the static reading cannot follow"
                                .into(),
                        ));
                    }
                    if !matches!(rule, "literal" | "helper") {
                        for m in &parts.machinery {
                            extra.push(super::walk::Target::Machinery(m.clone()));
                        }
                    }
                    hosts.push(HostEntry {
                        name: name.clone(),
                        kind,
                        thunk: t.clone(),
                        file,
                        line: l,
                        rule,
                        extra,
                    });
                }
                if a.dynamic {
                    let why = parts
                        .unresolved
                        .clone()
                        .map(|w| format!(" ({w})"))
                        .unwrap_or_default();
                    diags.push(diag_at(&attr_file, Level::Error, DiagnosticKind::Unresolved, line, &format!(
                        "some names in `{attr}` are computed and could not be resolved statically{why}, so hosts may be missing from every answer; ask Nix for the names with `--eval` (`hosts --eval`, `impact --eval-hosts`), or name the hosts in a literal attrset (or with genAttrs over a literal list)"
                    )));
                }
            }
            // Anything but an attribute set (unknown, another flake's value,
            // a function the analysis does not model) may hold hosts.
            _ => {
                any_attr = true;
                diags.push(diag_at(&attr_file, Level::Error, DiagnosticKind::Unresolved, line, &format!(
                    "`{attr}` is computed in a way openspec cannot follow, so its hosts are missing from every answer; ask Nix for the names with `--eval` (`hosts --eval`, `impact --eval-hosts`), or name the hosts in a literal attrset (or with genAttrs over a literal list)"
                )));
            }
        }
    }
    if hosts.is_empty() {
        let used: Vec<&str> = HOST_FRAMEWORKS
            .iter()
            .copied()
            .filter(|f| ev.input_names.iter().any(|i| i == f))
            .collect();
        let external: Vec<String> = ev.parts.borrow().external.iter().cloned().collect();
        if !used.is_empty() {
            let (ruled, unruled): (Vec<&str>, Vec<&str>) =
                used.iter().partition(|f| FRAMEWORK_RULES.contains(f));
            let why = match (ruled.is_empty(), unruled.is_empty()) {
                (_, false) => format!(
                    "hosts are placed by convention by {} (no rule for it)",
                    unruled.join(", ")
                ),
                _ => format!(
                    "{} is an input, but its rule found no host here (the layout may differ from its convention)",
                    ruled.join(", ")
                ),
            };
            diags.push(diag(Level::Error, DiagnosticKind::UnknownFramework, 1, &format!(
                "{why}, so no host could be named; ask Nix for the names with `--eval` (`hosts --eval`, `impact --eval-hosts`)"
            )));
        } else if !external.is_empty() {
            // A flake module of an input may define the hosts.
            diags.push(diag(Level::Error, DiagnosticKind::UnknownFramework, 1, &format!(
                "no host is defined by the flake's own modules, and the flake modules of {} are not read, so no host could be named; ask Nix for the names with `--eval` (`hosts --eval`, `impact --eval-hosts`)",
                external.join(", ")
            )));
        } else if !any_attr && matches!(out, Value::Unknown | Value::Attrs(_)) {
            let text_mentions = file
                .root()
                .map(|r| r.text().to_string().contains("Configurations"))
                .unwrap_or(false);
            if text_mentions || matches!(out, Value::Unknown) {
                diags.push(diag(Level::Error, DiagnosticKind::UnknownFramework, 1,
                    "the outputs are built in a way openspec does not recognise, so no host could be named; ask Nix for the names with `--eval` (`hosts --eval`, `impact --eval-hosts`)"));
            }
        }
    }
    hosts.sort_by(|a, b| a.name.cmp(&b.name).then(a.kind.cmp(b.kind)));
    hosts
}

/// Whether a finding says some hosts cannot be named statically (every
/// such finding points to `--eval`).
pub fn is_naming_finding(d: &Diagnostic) -> bool {
    d.level == Level::Error
        && matches!(
            d.kind,
            DiagnosticKind::Unresolved | DiagnosticKind::UnknownFramework
        )
        && d.message.contains(EVAL_HINT)
}

const EVAL_HINT: &str = "ask Nix for the names with `--eval`";

fn diag_at(file: &str, level: Level, kind: DiagnosticKind, line: u32, message: &str) -> Diagnostic {
    Diagnostic::new(kind, file, line, message.to_string()).at(level)
}

fn diag(level: Level, kind: DiagnosticKind, line: u32, message: &str) -> Diagnostic {
    Diagnostic::new(kind, "flake.nix", line, message.to_string()).at(level)
}

/// The 1-based line a thunk's syntax starts on, if it has syntax.
pub fn thunk_line(ev: &Eval, t: &Thunk) -> Option<u32> {
    thunk_site(ev, t).map(|(_, l)| l)
}

/// The file and 1-based line a thunk's syntax starts on, if it has syntax.
pub fn thunk_site(ev: &Eval, t: &Thunk) -> Option<(String, u32)> {
    match &t.0.origin {
        Origin::Expr { expr, file, .. } => ev
            .tree
            .nix_file(file)
            .map(|f| (file.to_string(), f.line_of(expr.syntax()))),
        Origin::Apply { args, .. } => args.iter().find_map(|a| thunk_site(ev, a)),
        Origin::Select { base, .. } => thunk_site(ev, base),
        // `hosts.a.modules = …` makes `a` a set with no syntax of its own:
        // it starts where its first attribute does.
        Origin::Value => match &*t.0.slot.borrow() {
            Slot::Done(Value::Attrs(a)) => a
                .map
                .values()
                .filter_map(|t| thunk_site(ev, t))
                .min_by_key(|(_, l)| *l),
            _ => None,
        },
    }
}

/// Whether a host's definition is written as an attribute named after the
/// host (`yoga = nixosSystem { … };`, `nixosConfigurations.yoga = …`),
/// rather than made by a function from a name.
fn literal_attr(t: &Thunk, name: &str) -> bool {
    let Origin::Expr { expr, .. } = &t.0.origin else {
        return false;
    };
    expr.syntax()
        .parent()
        .and_then(ast::AttrpathValue::cast)
        .and_then(|apv| apv.attrpath())
        .and_then(|p| p.attrs().last())
        .and_then(|a| super::slice::literal_attr(&a))
        .is_some_and(|n| n == name)
}
