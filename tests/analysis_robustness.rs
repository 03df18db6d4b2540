//! Bad input to the static flake analysis (`hosts`, `impact`, `graph`): a
//! syntax error, an empty file, a dangling path, a path leaving the root, a
//! symlink loop, binary and non-UTF-8 files, a 5 MB file, no flake.nix.
//! Each case: the specified diagnostic with file and line, the specified exit
//! code, exactly one JSON document on stdout, no panic, no hang.
mod analysis_support;

use analysis_support::{
    Tree, assert_paths_inside_root, covers, diagnostics, files, host, line_of, one_diagnostic,
    strings,
};
use serde_json::Value;

/// A host module that imports `imports` (Nix list contents) and sets one option.
fn host_module(imports: &str) -> String {
    format!(
        "{{ config, lib, ... }}:\n{{\n  imports = [ {imports} ];\n  networking.hostName = \"h\";\n}}\n"
    )
}

/// A module whose 4th line holds a syntax error (`++ ++`) with valid text
/// before and after it on the same line, so every reading of "the line of the
/// error" agrees.
const BROKEN: &str = "{ ... }:\n{\n  networking.domain = \"example.org\";\n  boot.kernelParams = [ \"quiet\" ] ++ ++ [ \"splash\" ];\n  time.timeZone = \"UTC\";\n}\n";
const BROKEN_LINE: u64 = 4;

const VALID: &str = "{ ... }:\n{\n  time.timeZone = \"UTC\";\n}\n";

/// Bytes that are neither Nix nor UTF-8: NULs, high bytes, control characters.
fn binary_bytes(len: usize) -> Vec<u8> {
    // xorshift: deterministic, so a failure reproduces.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(if i % 7 == 0 { 0 } else { (x >> 24) as u8 });
    }
    out
}

/// Otherwise valid Nix with a Latin-1 byte (0xE9) in a comment and a string.
/// Nix itself accepts such bytes, but rnix parses `&str`: the analysis cannot
/// read the file, so it must say so and widen (parse-error), never guess.
const LATIN1: &[u8] =
    b"{ ... }:\n{\n  # caf\xe9\n  networking.hostName = \"caf\xe9\";\n  time.timeZone = \"UTC\";\n}\n";

fn assert_level(d: &Value, level: &str) {
    assert_eq!(d["level"], level, "diagnostic level: {d:#}");
}

fn assert_line(d: &Value, line: u64) {
    assert_eq!(d["line"].as_u64(), Some(line), "diagnostic line: {d:#}");
}

fn has_error_diagnostic(doc: &Value) -> bool {
    diagnostics(doc).iter().any(|d| d["level"] == "error")
}

// ---- parse errors ----

#[test]
fn reachable_syntax_error_is_an_error_and_widens_the_host_to_the_whole_source() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix"), ("ok", "./hosts/ok.nix")]);
    t.write("hosts/h.nix", host_module("./broken.nix"))
        .write("hosts/broken.nix", BROKEN)
        .write("hosts/ok.nix", VALID)
        .write("README.md", "readme\n");

    let (run, doc) = t.hosts();
    run.assert_code(1);
    let d = one_diagnostic(&doc, "parse-error", "hosts/broken.nix");
    assert_level(d, "error");
    assert_line(d, BROKEN_LINE);
    assert_eq!(host(&doc, "h")["whole_source"], true, "{doc:#}");
    // The sound widening is for the host that reaches the broken file only.
    assert_eq!(host(&doc, "ok")["whole_source"], false, "{doc:#}");

    // "Assume affected by anything": an unrelated file affects h, not ok.
    let (run, imp) = t.impact(&["README.md"]);
    run.assert_code(1);
    assert!(
        strings(&imp["affected_hosts"]).contains(&"h"),
        "a host reaching a broken file must be affected by any change\n{imp:#}"
    );
    assert!(!strings(&imp["affected_hosts"]).contains(&"ok"), "{imp:#}");
}

#[test]
/// A file no host reaches puts nothing at stake: information, shown with `-v`.
fn unreachable_syntax_error_is_only_information() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module("./base.nix"))
        .write("hosts/base.nix", VALID)
        .write("unused/broken.nix", BROKEN);

    let (run, doc) = t.hosts();
    run.assert_code(0);
    let d = one_diagnostic(&doc, "parse-error", "unused/broken.nix");
    assert_level(d, "info");
    assert_line(d, BROKEN_LINE);
    let h = host(&doc, "h");
    assert_eq!(h["whole_source"], false, "{doc:#}");
    assert!(files(h).contains(&"hosts/base.nix"), "{doc:#}");
}

#[test]
fn syntax_error_in_flake_nix_itself_is_an_error() {
    let t = Tree::new();
    let flake = "{\n  outputs = { self, nixpkgs }: {\n    nixosConfigurations.h = nixpkgs.lib.nixosSystem { modules = [ ./hosts/h.nix ]; };\n    packages = [ 1 2 ++ ];\n  };\n}\n";
    t.write("flake.nix", flake).write("hosts/h.nix", VALID);
    let (run, doc) = t.hosts();
    run.assert_code(1);
    let d = one_diagnostic(&doc, "parse-error", "flake.nix");
    assert_level(d, "error");
    assert_line(d, 4);
}

#[test]
fn empty_reachable_file_is_a_parse_error() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module("./empty.nix"))
        .write("hosts/empty.nix", "");

    let (run, doc) = t.hosts();
    run.assert_code(1);
    assert_level(
        one_diagnostic(&doc, "parse-error", "hosts/empty.nix"),
        "error",
    );
    assert_eq!(host(&doc, "h")["whole_source"], true, "{doc:#}");
}

#[test]
fn empty_unreachable_file_is_information() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module(""))
        .write("modules/empty.nix", "");

    let (run, doc) = t.hosts();
    run.assert_code(0);
    assert_level(
        one_diagnostic(&doc, "parse-error", "modules/empty.nix"),
        "info",
    );
    assert_eq!(host(&doc, "h")["whole_source"], false, "{doc:#}");
}

// ---- paths that do not resolve to a file in the root ----

#[test]
fn dangling_path_in_the_module_list_is_a_warning_and_still_a_dependency() {
    let t = Tree::new();
    let flake = analysis_support::flake_nix(&[
        ("h", "./hosts/h.nix ./missing.nix"),
        ("other", "./hosts/other.nix"),
    ]);
    t.write("flake.nix", &flake)
        .write("hosts/h.nix", host_module(""))
        .write("hosts/other.nix", VALID);

    let (run, doc) = t.hosts();
    run.assert_code(0);
    let d = one_diagnostic(&doc, "dangling-path", "flake.nix");
    assert_level(d, "warning");
    assert_line(d, line_of(&flake, "./missing.nix"));
    assert!(files(host(&doc, "h")).contains(&"missing.nix"), "{doc:#}");
    assert!(!covers(host(&doc, "other"), "missing.nix"), "{doc:#}");

    // Creating the missing file affects h, and only h.
    let (run, imp) = t.impact(&["missing.nix"]);
    run.assert_code(0);
    assert_eq!(strings(&imp["affected_hosts"]), ["h"], "{imp:#}");
    assert!(
        strings(&imp["unaffected_hosts"]).contains(&"other"),
        "{imp:#}"
    );
}

#[test]
fn dangling_path_in_imports_is_relative_to_the_importing_file() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    let module = host_module("./base.nix ./gone.nix");
    t.write("hosts/h.nix", &module)
        .write("hosts/base.nix", VALID);

    let (run, doc) = t.hosts();
    run.assert_code(0);
    let d = one_diagnostic(&doc, "dangling-path", "hosts/h.nix");
    assert_level(d, "warning");
    assert_line(d, line_of(&module, "./gone.nix"));
    let h = host(&doc, "h");
    assert!(files(h).contains(&"hosts/gone.nix"), "{doc:#}");
    assert!(files(h).contains(&"hosts/base.nix"), "{doc:#}");
}

#[test]
fn path_leaving_the_root_is_flagged_and_never_listed() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    let module = "{ ... }:\n{\n  imports = [\n    ./base.nix\n    ../../outside.nix\n  ];\n  environment.etc.motd.text = builtins.readFile ../../../etc/hostname;\n}\n";
    t.write("hosts/h.nix", module)
        .write("hosts/base.nix", VALID);
    // A real file at the place the path names, so "exists" cannot hide the escape.
    std::fs::write(t.outside().join("outside.nix"), VALID).expect("write outside file");

    let (run, doc) = t.hosts();
    run.assert_code(0);
    let found = analysis_support::diagnostics_for(&doc, "outside-root", "hosts/h.nix");
    for needle in ["../../outside.nix", "../../../etc/hostname"] {
        let line = line_of(module, needle);
        assert!(
            found
                .iter()
                .any(|d| d["line"].as_u64() == Some(line) && d["level"] == "warning"),
            "no outside-root warning for {needle} at hosts/h.nix:{line}\n{doc:#}"
        );
    }
    assert_paths_inside_root(&doc);
    let h = host(&doc, "h");
    assert!(files(h).contains(&"hosts/base.nix"), "{doc:#}");
    assert!(
        !files(h).iter().any(|f| f.ends_with("outside.nix")),
        "{doc:#}"
    );
}

// ---- symlinks ----

#[test]
fn file_symlink_loop_is_a_warning_not_a_hang() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module("./base.nix ./a.nix"))
        .write("hosts/base.nix", VALID)
        .symlink("hosts/a.nix", "b.nix")
        .symlink("hosts/b.nix", "a.nix");

    let (run, doc) = t.hosts();
    run.assert_code(0);
    let warned = diagnostics(&doc).into_iter().any(|d| {
        d["level"] == "warning"
            && (d["kind"] == "dangling-path" || d["kind"] == "unresolved")
            && (d["file"] == "hosts/h.nix" || d["file"] == "hosts/a.nix")
    });
    assert!(
        warned,
        "no dangling-path/unresolved warning for the loop\n{doc:#}"
    );
    let h = host(&doc, "h");
    assert!(files(h).contains(&"hosts/base.nix"), "{doc:#}");
    // Replacing the symlink with a real file would change the host.
    assert!(covers(h, "hosts/a.nix"), "{doc:#}");
}

#[test]
fn directory_symlink_loops_under_walked_folders_do_not_hang() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    let module = "{ lib, ... }:\n{\n  imports =\n    lib.filesystem.listFilesRecursive ./modules\n    ++ map (n: ./auto + \"/${n}\") (builtins.attrNames (builtins.readDir ./auto));\n}\n";
    t.write("hosts/h.nix", module)
        .write("hosts/modules/x.nix", VALID)
        .write("hosts/modules/sub/y.nix", VALID)
        .symlink("hosts/modules/sub/up", "..")
        .symlink("hosts/modules/self", ".")
        .write("hosts/auto/z.nix", VALID)
        .symlink("hosts/auto/again", "../auto");

    let (run, doc) = t.hosts();
    run.assert_code(0);
    assert_paths_inside_root(&doc);
    let h = host(&doc, "h");
    for f in [
        "hosts/modules/x.nix",
        "hosts/modules/sub/y.nix",
        "hosts/auto/z.nix",
    ] {
        assert!(covers(h, f), "host h does not depend on {f}\n{doc:#}");
    }
    // Following the loops would list ever longer paths.
    assert!(files(h).len() < 50, "loop was followed: {doc:#}");
    for f in files(h) {
        assert!(f.matches("sub/").count() <= 1, "loop was followed: {f}");
    }
}

// ---- bytes that are not Nix text ----

#[test]
fn reachable_binary_file_is_a_parse_error() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module("./blob.nix"))
        .write("hosts/blob.nix", binary_bytes(4096));
    let (run, doc) = t.hosts();
    run.assert_code(1);
    assert_level(
        one_diagnostic(&doc, "parse-error", "hosts/blob.nix"),
        "error",
    );
    assert_eq!(host(&doc, "h")["whole_source"], true, "{doc:#}");
}

#[test]
fn unreachable_binary_file_is_information() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module(""))
        .write("assets/blob.nix", binary_bytes(4096));
    let (run, doc) = t.hosts();
    run.assert_code(0);
    assert_level(
        one_diagnostic(&doc, "parse-error", "assets/blob.nix"),
        "info",
    );
}

#[test]
fn reachable_non_utf8_file_is_a_parse_error() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module("./latin1.nix"))
        .write("hosts/latin1.nix", LATIN1);
    let (run, doc) = t.hosts();
    run.assert_code(1);
    assert_level(
        one_diagnostic(&doc, "parse-error", "hosts/latin1.nix"),
        "error",
    );
}

#[test]
fn unreachable_non_utf8_file_is_information() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    t.write("hosts/h.nix", host_module(""))
        .write("old/latin1.nix", LATIN1);
    let (run, doc) = t.hosts();
    run.assert_code(0);
    assert_level(
        one_diagnostic(&doc, "parse-error", "old/latin1.nix"),
        "info",
    );
}

// ---- size and depth ----

/// A 5 MB module: a large attrset, a large list, and a path at the very end
/// that is only found if the whole file was parsed.
fn huge_module(target_bytes: usize) -> String {
    let mut s = String::with_capacity(target_bytes + 1024);
    s.push_str("{ ... }:\n{\n  environment.etc = {\n");
    let mut i = 0u64;
    while s.len() < target_bytes / 2 {
        s.push_str(&format!(
            "    \"generated/{i}\".text = \"value {i} with some padding text\";\n"
        ));
        i += 1;
    }
    s.push_str("  };\n  boot.kernelParams = [\n");
    while s.len() < target_bytes {
        s.push_str(&format!("    \"param{i}=on\" {i} {{ k = {i}; }}\n"));
        i += 1;
    }
    s.push_str("  ];\n  imports = [ ./tail.nix ];\n}\n");
    s
}

#[test]
fn five_megabyte_reachable_file_parses() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    let big = huge_module(5 * 1024 * 1024);
    assert!(big.len() >= 5 * 1024 * 1024);
    t.write("hosts/h.nix", host_module("./big.nix"))
        .write("hosts/big.nix", &big)
        .write("hosts/tail.nix", VALID);
    let (run, doc) = t.hosts();
    run.assert_code(0);
    assert!(!has_error_diagnostic(&doc), "{doc:#}");
    let h = host(&doc, "h");
    assert_eq!(h["whole_source"], false, "{doc:#}");
    assert!(files(h).contains(&"hosts/big.nix"), "{doc:#}");
    assert!(files(h).contains(&"hosts/tail.nix"), "{doc:#}");
}

/// Not in the list, but the same promise (no crash on any file):
/// rnix parses recursively, so deep nesting overflows a thread's stack and
/// aborts the process unless the analyzer guards against it. Nix itself
/// rejects nesting past its parser's depth limit (10,000), so reporting a
/// parse error is as acceptable as parsing it.
#[test]
fn deeply_nested_reachable_file_does_not_crash() {
    let t = Tree::with_flake(&[("h", "./hosts/h.nix")]);
    let depth = 50_000;
    let deep = format!(
        "{{ ... }}:\n{{\n  boot.kernelParams = {}\"x\"{};\n}}\n",
        "[ ".repeat(depth),
        " ]".repeat(depth)
    );
    t.write("hosts/h.nix", host_module("./deep.nix"))
        .write("hosts/deep.nix", &deep);
    let (run, doc) = t.hosts();
    match run.code {
        0 => assert!(
            files(host(&doc, "h")).contains(&"hosts/deep.nix"),
            "{doc:#}"
        ),
        1 => assert_level(
            one_diagnostic(&doc, "parse-error", "hosts/deep.nix"),
            "error",
        ),
        _ => panic!("unexpected exit code\n{}", run.context()),
    }
}

// ---- no flake ----

#[test]
fn no_flake_nix_is_an_environment_error_with_one_json_document() {
    let t = Tree::new();
    t.write("README.md", "no flake here\n");
    let cases: [&[&str]; 3] = [
        &["hosts", "--json"],
        &["impact", "--files", "README.md", "--json"],
        &["graph", "--format", "json", "--json"],
    ];
    for args in cases {
        let run = t.openspec(args);
        run.assert_code(2);
        let doc = run.json();
        let message = doc["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("`{}`: no error.message in\n{doc:#}", args.join(" ")));
        assert!(
            message.contains("flake.nix"),
            "`{}`: the message must say flake.nix is missing: {message}",
            args.join(" ")
        );
    }
    // Human mode: the message goes to stderr, nothing to stdout.
    let run = t.openspec(&["hosts"]);
    run.assert_code(2);
    assert!(run.stdout.trim().is_empty(), "{}", run.context());
    assert!(run.stderr.contains("flake.nix"), "{}", run.context());
}

// ---- everything at once, through every analysis command ----

#[test]
fn every_analysis_command_survives_a_tree_with_every_problem() {
    let t = Tree::with_flake(&[
        ("h", "./hosts/h.nix ./missing.nix"),
        ("ok", "./hosts/ok.nix"),
    ]);
    t.write(
        "hosts/h.nix",
        host_module("./broken.nix ./empty.nix ./blob.nix ./a.nix ../../outside.nix"),
    )
    .write("hosts/broken.nix", BROKEN)
    .write("hosts/empty.nix", "")
    .write("hosts/blob.nix", binary_bytes(1024))
    .symlink("hosts/a.nix", "b.nix")
    .symlink("hosts/b.nix", "a.nix")
    .write("hosts/ok.nix", VALID)
    .write("old/latin1.nix", LATIN1);

    let (run, doc) = t.hosts();
    run.assert_code(1);
    assert_paths_inside_root(&doc);
    assert_eq!(host(&doc, "h")["whole_source"], true, "{doc:#}");
    assert_eq!(host(&doc, "ok")["whole_source"], false, "{doc:#}");
    for d in diagnostics(&doc) {
        let file = d["file"].as_str().unwrap_or("");
        assert!(
            !file.is_empty() && !file.starts_with('/') && !file.contains(".."),
            "every diagnostic names a file inside the root: {d:#}"
        );
    }

    let (_, imp) = t.impact(&["hosts/ok.nix"]);
    assert!(strings(&imp["affected_hosts"]).contains(&"ok"), "{imp:#}");

    // A reached file that is not Nix: every analysis command answers and exits 1.
    let run = t.openspec(&["graph", "--format", "json"]);
    run.json();
    run.assert_code(1);
    let run = t.openspec(&["graph", "--format", "dot"]);
    run.assert_code(1);
}
