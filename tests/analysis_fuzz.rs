//! Property-based fuzzing of parse + resolve (`openspec::flake::load`).
//!
//! Each case writes a small generated flake tree into a temp dir: a flake.nix
//! in one of the host shapes (literal, nested attrset, helper, genAttrs,
//! readDir, garbage) plus a few .nix and data files whose contents come from a
//! grammar of Nix fragments (imports lists, paths with `..` and absolute
//! paths, interpolated paths, `let`, `with`, `inherit`, readDir and
//! listFilesRecursive walks, callPackage, readFile, `self` paths), broken
//! syntax, empty files and random bytes, and symlinks (loops, to `/`, out of
//! the root). It then loads the model and checks: no panic, no hang, the same
//! answer twice, every literal host found, and every listed path relative,
//! `/`-separated, inside the root, sorted and unique, every diagnostic naming
//! a file. Failures are shrunk by proptest to a minimal tree, printed in full.
//!
//! `cargo test` runs a small number of cases (a few seconds). The long run,
//! 10 minutes, in release mode for throughput:
//!
//! ```sh
//! OPENSPEC_FUZZ_SECS=600 cargo test --release --test analysis_fuzz -- --nocapture
//! ```
//!
//! `OPENSPEC_FUZZ_CASES=N` sets the cases per batch; `PROPTEST_RNG_SEED=N`
//! fixes the seed. cargo-fuzz was not used: it needs a nightly toolchain and
//! a separate `fuzz/` crate at the top level, which CI and the layout do not
//! have; proptest runs inside `cargo test` on stable.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;

/// Cases per `cargo test` run: keeps this file at a few seconds in debug mode.
const DEFAULT_CASES: u32 = 48;
/// One `load` slower than this on a tree of a dozen small files is a hang.
const LOAD_LIMIT: Duration = Duration::from_secs(30);

// ---- the generated tree ----

#[derive(Debug, Clone)]
enum Content {
    Text(String),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone)]
struct GenFlake {
    text: Content,
    /// Host names the flake declares in a shape the analysis must resolve
    /// (literal, nested, helper with a literal argument, genAttrs over a
    /// literal list). Only checked when the flake text parses.
    literal_hosts: Vec<String>,
}

#[derive(Debug, Clone)]
struct GenTree {
    flake: GenFlake,
    files: Vec<(String, Content)>,
    symlinks: Vec<(String, String)>,
    /// Changed files for `impact::analyze`.
    changed: Vec<String>,
}

/// Where generated files may live (repository-relative).
const SLOTS: &[&str] = &[
    "hosts/a/default.nix",
    "hosts/b/default.nix",
    "hosts/b/hardware.nix",
    "hosts/c-d/default.nix",
    "modules/default.nix",
    "modules/x.nix",
    "modules/sub/default.nix",
    "modules/sub/y.nix",
    "modules/sub.nix",
    "lib/mk-host.nix",
    "pkgs/tool/default.nix",
    "home/u/home.nix",
    "unused/z.nix",
];

/// Data files read by `readFile`/`importJSON` and `src = ./.` packages.
const DATA: &[&str] = &[
    "data/key.pub",
    "data/conf.json",
    "pkgs/tool/main.sh",
    "home/u/config.kdl",
];

/// Symlinks, as (link, target): loops, escapes and a walk into `/`.
const LINKS: &[(&str, &str)] = &[
    ("modules/sub/up", ".."),
    ("modules/self", "."),
    ("modules/l1.nix", "l2.nix"),
    ("modules/l2.nix", "l1.nix"),
    ("hosts/a/out.nix", "../../../outside.nix"),
    ("data/root", "/"),
    ("data/etc", "/etc"),
    ("modules/dangling.nix", "nowhere.nix"),
];

const HOST_NAMES: &[&str] = &["a", "b", "c-d", "e"];

fn path_literal() -> impl Strategy<Value = String> {
    select(vec![
        "./default.nix",
        "./x.nix",
        "./sub",
        "./sub/y.nix",
        "./.",
        "../.",
        "../modules",
        "../../modules",
        "../../modules/sub",
        "../x.nix",
        "../b/hardware.nix",
        "../../data/key.pub",
        "../../data/conf.json",
        "../../data",
        "../../pkgs/tool",
        "../../home/u/home.nix",
        "./missing.nix",
        "../../../outside.nix",
        "../../../../../../../../etc/passwd",
        "/etc/hosts",
        "/.",
        "~/dotfiles/x.nix",
        "<nixpkgs/nixos/modules/profiles/minimal.nix>",
        "./l1.nix",
        "./up/up/x.nix",
        "./${name}.nix",
        "../${name}/default.nix",
        "./sub/${toString 1}",
        "../../hosts/${config.networking.hostName}/key.pub",
    ])
    .prop_map(str::to_string)
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => path_literal(),
        1 => select(vec![
            "\"./not/a/path.nix\"",
            "\"${./x.nix}\"",
            "''\n  ${../../data/key.pub}\n''",
            "42",
            "true",
            "null",
            "self",
            "inputs.nixpkgs",
            "lib",
            "config",
            "name",
            "pkgs",
            "modulesPath",
            "(modulesPath + \"/profiles/qemu-guest.nix\")",
            "\"${self}/modules/x.nix\"",
            "(self + \"/modules\")",
            "(self + /hosts/a)",
            "self.nixosModules.x",
            "(./. + \"/${name}\")",
            "# ./commented/out.nix\n  1",
        ])
        .prop_map(str::to_string),
    ]
}

/// Nix expressions that are syntactically valid; composites are parenthesised
/// so they can stand in a list or as an argument.
fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 48, 4, |inner| {
        let e = inner.clone();
        prop_oneof![
            vec(e.clone(), 0..4).prop_map(|xs| format!("[ {} ]", xs.join(" "))),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!(
                "{{ imports = [ {a} ]; config.value = {b}; }}"
            )),
            (
                select(vec![
                    "import",
                    "pkgs.callPackage",
                    "builtins.readFile",
                    "lib.importJSON",
                    "builtins.readDir",
                    "lib.filesystem.listFilesRecursive",
                    "builtins.pathExists",
                    "lib.cleanSource",
                    "builtins.attrValues",
                ]),
                e.clone()
            )
                .prop_map(|(f, a)| format!("({f} {a})")),
            e.clone().prop_map(|a| format!("(import {a} {{ inherit lib; }})")),
            e.clone().prop_map(|a| format!("(pkgs.callPackage {a} {{ }})")),
            e.clone().prop_map(|a| format!(
                "(map (n: {a} + \"/${{n}}\") (builtins.attrNames (builtins.readDir {a})))"
            )),
            e.clone().prop_map(|a| format!("({a} + \"/default.nix\")")),
            e.clone().prop_map(|a| format!("({{ ... }}: {a})")),
            e.clone().prop_map(|a| format!("({a}).attr")),
            e.clone().prop_map(|a| format!("\"prefix-${{{a}}}\"")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!(
                "(let name = \"x\"; dir = {a}; in {b})"
            )),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("(with {a}; {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!(
                "{{ inherit (({a})) x y; inherit name; z = {b}; }}"
            )),
            (e.clone(), e.clone(), e.clone())
                .prop_map(|(a, b, c)| format!("(if {a} then {b} else {c})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} // {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} ++ {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("(rec {{ p = {a}; q = p; r = {b}; }})")),
            e.clone().prop_map(|a| format!(
                "(lib.genAttrs [ \"a\" \"b\" ] (name: {a}))"
            )),
            e.prop_map(|a| format!("{{ home-manager.users.u = {a}; xdg.configFile.\"x\".source = ../../home/u/config.kdl; }}")),
        ]
    })
}

/// A module file: the usual function-of-attrset shape around generated parts.
fn module_text() -> impl Strategy<Value = String> {
    (expr(), expr(), expr()).prop_map(|(imports, value, src)| {
        format!(
            "{{ config, lib, pkgs, self ? null, name ? \"a\", ... }}:\nlet\n  cfg = config.gen;\nin\n{{\n  imports = [ {imports} ];\n  options.gen.enable = lib.mkEnableOption \"gen\";\n  config = lib.mkIf cfg.enable {{\n    value = {value};\n    src = {src};\n  }};\n}}\n"
        )
    })
}

/// Text that does not parse: a valid text cut short, or with a bad token.
fn broken_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (module_text(), any::<prop::sample::Index>()).prop_map(|(t, i)| {
            let cut = i.index(t.len().max(1));
            let cut = (0..=cut)
                .rev()
                .find(|c| t.is_char_boundary(*c))
                .unwrap_or(0);
            t[..cut].to_string()
        }),
        (
            module_text(),
            select(vec!["++ ++", "${", "''", "\"", "in in", "{ = ;", "./", ")"])
        )
            .prop_map(|(t, bad)| t.replacen("imports", &format!("{bad} imports"), 1)),
        select(vec![
            "{ imports = [",
            "let in",
            "''",
            "\"unterminated",
            "./${",
            "{ a = 1 }"
        ])
        .prop_map(str::to_string),
    ]
}

fn content() -> impl Strategy<Value = Content> {
    prop_oneof![
        8 => module_text().prop_map(Content::Text),
        3 => expr().prop_map(Content::Text),
        2 => broken_text().prop_map(Content::Text),
        1 => Just(Content::Text(String::new())),
        1 => vec(any::<u8>(), 0..256).prop_map(Content::Bytes),
        1 => (module_text(), vec(0x80u8..=0xff, 1..4)).prop_map(|(t, junk)| {
            let mut b = t.into_bytes();
            let at = b.len() / 2;
            b.splice(at..at, junk);
            Content::Bytes(b)
        }),
    ]
}

fn host_call(modules: &str) -> String {
    format!(
        "nixpkgs.lib.nixosSystem {{\n      system = \"x86_64-linux\";\n      specialArgs = {{ inherit inputs self; }};\n      modules = [ {modules} ];\n    }}"
    )
}

fn flake() -> impl Strategy<Value = GenFlake> {
    let names = || subsequence(HOST_NAMES.to_vec(), 1..=HOST_NAMES.len());
    let head = "{\n  inputs.nixpkgs.url = \"github:NixOS/nixpkgs/nixos-unstable\";\n  outputs = inputs@{ self, nixpkgs, ... }:";
    prop_oneof![
        // nixosConfigurations.<h> = ...; one per host, modules from the grammar
        (names(), vec(expr(), 4)).prop_map(move |(hs, exprs)| {
            let mut body = String::new();
            for (i, h) in hs.iter().enumerate() {
                let modules = format!("./hosts/{h}/default.nix {}", exprs[i % exprs.len()]);
                body.push_str(&format!(
                    "    nixosConfigurations.\"{h}\" = {};\n",
                    host_call(&modules)
                ));
            }
            body.push_str("    checks.x86_64-linux.t = import ./unused/z.nix;\n");
            GenFlake {
                text: Content::Text(format!("{head} {{\n{body}  }};\n}}\n")),
                literal_hosts: hs.iter().map(|s| s.to_string()).collect(),
            }
        }),
        // nested attrset under a let, with darwin hosts too
        (names(), expr()).prop_map(move |(hs, e)| {
            let entries: String = hs
                .iter()
                .map(|h| format!("      \"{h}\" = {};\n", host_call(&format!("./hosts/{h} {e}"))))
                .collect();
            GenFlake {
                text: Content::Text(format!(
                    "{head}\n  let\n    common = [ ./modules ];\n  in {{\n    nixosConfigurations = {{\n{entries}    }};\n    darwinConfigurations.mac = {};\n  }};\n}}\n",
                    host_call("common")
                )),
                literal_hosts: hs
                    .iter()
                    .map(|s| s.to_string())
                    .chain(["mac".to_string()])
                    .collect(),
            }
        }),
        // a helper in lib/ with literal arguments
        names().prop_map(move |hs| {
            let entries: String = hs
                .iter()
                .map(|h| format!("    nixosConfigurations.\"{h}\" = mkHost \"{h}\" {{ }};\n"))
                .collect();
            GenFlake {
                text: Content::Text(format!(
                    "{head}\n  let\n    mkHost = import ./lib/mk-host.nix {{ inherit nixpkgs self; }};\n  in {{\n{entries}  }};\n}}\n"
                )),
                literal_hosts: hs.iter().map(|s| s.to_string()).collect(),
            }
        }),
        // genAttrs over a literal list
        (names(), expr()).prop_map(move |(hs, e)| {
            let list: Vec<String> = hs.iter().map(|h| format!("\"{h}\"")).collect();
            GenFlake {
                text: Content::Text(format!(
                    "{head} {{\n    nixosConfigurations = nixpkgs.lib.genAttrs [ {} ] (name: {});\n  }};\n}}\n",
                    list.join(" "),
                    host_call(&format!("./hosts/${{name}} {e}"))
                )),
                literal_hosts: hs.iter().map(|s| s.to_string()).collect(),
            }
        }),
        // hosts from readDir ./hosts: which ones depends on the tree
        Just(GenFlake {
            text: Content::Text(format!(
                "{head} {{\n    nixosConfigurations = builtins.mapAttrs (name: _: {}) (builtins.readDir ./hosts);\n  }};\n}}\n",
                host_call("./hosts/${name}")
            )),
            literal_hosts: vec![],
        }),
        // anything at all
        content().prop_map(|text| GenFlake { text, literal_hosts: vec![] }),
    ]
}

fn tree() -> impl Strategy<Value = GenTree> {
    // Shrinking goes through a tuple in order: dropping files and links first
    // gives small counterexamples quickly; the flake text shrinks last.
    (
        subsequence(SLOTS.to_vec(), 0..=SLOTS.len()),
        subsequence(DATA.to_vec(), 0..=DATA.len()),
        subsequence(LINKS.to_vec(), 0..=3),
        subsequence(
            SLOTS
                .iter()
                .chain(DATA)
                .copied()
                .chain(["flake.nix", "flake.lock", "README.md", "modules/new.nix"])
                .collect::<Vec<_>>(),
            0..4,
        ),
        vec(content(), SLOTS.len()),
        flake(),
    )
        .prop_map(|(slots, data, links, changed, contents, flake)| GenTree {
            flake,
            files: slots
                .iter()
                .zip(contents)
                .map(|(s, c)| (s.to_string(), c))
                .chain(
                    data.iter()
                        .map(|d| (d.to_string(), Content::Text(format!("data of {d}\n")))),
                )
                .collect(),
            symlinks: links
                .iter()
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect(),
            changed: changed.iter().map(|s| s.to_string()).collect(),
        })
}

// ---- writing and checking ----

fn bytes(c: &Content) -> &[u8] {
    match c {
        Content::Text(t) => t.as_bytes(),
        Content::Bytes(b) => b,
    }
}

/// The helper of the helper-shaped flake, written unless the tree has its own.
const MK_HOST: &str = "{ nixpkgs, self }:\nname: args:\nnixpkgs.lib.nixosSystem {\n  modules = [ ../hosts/${name}/default.nix ../modules ];\n}\n";

/// Write the tree under `<tmp>/repo`; `<tmp>/outside.nix` exists so that
/// escaping paths name a real file.
fn write_tree(t: &GenTree, tmp: &Path) -> std::io::Result<PathBuf> {
    let root = tmp.join("repo");
    std::fs::create_dir_all(&root)?;
    std::fs::write(tmp.join("outside.nix"), "{ }\n")?;
    std::fs::write(root.join("flake.nix"), bytes(&t.flake.text))?;
    if matches!(&t.flake.text, Content::Text(s) if s.contains("mk-host")) {
        // The helper the helper-shaped flake calls, unless the tree overrides it.
        std::fs::create_dir_all(root.join("lib"))?;
        std::fs::write(root.join("lib/mk-host.nix"), MK_HOST)?;
    }
    for (rel, c) in &t.files {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, bytes(c))?;
    }
    for (link, target) in &t.symlinks {
        let p = root.join(link);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // A generated file may already sit there; the symlink replaces it.
        let _ = std::fs::remove_file(&p);
        std::os::unix::fs::symlink(target, p)?;
    }
    Ok(root)
}

/// What one `load` answered, as JSON so it can cross a thread and be compared.
type Snapshot = Result<(Value, Value), String>;

fn snapshot(root: &Path, changed: &[String]) -> Snapshot {
    match openspec::flake::load(root) {
        Ok(model) => {
            let hosts = serde_json::to_value(&model.hosts).map_err(|e| e.to_string())?;
            let diags = serde_json::to_value(&model.diagnostics).map_err(|e| e.to_string())?;
            let report = openspec::impact::analyze(
                &model,
                None,
                changed,
                &openspec::impact::Options::default(),
            );
            for h in &report.affected_hosts {
                if model.host(h).is_none() {
                    return Err(format!("impact names a host the model does not have: {h}"));
                }
            }
            for h in &model.hosts {
                let lists_changed = changed.iter().any(|c| h.deps.files.contains(c));
                if lists_changed && !report.affected_hosts.contains(&h.name) {
                    return Err(format!(
                        "host {} lists a changed file but impact leaves it out",
                        h.name
                    ));
                }
            }
            serde_json::to_value(&report).map_err(|e| e.to_string())?;
            Ok((hosts, diags))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Set once a `load` hung; see `check`.
static HUNG: AtomicBool = AtomicBool::new(false);

/// `load` on another thread, so that a hang is reported instead of blocking
/// the run and a panic is caught and shrunk like any failure.
fn load_guarded(root: &Path, changed: &[String]) -> Result<Snapshot, TestCaseError> {
    let (tx, rx) = mpsc::channel();
    let r = root.to_path_buf();
    let changed = changed.to_vec();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(snapshot(&r, &changed));
    });
    match rx.recv_timeout(LOAD_LIMIT) {
        Ok(s) => {
            let _ = worker.join();
            Ok(s)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            HUNG.store(true, Ordering::SeqCst);
            Err(TestCaseError::fail(format!(
                "flake::load hung: no answer after {LOAD_LIMIT:?}"
            )))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let msg = match worker.join() {
                Err(p) => p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "non-string panic".into()),
                Ok(()) => "worker ended without an answer".into(),
            };
            Err(TestCaseError::fail(format!("flake::load panicked: {msg}")))
        }
    }
}

/// A repository path as the JSON shapes promise: relative, `/`-separated,
/// normalised, inside the root.
fn check_rel_path(p: &str, what: &str) -> Result<(), TestCaseError> {
    let body = p.strip_suffix('/').unwrap_or(p);
    prop_assert!(!body.is_empty(), "{what}: empty path");
    prop_assert!(!p.starts_with('/'), "{what}: absolute path {p:?}");
    prop_assert!(!p.contains('\\'), "{what}: backslash in {p:?}");
    prop_assert!(
        body.split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".."),
        "{what}: path not normalised or outside the root: {p:?}"
    );
    Ok(())
}

fn check_sorted_unique(list: &[&str], what: &str) -> Result<(), TestCaseError> {
    for w in list.windows(2) {
        prop_assert!(w[0] < w[1], "{what}: not sorted and unique at {:?}", w);
    }
    Ok(())
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn check(t: &GenTree) -> Result<(), TestCaseError> {
    if HUNG.load(Ordering::SeqCst) {
        // A hung worker thread cannot be stopped: skip shrinking (every
        // candidate "passes") so the hanging tree is reported as generated.
        return Ok(());
    }
    let tmp = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let root = write_tree(t, tmp.path()).map_err(|e| TestCaseError::fail(e.to_string()))?;

    let first = load_guarded(&root, &t.changed)?;
    let second = load_guarded(&root, &t.changed)?;
    prop_assert_eq!(&first, &second, "two loads of the same tree differ");
    if first.is_ok() {
        shortcuts_cover_full_walks(&root)?;
        lazy_load_equals_full(&root)?;
    }

    let flake_text = match &t.flake.text {
        Content::Text(s) => Some(s.as_str()),
        Content::Bytes(b) => std::str::from_utf8(b).ok(),
    };
    let flake_parses = flake_text.is_some_and(|s| rnix::Root::parse(s).errors().is_empty());

    let (hosts, diags) = match first {
        Ok(pair) => pair,
        Err(msg) => {
            // flake.nix exists: a readable, parsing flake must give a model.
            prop_assert!(!flake_parses, "load failed on a parsing flake.nix: {msg}");
            prop_assert!(
                msg.contains("flake.nix"),
                "error does not name flake.nix: {msg}"
            );
            return Ok(());
        }
    };

    let hosts = hosts.as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = hosts.iter().filter_map(|h| h["name"].as_str()).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    prop_assert_eq!(
        unique.len(),
        names.len(),
        "a host is listed twice: {:?}",
        names
    );
    if flake_parses {
        for h in &t.flake.literal_hosts {
            prop_assert!(
                names.contains(&h.as_str()),
                "host {h:?} not found; found {names:?}"
            );
        }
    }
    for h in &hosts {
        let name = h["name"].as_str().unwrap_or("");
        prop_assert!(!name.is_empty(), "host without a name: {h}");
        prop_assert!(
            h["files"].is_array(),
            "host {name} has no `files` array: {h}"
        );
        let files = strs(&h["files"]);
        for f in &files {
            check_rel_path(f, &format!("host {name} files"))?;
            prop_assert!(!f.ends_with('/'), "host {name} files: directory {f:?}");
        }
        check_sorted_unique(&files, &format!("host {name} files"))?;
        prop_assert!(
            files.contains(&"flake.nix"),
            "host {name} does not list flake.nix"
        );
        let dirs = strs(&h["directories"]);
        for d in &dirs {
            check_rel_path(d, &format!("host {name} directories"))?;
            prop_assert!(
                d.ends_with('/'),
                "host {name} directory {d:?} lacks a trailing /"
            );
        }
        check_sorted_unique(&dirs, &format!("host {name} directories"))?;
        // Listings are directories too; the root's own listing is `./`.
        for l in strs(&h["listings"]).into_iter().filter(|l| *l != "./") {
            check_rel_path(l, &format!("host {name} listings"))?;
            prop_assert!(
                l.ends_with('/'),
                "host {name} listing {l:?} lacks a trailing /"
            );
        }
    }
    for d in diags.as_array().into_iter().flatten() {
        let file = d["file"].as_str().unwrap_or("");
        check_rel_path(file, &format!("diagnostic {d}"))?;
        prop_assert!(
            d["kind"].as_str().is_some_and(|k| !k.is_empty()),
            "diagnostic without a kind: {d}"
        );
    }
    Ok(())
}

// ---- the targets ----

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn load_survives_generated_flake_trees() {
    let long_run = env_u64("OPENSPEC_FUZZ_SECS").map(Duration::from_secs);
    let cases = env_u64("OPENSPEC_FUZZ_CASES")
        .map(|n| n as u32)
        .unwrap_or(if long_run.is_some() {
            256
        } else {
            DEFAULT_CASES
        });
    let started = Instant::now();
    let mut total = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: env_u64("OPENSPEC_FUZZ_SHRINK_ITERS").map_or(2048, |n| n as u32),
            ..Config::default()
        });
        match runner.run(&tree(), |t| check(&t)) {
            Ok(()) => total += u64::from(cases),
            Err(TestError::Fail(why, t)) => panic!(
                "after {total} passing cases: {why}\nminimal tree:\n{}",
                describe(&t)
            ),
            Err(TestError::Abort(why)) => panic!("fuzzing aborted: {why}"),
        }
        match long_run {
            Some(limit) if started.elapsed() < limit => {}
            _ => break,
        }
    }
    if long_run.is_some() {
        println!(
            "analysis_fuzz: {total} cases in {:.0?} without a failure",
            started.elapsed()
        );
    }
}

/// The generator writes valid Nix where it means to: otherwise the literal
/// host check above would be vacuous.
#[test]
fn generator_writes_parsing_nix_where_it_means_to() {
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(expr(), module_text()), |(e, m)| {
            let errs = rnix::Root::parse(&e).errors().to_vec();
            prop_assert!(errs.is_empty(), "expr does not parse: {e}\n{errs:?}");
            let errs = rnix::Root::parse(&m).errors().to_vec();
            prop_assert!(errs.is_empty(), "module does not parse: {m}\n{errs:?}");
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let parsing_with_hosts = std::cell::Cell::new(0);
    runner
        .run(&flake(), |f| {
            if let (Content::Text(s), false) = (&f.text, f.literal_hosts.is_empty()) {
                let errs = rnix::Root::parse(s).errors().to_vec();
                prop_assert!(errs.is_empty(), "flake does not parse: {s}\n{errs:?}");
                parsing_with_hosts.set(parsing_with_hosts.get() + 1);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        parsing_with_hosts.get() > 0,
        "no generated flake declared a literal host"
    );
}

// ---- the lazy load ----

/// A lazy load (files parsed only when a host reaches them) gives every host
/// the same dependencies and the model the same import edges as a full one.
fn lazy_load_equals_full(root: &Path) -> Result<(), TestCaseError> {
    let (Ok(lazy), Ok(full)) = (
        openspec::flake::load_lazy(root),
        openspec::flake::load(root),
    ) else {
        return Ok(());
    };
    prop_assert_eq!(lazy.hosts.len(), full.hosts.len());
    for (l, f) in lazy.hosts.iter().zip(&full.hosts) {
        prop_assert_eq!(&l.name, &f.name);
        let show = |h: &openspec::flake::Host| serde_json::to_string(h).unwrap_or_default();
        prop_assert_eq!(
            show(l),
            show(f),
            "host {} differs between lazy and full loads",
            l.name
        );
    }
    prop_assert_eq!(&lazy.edges, &full.edges);
    Ok(())
}

// ---- the walk shortcuts ----

/// Every host's dependencies with the walk shortcuts (inert files skipped,
/// pathless files on a small evaluation budget, other files' functions named
/// instead of walked bound) cover its dependencies from full walks: the
/// same files or a directory, glob or whole source that holds them.
fn shortcuts_cover_full_walks(root: &Path) -> Result<(), TestCaseError> {
    let (Ok(cheap), Ok(full)) = (
        openspec::flake::load_with(root, true),
        openspec::flake::load_with(root, false),
    ) else {
        return Ok(());
    };
    for (c, f) in cheap.hosts.iter().zip(&full.hosts) {
        prop_assert_eq!(&c.name, &f.name);
        let (c, f) = (&c.deps, &f.deps);
        if c.whole_source {
            continue;
        }
        prop_assert!(!f.whole_source, "whole source only in full walks");
        let globs: Vec<globset::GlobMatcher> = c
            .globs
            .iter()
            .filter_map(|g| openspec::flake::path::compile_glob(g))
            .collect();
        let in_dir = |p: &str, dirs: &std::collections::BTreeSet<String>| {
            dirs.iter()
                .any(|d| d.is_empty() || p == d || p.starts_with(&format!("{d}/")))
        };
        for file in f.files.iter() {
            prop_assert!(
                c.files.contains(file)
                    || in_dir(file, &c.directories)
                    || globs.iter().any(|g| g.is_match(file)),
                "{file} is a dependency only in full walks"
            );
        }
        for d in &f.directories {
            prop_assert!(
                in_dir(d, &c.directories),
                "directory {d} only in full walks"
            );
        }
        for d in &f.listings {
            prop_assert!(
                c.listings.contains(d) || in_dir(d, &c.directories),
                "listing {d} only in full walks"
            );
        }
        for g in &f.globs {
            let prefix = g.split('*').next().unwrap_or("").trim_end_matches('/');
            prop_assert!(
                c.globs.contains(g) || in_dir(prefix, &c.directories),
                "glob {g} only in full walks"
            );
        }
        for i in &f.inputs {
            prop_assert!(
                c.inputs.contains(i) || c.inputs.contains("*"),
                "input {i} only in full walks"
            );
        }
    }
    Ok(())
}

/// Parts of module code with few or no paths, made to probe the token test
/// behind `NixFile::inert` and `NixFile::pathless`: names that refer to
/// something without a path (`self`, `inputs`, impure builtins, also quoted,
/// escaped, computed or reached through `with` and `inherit`), dynamic
/// attributes, imports and directory reads of unknown values.
fn pathless_leaf() -> impl Strategy<Value = String> {
    select(vec![
        "lib",
        "config",
        "x",
        "n",
        "42",
        "\"a\"",
        "\"${x}-y\"",
        "''\n  text ${n}\n''",
        "builtins",
        "builtins.getEnv",
        "builtins.\"getEnv\"",
        "builtins.\"get\\Env\"",
        "builtins.${\"get\" + \"Env\"}",
        "builtins.${n}",
        "(builtins.currentSystem)",
        "(lib.getFlake \"x\")",
        "(with builtins; getEnv \"HOME\")",
        "(let inherit (builtins) getEnv; in getEnv \"X\")",
        "(let g = builtins.getEnv; in g \"X\")",
        "({ self ? null, ... }: self)",
        "({ inputs, ... }: inputs.nixpkgs)",
        "\"${self}/x.nix\"",
        "x.${\"a\"}",
        "x.${n}.y",
        "{ ${n} = 1; }",
        "\"self\"",
        "\"my-inputs\"",
        "(import x)",
        "(import x { })",
        "(builtins.readDir x)",
        "(builtins.readFile x)",
        "(lib.genAttrs [ \"a\" ] (name: name))",
        "./x.nix",
        "../data",
    ])
    .prop_map(str::to_string)
}

fn pathless_expr() -> impl Strategy<Value = String> {
    pathless_leaf().prop_recursive(4, 32, 4, |inner| {
        let e = inner.clone();
        prop_oneof![
            vec(e.clone(), 0..4).prop_map(|xs| format!("[ {} ]", xs.join(" "))),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("(let n = {a}; in {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("(with {a}; {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("(map (n: {a}) {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("({a} + {b})")),
            (e.clone(), e.clone()).prop_map(|(a, b)| format!("{{ imports = [ {a} ]; v = {b}; }}")),
            (e.clone(), e.clone())
                .prop_map(|(a, b)| format!("(rec {{ p = {a}; q = p; r = {b}; }})")),
            e.clone().prop_map(|a| format!("(x: {a})")),
            e.clone().prop_map(|a| format!("({a}).${{n}}")),
            e.clone().prop_map(|a| format!("\"pre-${{{a}}}\"")),
            e.prop_map(|a| format!("{{ inherit ({a}) p; }}")),
        ]
    })
}

/// A flake whose one module `m.nix` has `body` for its value.
fn shortcut_tree(
    body: &str,
) -> (
    tempfile::TempDir,
    openspec::flake::source::SourceTree,
    String,
) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let root = tmp.path();
    let module = format!("{{ config, lib, x ? null, ... }}:\n{body}\n");
    let write = |rel: &str, text: &str| std::fs::write(root.join(rel), text);
    write(
        "flake.nix",
        "{ outputs = { self }: { nixosConfigurations.a = lib.nixosSystem { modules = [ ./m.nix ]; }; }; }\n",
    )
    .and_then(|()| write("m.nix", &module))
    .and_then(|()| write("x.nix", "{ }\n"))
    .and_then(|()| std::fs::create_dir_all(root.join("data")))
    .unwrap_or_else(|e| panic!("writing the flake: {e}"));
    let tree = openspec::flake::source::SourceTree::load(root);
    (tmp, tree, module)
}

/// A file the token test calls inert must name nothing when walked in full,
/// and one it calls pathless must name the same things walked cheaply (one
/// unbound walk per function, little evaluation) as walked in full.
/// Returns the classification it checked: (inert, pathless).
fn check_shortcuts(body: &str) -> Result<(bool, bool), TestCaseError> {
    let (_tmp, tree, module) = shortcut_tree(body);
    let Some(file) = tree.nix_file("m.nix") else {
        return Err(TestCaseError::fail("m.nix was not read"));
    };
    if file.error().is_some() {
        return Ok((false, false));
    }
    let key = |refs: Vec<openspec::flake::walk::Ref>| -> std::collections::BTreeSet<String> {
        refs.into_iter()
            .map(|r| format!("{:?}", r.target))
            .collect()
    };
    let full = key(openspec::flake::graph::module_refs(&tree, "m.nix", false));
    if file.inert() {
        prop_assert!(
            full.is_empty(),
            "inert, but a full walk finds {full:?} in\n{module}"
        );
    }
    if file.pathless() {
        let cheap = key(openspec::flake::graph::module_refs(&tree, "m.nix", true));
        prop_assert_eq!(
            &cheap,
            &full,
            "pathless, but the cheap walk differs in\n{}",
            module
        );
    }
    Ok((file.inert(), file.pathless()))
}

#[test]
fn walk_shortcuts_lose_nothing() {
    // The cases that defeat a naive token test, then generated ones.
    for body in [
        "builtins.getEnv \"HOME\"",
        "builtins.\"getEnv\" \"HOME\"",
        "builtins.\"get\\Env\" \"HOME\"",
        "builtins.${\"get\" + \"Env\"} \"HOME\"",
        "let g = \"get\"; in builtins.${g + \"Env\"} \"HOME\"",
        "let g = builtins.getFlake; in g \"x\"",
        "({ self, ... }: self) { }",
        "({ inputs, ... }: inputs.nixpkgs) { }",
        "({ self, ... }: \"${self}/x.nix\") { }",
    ] {
        if let Err(e) = check_shortcuts(body) {
            panic!("{e}");
        }
        let (_tmp, tree, _) = shortcut_tree(body);
        let full = openspec::flake::graph::module_refs(&tree, "m.nix", false);
        assert!(
            !full.is_empty(),
            "a full walk finds nothing in {body}: the case tests nothing"
        );
    }
    // A typical leaf module takes the inert shortcut; a computed name only
    // the pathless one.
    let leaf = "{ options.a.enable = lib.mkEnableOption \"a\"; config = lib.mkIf config.a.enable { b = \"${x}/c\"; }; }";
    assert_eq!(
        check_shortcuts(leaf).map_err(|e| e.to_string()),
        Ok((true, true))
    );
    let computed = "{ v = config.${x}; }";
    assert_eq!(
        check_shortcuts(computed).map_err(|e| e.to_string()),
        Ok((false, true))
    );
    let cases = env_u64("OPENSPEC_FUZZ_CASES").map_or(256, |n| n as u32);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (inert, pathless) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&pathless_expr(), |body| {
            // Count what the classifier takes a shortcut on: a classifier that
            // never does would pass the checks vacuously.
            let (i, p) = check_shortcuts(&body)?;
            inert.set(inert.get() + u32::from(i));
            pathless.set(pathless.get() + u32::from(p && !i));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        inert.get() > 0 && pathless.get() > 0,
        "no shortcut taken: {} inert, {} pathless but not inert",
        inert.get(),
        pathless.get()
    );
}

fn describe(t: &GenTree) -> String {
    let mut s = format!("== flake.nix ==\n{}\n", show(&t.flake.text));
    if show(&t.flake.text).contains("mk-host") {
        s.push_str(&format!("== lib/mk-host.nix (default) ==\n{MK_HOST}\n"));
    }
    for (rel, c) in &t.files {
        s.push_str(&format!("== {rel} ==\n{}\n", show(c)));
    }
    for (l, target) in &t.symlinks {
        s.push_str(&format!("== {l} -> {target}\n"));
    }
    s.push_str(&format!("changed: {:?}\n", t.changed));
    s
}

fn show(c: &Content) -> String {
    match c {
        Content::Text(t) => t.clone(),
        Content::Bytes(b) => format!("<{} bytes> {}", b.len(), String::from_utf8_lossy(b)),
    }
}
