//! Which syntax of a file a change really touches: code compared without
//! comments and whitespace, and the parts of flake.nix each host depends on.
//!
//! Rules:
//! - Two texts are the same code when their token streams, less whitespace
//!   and comments, are equal. A file that uses `__curPos` or
//!   `unsafeGetAttrPos` sees its own layout, so for it every edit counts.
//! - A host's slice of flake.nix is what its evaluation can read there: the
//!   `outputs` function's header, `nixConfig`, the `with` namespaces around
//!   the outputs, the host's own attribute under `nixosConfigurations` /
//!   `darwinConfigurations` (or the whole value when the hosts are computed
//!   together, e.g. `genAttrs names mkHost`), and, transitively, every `let`
//!   binding and (in a `rec` set) every output its slice names, every output
//!   it selects through `self.<name>` (all outputs for a bare `self`), and
//!   the declarations of the inputs it uses with the inputs they follow.
//!   `description` and outputs no host selects (`devShells`, `checks`,
//!   `formatter`, `packages`…) are in no host's slice.
//! - When flake.nix is not in a shape this reading covers (it does not
//!   parse; the outputs are built by a function call such as flake-parts'
//!   `mkFlake`), edits cannot be attributed and every host counts.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use rnix::ast::{self, HasEntry};
use rnix::{SyntaxKind, SyntaxNode};
use rowan::ast::AstNode;

use super::known::HOST_OUTPUTS;
use super::walk::strip_parens;

/// The tokens of `node` less whitespace and comments, separated by U+001F.
pub(crate) fn tokens(node: &SyntaxNode) -> String {
    placed_tokens(node, None)
}

/// `tokens`, each with its `line:column` when `lines` (the byte offsets
/// where lines start) is given: what code that sees positions can observe.
fn placed_tokens(node: &SyntaxNode, lines: Option<&[u32]>) -> String {
    let mut out = String::new();
    for t in node
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| {
            !matches!(
                t.kind(),
                SyntaxKind::TOKEN_WHITESPACE | SyntaxKind::TOKEN_COMMENT
            )
        })
    {
        out.push_str(t.text());
        if let Some(lines) = lines {
            let at = u32::from(t.text_range().start());
            let line = lines.partition_point(|&s| s <= at).max(1) - 1;
            out.push_str(&format!("@{}:{}", line + 1, at - lines[line] + 1));
        }
        out.push('\u{1f}');
    }
    out
}

/// The code of a Nix text: its tokens less whitespace and comments. `None`
/// when it does not parse (then no edit can be called layout-only).
pub fn code(text: &str) -> Option<String> {
    let parse = rnix::Root::parse(text);
    parse.errors().is_empty().then(|| tokens(&parse.syntax()))
}

/// Whether two versions of a Nix file differ only in comments and
/// whitespace, and the file cannot see its own layout (`__curPos`,
/// `unsafeGetAttrPos`). False when either does not parse.
pub fn same_code(a: &str, b: &str) -> bool {
    let sees_layout = |t: &str| t.contains("__curPos") || t.contains("unsafeGetAttrPos");
    if sees_layout(a) || sees_layout(b) {
        return false;
    }
    matches!((code(a), code(b)), (Some(x), Some(y)) if x == y)
}

/// A host as the slicing needs it.
pub struct SliceHost<'a> {
    /// The attribute name.
    pub name: &'a str,
    /// `nixos` or `darwin`.
    pub kind: &'a str,
    /// The inputs it uses (`*`: any).
    pub inputs: &'a BTreeSet<String>,
}

/// A host's slice of flake.nix, comparable between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSlice {
    /// Its tokens, less whitespace and comments.
    pub code: String,
    /// Its tokens with their positions: for a host whose code can see where
    /// things are written (`unsafeGetAttrPos`), a moved line is a change.
    pub placed: String,
}

/// Each host's slice of flake.nix, or why edits cannot be attributed to hosts.
pub fn host_slices(
    text: &str,
    hosts: &[SliceHost<'_>],
) -> Result<BTreeMap<String, HostSlice>, String> {
    let lines: Vec<u32> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i as u32 + 1))
        .collect();
    let parse = rnix::Root::parse(text);
    if !parse.errors().is_empty() {
        return Err("flake.nix does not parse".into());
    }
    let Some(ast::Expr::AttrSet(top)) = parse.tree().expr().map(strip_parens) else {
        return Err("flake.nix is not an attribute set".into());
    };
    let mut common: Vec<SyntaxNode> = vec![];
    let mut inputs: HashMap<String, Vec<SyntaxNode>> = HashMap::new();
    let mut outputs = None;
    for e in top.entries() {
        let ast::Entry::AttrpathValue(apv) = e else {
            common.push(e.syntax().clone());
            continue;
        };
        let path = names(&apv);
        match path.first().map(|n| n.as_deref()) {
            Some(Some("description")) => {}
            Some(Some("inputs")) if path.len() >= 2 => {
                let key = path[1].clone().unwrap_or_else(|| "*".into());
                inputs.entry(key).or_default().push(apv.syntax().clone());
            }
            Some(Some("inputs")) => match apv.value().map(strip_parens) {
                Some(ast::Expr::AttrSet(set)) => {
                    for ie in set.entries() {
                        let key = match &ie {
                            ast::Entry::AttrpathValue(a) => names(a).first().cloned().flatten(),
                            ast::Entry::Inherit(_) => None,
                        };
                        inputs
                            .entry(key.unwrap_or_else(|| "*".into()))
                            .or_default()
                            .push(ie.syntax().clone());
                    }
                }
                _ => {
                    inputs
                        .entry("*".into())
                        .or_default()
                        .push(apv.syntax().clone());
                }
            },
            Some(Some("outputs")) if path.len() == 1 => outputs = apv.value(),
            _ => common.push(apv.syntax().clone()),
        }
    }
    let Some(ast::Expr::Lambda(lambda)) = outputs.map(strip_parens) else {
        return Err("the outputs are not a function written in flake.nix".into());
    };
    // The header binds names; it is read as tokens, not searched for uses.
    let header = lambda.param().map(|p| p.syntax().clone());
    // The name the outputs function gives its inputs (`inputs:` or
    // `{ … }@inputs`): `inputs.self` is the flake's `self`.
    let inputs_name: Option<String> = match lambda.param() {
        Some(ast::Param::IdentParam(p)) => p.ident().map(|i| i.syntax().text().to_string()),
        Some(ast::Param::Pattern(p)) => p
            .pat_bind()
            .and_then(|b| b.ident())
            .map(|i| i.syntax().text().to_string()),
        None => None,
    };
    let mut body = lambda.body().map(strip_parens);
    let mut bindings: HashMap<String, Vec<SyntaxNode>> = HashMap::new();
    let mut all_bindings: Vec<SyntaxNode> = vec![];
    let set = loop {
        match body {
            Some(ast::Expr::LetIn(l)) => {
                for e in l.entries() {
                    bind(&e, &mut bindings, &mut all_bindings);
                }
                body = l.body().map(strip_parens);
            }
            Some(ast::Expr::With(w)) => {
                if let Some(ns) = w.namespace() {
                    common.push(ns.syntax().clone());
                }
                body = w.body().map(strip_parens);
            }
            Some(ast::Expr::AttrSet(set)) => break set,
            Some(ast::Expr::BinOp(b)) if b.operator() == Some(ast::BinOpKind::Update) => {
                // `perSystem // { nixosConfigurations = …; }`: the right side
                // wins for every attribute it has; it must have the hosts.
                match b.rhs().map(strip_parens) {
                    Some(ast::Expr::AttrSet(set)) if has_hosts(&set) => {
                        // What the left side defines may still be read by
                        // a host (`self.packages…`): every host's slice.
                        if let Some(l) = b.lhs() {
                            common.push(l.syntax().clone());
                        }
                        break set;
                    }
                    _ => return Err("the hosts are in an `//` whose right side openspec cannot read".into()),
                }
            }
            _ => return Err("the outputs are built by a function call (e.g. mkFlake), not written as an attribute set".into()),
        }
    };
    let rec = set.rec_token().is_some();
    // Outputs by first name; hosts' own entries and entries shared by a kind.
    let mut outputs_by_name: HashMap<String, Vec<SyntaxNode>> = HashMap::new();
    let mut all_outputs: Vec<SyntaxNode> = vec![];
    let mut own: HashMap<(String, String), Vec<SyntaxNode>> = HashMap::new();
    let mut shared: HashMap<String, Vec<SyntaxNode>> = HashMap::new();
    for e in set.entries() {
        all_outputs.push(e.syntax().clone());
        let ast::Entry::AttrpathValue(apv) = &e else {
            bind(&e, &mut outputs_by_name, &mut vec![]);
            common.push(e.syntax().clone());
            continue;
        };
        let path = names(apv);
        let Some(Some(first)) = path.first().cloned() else {
            // A computed output name may be anything, hosts included.
            common.push(e.syntax().clone());
            continue;
        };
        outputs_by_name
            .entry(first.clone())
            .or_default()
            .push(e.syntax().clone());
        let Some((_, kind)) = HOST_OUTPUTS.iter().find(|(attr, _)| *attr == first) else {
            continue;
        };
        match (path.get(1), apv.value().map(strip_parens)) {
            (Some(Some(host)), _) => own
                .entry((kind.to_string(), host.clone()))
                .or_default()
                .push(e.syntax().clone()),
            (None, Some(ast::Expr::AttrSet(inner))) if inner.rec_token().is_none() => {
                for ie in inner.entries() {
                    let host = match &ie {
                        ast::Entry::AttrpathValue(a) => names(a).first().cloned().flatten(),
                        ast::Entry::Inherit(_) => None,
                    };
                    match host {
                        Some(h) => own
                            .entry((kind.to_string(), h))
                            .or_default()
                            .push(ie.syntax().clone()),
                        None => shared
                            .entry(kind.to_string())
                            .or_default()
                            .push(ie.syntax().clone()),
                    }
                }
            }
            _ => shared
                .entry(kind.to_string())
                .or_default()
                .push(e.syntax().clone()),
        }
    }
    let mut out = BTreeMap::new();
    for h in hosts {
        let mut nodes: Vec<SyntaxNode> = common.clone();
        nodes.extend(shared.get(h.kind).cloned().unwrap_or_default());
        nodes.extend(
            own.get(&(h.kind.to_string(), h.name.to_string()))
                .cloned()
                .unwrap_or_default(),
        );
        let mut seen: BTreeSet<(u32, u32)> = BTreeSet::new();
        let mut slice: BTreeSet<String> = BTreeSet::new();
        let mut placed: BTreeSet<String> = BTreeSet::new();
        if let Some(h) = &header {
            slice.insert(tokens(h));
            placed.insert(placed_tokens(h, Some(&lines)));
        }
        let mut queue = nodes;
        let mut whole_outputs = false;
        while let Some(n) = queue.pop() {
            let r = n.text_range();
            if !seen.insert((r.start().into(), r.end().into())) {
                continue;
            }
            slice.insert(tokens(&n));
            placed.insert(placed_tokens(&n, Some(&lines)));
            for d in n.descendants() {
                let Some(i) = ast::Ident::cast(d.clone()) else {
                    continue;
                };
                let name = i.syntax().text().to_string();
                if let Some(b) = bindings.get(&name) {
                    queue.extend(b.iter().cloned());
                }
                if rec && let Some(o) = outputs_by_name.get(&name) {
                    queue.extend(o.iter().cloned());
                }
                if name == "self" && !binds_or_names(&d) {
                    match self_selection(&d) {
                        Some(output) => {
                            queue.extend(outputs_by_name.get(&output).cloned().unwrap_or_default())
                        }
                        None => whole_outputs = true,
                    }
                }
                if inputs_name.as_deref() == Some(name.as_str()) && !binds_or_names(&d) {
                    match inputs_selection(&d) {
                        InputsUse::Input => {}
                        InputsUse::Output(output) => {
                            queue.extend(outputs_by_name.get(&output).cloned().unwrap_or_default())
                        }
                        InputsUse::Whole => whole_outputs = true,
                    }
                }
            }
            if whole_outputs {
                whole_outputs = false;
                queue.extend(all_outputs.iter().cloned());
                queue.extend(all_bindings.iter().cloned());
            }
        }
        // The inputs it uses and, transitively, the inputs they follow.
        let mut wanted: Vec<String> = if h.inputs.contains("*") {
            inputs.keys().cloned().collect()
        } else {
            h.inputs.iter().cloned().collect()
        };
        wanted.push("*".into());
        let mut taken: BTreeSet<String> = BTreeSet::new();
        while let Some(i) = wanted.pop() {
            if !taken.insert(i.clone()) {
                continue;
            }
            for n in inputs.get(&i).into_iter().flatten() {
                slice.insert(tokens(n));
                placed.insert(placed_tokens(n, Some(&lines)));
                wanted.extend(follows_targets(n));
            }
        }
        let join = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>().join("\u{1e}");
        out.insert(
            h.name.to_string(),
            HostSlice {
                code: join(slice),
                placed: join(placed),
            },
        );
    }
    Ok(out)
}

/// Whether an outputs attrset defines hosts.
fn has_hosts(set: &ast::AttrSet) -> bool {
    set.entries().any(|e| match e {
        ast::Entry::AttrpathValue(a) => names(&a)
            .first()
            .cloned()
            .flatten()
            .is_some_and(|n| HOST_OUTPUTS.iter().any(|(attr, _)| *attr == n)),
        ast::Entry::Inherit(_) => false,
    })
}

/// Record a `let` (or attrset) entry under each name it binds.
fn bind(e: &ast::Entry, by_name: &mut HashMap<String, Vec<SyntaxNode>>, all: &mut Vec<SyntaxNode>) {
    all.push(e.syntax().clone());
    match e {
        ast::Entry::AttrpathValue(a) => {
            if let Some(Some(n)) = names(a).first() {
                by_name
                    .entry(n.clone())
                    .or_default()
                    .push(e.syntax().clone());
            }
        }
        ast::Entry::Inherit(inh) => {
            for attr in inh.attrs() {
                by_name
                    .entry(attr.syntax().text().to_string())
                    .or_default()
                    .push(e.syntax().clone());
            }
        }
    }
}

/// The literal names of an entry's attribute path (`None`: computed).
fn names(apv: &ast::AttrpathValue) -> Vec<Option<String>> {
    apv.attrpath()
        .map(|p| p.attrs().map(|a| literal_attr(&a)).collect())
        .unwrap_or_default()
}

/// The name an attribute spells literally (`a`, `"a"`, `""`); `None` when
/// it is computed (`${x}`, `"a${x}"`).
pub fn literal_attr(a: &ast::Attr) -> Option<String> {
    match a {
        ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
        ast::Attr::Str(s) => match s.normalized_parts().as_slice() {
            [ast::InterpolPart::Literal(l)] => Some(l.clone()),
            [] => Some(String::new()),
            _ => None,
        },
        ast::Attr::Dynamic(_) => None,
    }
}

/// For an identifier `self` (or the `self` of `inputs.self`), the output it
/// selects with a literal name; `None` when `self` is used whole.
fn self_selection(ident: &SyntaxNode) -> Option<String> {
    let parent = ident.parent()?;
    // `"${self}/x"`, `self + "/x"`: the source as a path, not the outputs.
    if matches!(
        parent.kind(),
        SyntaxKind::NODE_INTERPOL | SyntaxKind::NODE_BIN_OP
    ) {
        return Some(String::new());
    }
    let select = ast::Select::cast(parent)?;
    if select.expr()?.syntax() != ident {
        // `x.self`: the name of an attribute, not the flake's `self`.
        return Some(String::new());
    }
    match select.attrpath()?.attrs().next()? {
        ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
        _ => None,
    }
}

/// Whether an identifier binds a name (a lambda parameter) or names an
/// attribute (`{ self = …; }`, `x.self`) rather than using a variable.
fn binds_or_names(ident: &SyntaxNode) -> bool {
    ident.parent().is_some_and(|p| {
        matches!(
            p.kind(),
            SyntaxKind::NODE_PAT_ENTRY
                | SyntaxKind::NODE_PAT_BIND
                | SyntaxKind::NODE_IDENT_PARAM
                | SyntaxKind::NODE_ATTRPATH
        )
    })
}

/// How a use of the outputs function's inputs argument reads the outputs.
enum InputsUse {
    /// `inputs.<name>` of another input: not the outputs.
    Input,
    /// `inputs.self.<name>`: one output.
    Output(String),
    /// `inputs.self`, or `inputs` passed on whole: every output.
    Whole,
}

fn inputs_selection(ident: &SyntaxNode) -> InputsUse {
    let select = ident.parent().and_then(ast::Select::cast);
    let Some(select) = select.filter(|s| s.expr().is_some_and(|e| e.syntax() == ident)) else {
        return InputsUse::Whole;
    };
    let attrs: Vec<Option<String>> = select
        .attrpath()
        .map(|p| p.attrs().map(|a| literal_attr(&a)).collect())
        .unwrap_or_default();
    match attrs.as_slice() {
        [Some(first), ..] if first != "self" => InputsUse::Input,
        [Some(_), Some(output), ..] => InputsUse::Output(output.clone()),
        _ => InputsUse::Whole,
    }
}

/// The input names a declaration follows (`inputs.nixpkgs.follows = "nixpkgs"`).
fn follows_targets(n: &SyntaxNode) -> Vec<String> {
    n.descendants()
        .filter_map(ast::AttrpathValue::cast)
        .filter(|a| names(a).last().cloned().flatten().as_deref() == Some("follows"))
        .filter_map(|a| match a.value().map(strip_parens) {
            Some(ast::Expr::Str(s)) => match s.normalized_parts().as_slice() {
                [ast::InterpolPart::Literal(l)] => l.split('/').next().map(str::to_string),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAKE: &str = r#"{
  description = "d";
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs";
    disko = { url = "github:nix-community/disko"; inputs.nixpkgs.follows = "nixpkgs"; };
    other.url = "github:o/o";
  };
  outputs = { self, nixpkgs, disko, other, ... }:
    let
      lib = nixpkgs.lib;
      common = [ ./common.nix ];
      unused = 1;
    in {
      nixosConfigurations.a = lib.nixosSystem { modules = common ++ [ ./a.nix disko.nixosModules.disko ]; };
      nixosConfigurations.b = lib.nixosSystem { modules = [ ./b.nix self.nixosModules.x ]; };
      nixosModules.x = ./x.nix;
      devShells.x86_64-linux.default = other.y;
    };
}
"#;

    fn slices(text: &str) -> BTreeMap<String, HostSlice> {
        let a: BTreeSet<String> = ["nixpkgs", "disko"].map(String::from).into();
        let b: BTreeSet<String> = ["nixpkgs"].map(String::from).into();
        host_slices(
            text,
            &[
                SliceHost {
                    name: "a",
                    kind: "nixos",
                    inputs: &a,
                },
                SliceHost {
                    name: "b",
                    kind: "nixos",
                    inputs: &b,
                },
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Which hosts an edit of FLAKE (`from` -> `to`) affects.
    fn affected(from: &str, to: &str) -> Vec<String> {
        assert!(FLAKE.contains(from), "{from}");
        let (x, y) = (slices(FLAKE), slices(&FLAKE.replacen(from, to, 1)));
        x.keys()
            .filter(|h| x[*h].code != y[*h].code)
            .cloned()
            .collect()
    }

    #[test]
    fn edits_count_for_the_hosts_whose_slice_they_touch() {
        assert_eq!(affected("./a.nix", "./a2.nix"), ["a"]);
        assert_eq!(affected("common = [", "common = [ ./more.nix"), ["a"]);
        assert_eq!(affected("./x.nix", "./y.nix"), ["b"], "self.nixosModules.x");
        assert_eq!(
            affected("lib = nixpkgs.lib", "lib = nixpkgs.lib // { }"),
            ["a", "b"]
        );
        assert_eq!(
            affected("{ self, nixpkgs", "{ self, nixpkgs, extra"),
            ["a", "b"]
        );
        assert_eq!(
            affected("github:nix-community/disko", "github:me/disko"),
            ["a"]
        );
        assert_eq!(
            affected(
                "nixpkgs.url = \"github:NixOS/nixpkgs\"",
                "nixpkgs.url = \"github:NixOS/nixpkgs/x\""
            ),
            ["a", "b"],
            "disko follows nixpkgs"
        );
    }

    #[test]
    fn edits_no_host_reads_count_for_none() {
        assert!(affected("default = other.y", "default = other.z").is_empty());
        assert!(affected("unused = 1", "unused = 2").is_empty());
        assert!(affected("description = \"d\"", "description = \"e\"").is_empty());
        assert!(affected("github:o/o", "github:o/p").is_empty());
        assert!(affected("in {", "in { # a comment\n").is_empty());
        assert!(
            affected(
                "      nixosConfigurations.a",
                "\n\n   nixosConfigurations.a"
            )
            .is_empty()
        );
    }

    #[test]
    fn a_bare_self_reads_every_output() {
        let text = FLAKE.replace("self.nixosModules.x", "(import ./m.nix self)");
        let before = slices(&text);
        let after = slices(&text.replacen("default = other.y", "default = other.z", 1));
        assert_ne!(before["b"].code, after["b"].code);
        assert_eq!(before["a"].code, after["a"].code);
    }

    #[test]
    fn moved_lines_count_for_code_that_sees_positions() {
        let moved = FLAKE.replacen("in {", "in {\n", 1);
        let (x, y) = (slices(FLAKE), slices(&moved));
        assert_eq!(x["a"].code, y["a"].code);
        assert_ne!(x["a"].placed, y["a"].placed);
        // An edit below a host's slice moves nothing of it.
        let below = FLAKE.replacen("default = other.y", "default =\n other.y", 1);
        assert_eq!(x["a"].placed, slices(&below)["a"].placed);
    }

    #[test]
    fn outputs_read_through_inputs_or_beside_an_update_count() {
        let none: BTreeSet<String> = BTreeSet::new();
        let hosts = |text: &str| {
            host_slices(
                text,
                &[SliceHost {
                    name: "a",
                    kind: "nixos",
                    inputs: &none,
                }],
            )
            .unwrap_or_else(|e| panic!("{e}"))["a"]
                .code
                .clone()
        };
        let through = "{ outputs = { self, nixpkgs, ... }@inputs: { nixosConfigurations.a = f { specialArgs = { inherit inputs; }; }; nixosModules.x = ./x.nix; }; }";
        assert_ne!(
            hosts(through),
            hosts(&through.replace("./x.nix", "./y.nix"))
        );
        let selected = "{ outputs = inputs: { nixosConfigurations.a = f [ inputs.self.nixosModules.x ]; nixosModules.x = ./x.nix; devShells = 1; }; }";
        assert_ne!(
            hosts(selected),
            hosts(&selected.replace("./x.nix", "./y.nix"))
        );
        assert_eq!(
            hosts(selected),
            hosts(&selected.replace("devShells = 1", "devShells = 2"))
        );
        let update = "{ outputs = { self }: { nixosModules.x = ./x.nix; } // { nixosConfigurations.a = f [ self.nixosModules.x ]; }; }";
        assert_ne!(hosts(update), hosts(&update.replace("./x.nix", "./y.nix")));
    }

    #[test]
    fn unreadable_shapes_are_not_attributed() {
        let mk_flake =
            "{ outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } { }; }";
        let none: BTreeSet<String> = BTreeSet::new();
        let h = [SliceHost {
            name: "a",
            kind: "nixos",
            inputs: &none,
        }];
        assert!(host_slices(mk_flake, &h).is_err());
        assert!(host_slices("{ outputs = ", &h).is_err());
        let update = "{ outputs = { self }: each (s: { }) // { nixosConfigurations.a = 1; }; }";
        assert!(host_slices(update, &h).is_ok());
    }

    #[test]
    fn layout_only_edits_are_the_same_code() {
        assert!(same_code("{ a = 1; }", "{\n  # note\n  a   = 1;\n}\n"));
        assert!(!same_code("{ a = 1; }", "{ a = 2; }"));
        assert!(!same_code("{ a = __curPos; }", "{\n a = __curPos; }"));
        assert!(
            !same_code("{ a = ; }", "{ a = ; }"),
            "a file that does not parse"
        );
        assert!(
            !same_code("{ s = \"x  y\"; }", "{ s = \"x y\"; }"),
            "spaces in a string are code"
        );
    }
}
