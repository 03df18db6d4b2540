//! The shapes of flake-analysis.md ("Shapes a test suite should cover"), each
//! on a small fixture written inline, with the exact `hosts --json` files and
//! the exact `impact --json` answers expected from the real binary.
mod analysis_support;

use analysis_support::{Tree, files, host, strings};
use serde_json::Value;

fn affected(t: &Tree, changed: &[&str]) -> Vec<String> {
    let (run, doc) = t.impact(changed);
    run.assert_code(0);
    strings(&doc["affected_hosts"])
        .into_iter()
        .map(String::from)
        .collect()
}

fn host_files(doc: &Value, name: &str) -> Vec<String> {
    files(host(doc, name))
        .into_iter()
        .map(String::from)
        .collect()
}

/// `git init` the fixture and commit everything: the base revision of a change.
fn commit_all(t: &Tree) {
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-qm", "base"],
    ] {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(t.root())
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    }
}

fn hosts_ok(t: &Tree) -> Value {
    let (run, doc) = t.hosts();
    run.assert_code(0);
    doc
}

const FLAKE_AB: &str = r#"{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a.nix ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b.nix ]; };
  };
}
"#;

fn with_ab(rest: &str) -> Tree {
    Tree::fixture(&format!("#- /flake.nix\n{FLAKE_AB}{rest}"))
}

/// 1. `imports = [ ./services ]` beside both services.nix and services/default.nix.
#[test]
fn s01_directory_import_means_default_nix() {
    let t = with_ab(
        "#- /hosts/a.nix\n{ imports = [ ./services ]; }\n#- /hosts/b.nix\n{ }\n\
         #- /hosts/services.nix\n{ }\n#- /hosts/services/default.nix\n{ imports = [ ./web.nix ]; }\n#- /hosts/services/web.nix\n{ }\n",
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        [
            "flake.lock",
            "flake.nix",
            "hosts/a.nix",
            "hosts/services/default.nix",
            "hosts/services/web.nix"
        ]
    );
    assert_eq!(affected(&t, &["hosts/services.nix"]), Vec::<String>::new());
    assert_eq!(affected(&t, &["hosts/services/web.nix"]), ["a"]);
}

/// 2. A helper in lib/ whose literal is resolved relative to the helper's file.
#[test]
fn s02_helper_literal_is_relative_to_the_helper() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: let mk = import ./lib/mk.nix { inherit nixpkgs; }; in {
    nixosConfigurations.a = mk { };
  };
}
#- /lib/mk.nix
{ nixpkgs }: { }: nixpkgs.lib.nixosSystem { modules = [ ./common.nix ]; }
#- /lib/common.nix
{ }
#- /common.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        ["flake.lock", "flake.nix", "lib/common.nix", "lib/mk.nix"]
    );
    assert_eq!(affected(&t, &["common.nix"]), Vec::<String>::new());
}

/// 3. The same file listed in the flake module list and in another module's imports.
#[test]
fn s03_file_listed_twice() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./m/fw.nix ./m ]; };
  };
}
#- /m/default.nix
{ imports = [ ./fw.nix ]; }
#- /m/fw.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        ["flake.lock", "flake.nix", "m/default.nix", "m/fw.nix"]
    );
    let (_, imp) = t.impact(&["m/fw.nix"]);
    assert_eq!(strings(&imp["affected_hosts"]), ["a"]);
    assert_eq!(
        imp["hosts"][0]["reasons"][0]["via"],
        serde_json::json!(["flake.nix", "m/fw.nix"])
    );
}

/// 4. A host that names a file that does not exist.
#[test]
fn s04_missing_file_warns_and_still_counts() {
    let t = with_ab("#- /hosts/a.nix\n{ imports = [ ./gone.nix ]; }\n#- /hosts/b.nix\n{ }\n");
    let doc = hosts_ok(&t);
    assert!(host_files(&doc, "a").contains(&"hosts/gone.nix".to_string()));
    let d = analysis_support::one_diagnostic(&doc, "dangling-path", "hosts/a.nix");
    assert_eq!(d["line"], 1);
    assert_eq!(affected(&t, &["hosts/gone.nix"]), ["a"]);
}

/// 5. `callPackage ./scripts { }` whose package has `src = ./.`.
#[test]
fn s05_callpackage_with_whole_directory_source() {
    let t = with_ab(
        "#- /hosts/a.nix\n{ pkgs, ... }: { environment.systemPackages = [ (pkgs.callPackage ./scripts { }) ]; }\n#- /hosts/b.nix\n{ }\n\
         #- /hosts/scripts/default.nix\n{ stdenv }: stdenv.mkDerivation { name = \"s\"; src = ./.; }\n#- /hosts/scripts/run.sh\necho\n",
    );
    let doc = hosts_ok(&t);
    assert_eq!(strings(&host(&doc, "a")["directories"]), ["hosts/scripts/"]);
    assert_eq!(affected(&t, &["hosts/scripts/new-script.sh"]), ["a"]);
    let (_, imp) = t.impact(&["hosts/scripts/new-script.sh"]);
    assert_eq!(imp["hosts"][0]["reasons"][0]["exact"], false);
}

/// 6. home-manager user file with `xdg.configFile."x".source = ./x.kdl`.
#[test]
fn s06_home_manager_files_belong_to_the_host() {
    let t = with_ab(
        "#- /hosts/a.nix\n{ home-manager.users.alice = import ../home/alice/home.nix; }\n#- /hosts/b.nix\n{ home-manager.users.bob = ../home/bob; }\n\
         #- /home/alice/home.nix\n{ xdg.configFile.\"niri/config.kdl\".source = ./niri.kdl; }\n#- /home/alice/niri.kdl\nx\n\
         #- /home/bob/default.nix\n{ }\n",
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        [
            "flake.lock",
            "flake.nix",
            "home/alice/home.nix",
            "home/alice/niri.kdl",
            "hosts/a.nix"
        ]
    );
    assert_eq!(
        host_files(&doc, "b"),
        [
            "flake.lock",
            "flake.nix",
            "home/bob/default.nix",
            "hosts/b.nix"
        ]
    );
    assert_eq!(affected(&t, &["home/alice/niri.kdl"]), ["a"]);
}

/// 7. `mkSystem "name" { user = "u"; }` with `../machines/${name}.nix` and a default argument.
#[test]
fn s07_helper_arguments_propagate() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: let mkSystem = import ./lib/mksystem.nix nixpkgs; in {
    nixosConfigurations.vm = mkSystem "vm" { user = "u"; };
    nixosConfigurations.box = mkSystem "box" { user = "v"; darwin = true; };
  };
}
#- /lib/mksystem.nix
nixpkgs: name: { user, darwin ? false }:
nixpkgs.lib.nixosSystem {
  modules = [ ../machines/${name}.nix ../users/${user}.nix (if darwin then ../darwin.nix else ../linux.nix) ];
}
#- /machines/vm.nix
{ }
#- /machines/box.nix
{ }
#- /users/u.nix
{ }
#- /users/v.nix
{ }
#- /darwin.nix
{ }
#- /linux.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "vm"),
        [
            "darwin.nix",
            "flake.lock",
            "flake.nix",
            "lib/mksystem.nix",
            "linux.nix",
            "machines/vm.nix",
            "users/u.nix"
        ]
    );
    assert!(strings(&host(&doc, "vm")["globs"]).is_empty());
    assert_eq!(affected(&t, &["machines/vm.nix"]), ["vm"]);
    assert_eq!(affected(&t, &["users/v.nix"]), ["box"]);
}

/// 8. A path interpolated from `config.networking.hostName`: a glob, approximate.
#[test]
fn s08_non_literal_interpolation_is_a_glob() {
    let t = with_ab(
        "#- /hosts/a.nix\n{ config, ... }: { imports = [ ./${config.networking.hostName}/extra.nix ]; }\n#- /hosts/b.nix\n{ }\n\
         #- /hosts/x/extra.nix\n{ }\n",
    );
    let doc = hosts_ok(&t);
    assert_eq!(strings(&host(&doc, "a")["globs"]), ["hosts/*/extra.nix"]);
    analysis_support::one_diagnostic(&doc, "glob", "hosts/a.nix");
    let (_, imp) = t.impact(&["hosts/new/extra.nix"]);
    assert_eq!(strings(&imp["affected_hosts"]), ["a"]);
    assert_eq!(imp["hosts"][0]["reasons"][0]["exact"], false);
    assert_eq!(imp["hosts"][0]["reasons"][0]["kind"], "glob");
}

/// 9. A module imported by all hosts that reads a key for every host name.
#[test]
fn s09_module_reading_every_hosts_key() {
    let t = with_ab(
        "#- /hosts/a.nix\n{ imports = [ ../modules/known.nix ]; }\n#- /hosts/b.nix\n{ imports = [ ../modules/known.nix ]; }\n\
         #- /modules/known.nix\n{ lib, ... }: { keys = map (h: builtins.readFile ../hosts/${h}/key.pub) [ \"a\" \"b\" ]; }\n\
         #- /hosts/a/key.pub\nk\n#- /hosts/b/key.pub\nk\n",
    );
    let doc = hosts_ok(&t);
    for h in ["a", "b"] {
        let f = host_files(&doc, h);
        assert!(
            f.contains(&"hosts/a/key.pub".to_string())
                && f.contains(&"hosts/b/key.pub".to_string()),
            "{f:?}"
        );
    }
    assert_eq!(affected(&t, &["hosts/a/key.pub"]), ["a", "b"]);
}

/// 10. readDir auto-import of a folder, with and without a recognised filter.
#[test]
fn s10_readdir_auto_import() {
    let t = with_ab(
        r#"#- /hosts/a.nix
{ imports = [ ../auto ]; }
#- /hosts/b.nix
{ lib, ... }: { imports = map (n: ../plain + "/${n}") (builtins.attrNames (builtins.readDir ../plain)); }
#- /auto/default.nix
{ lib, ... }:
let names = lib.filterAttrs (n: t: t == "regular" && lib.hasSuffix ".nix" n && n != "default.nix") (builtins.readDir ./.);
in { imports = map (n: ./. + "/${n}") (builtins.attrNames names); }
#- /auto/zram.nix
{ }
#- /auto/README.md
docs
#- /plain/one.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    let a = host(&doc, "a");
    assert!(files(a).contains(&"auto/zram.nix"));
    assert_eq!(strings(&a["listings"]), ["auto/"]);
    let b = host(&doc, "b");
    assert!(files(b).contains(&"plain/one.nix"));
    assert_eq!(strings(&b["listings"]), ["plain/"]);
    // A new file in the folder is an entry of the listing: it affects the importer.
    assert_eq!(affected(&t, &["auto/new.nix"]), ["a"]);
    assert_eq!(affected(&t, &["plain/two.nix"]), ["b"]);
    assert_eq!(affected(&t, &["auto/zram.nix"]), ["a"]);
}

/// 11. A whole-source `self` use.
#[test]
fn s11_bare_self_is_whole_source() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ { system.configurationRevision = self.rev or "dirty"; } ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./b.nix ]; specialArgs = { inherit self; }; };
  };
}
#- /b.nix
{ self, ... }: { environment.etc.src.source = "${self}/etc/motd"; }
#- /etc/motd
hi
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(host(&doc, "a")["whole_source"], true);
    assert_eq!(host(&doc, "b")["whole_source"], false);
    assert_eq!(
        host_files(&doc, "b"),
        ["b.nix", "etc/motd", "flake.lock", "flake.nix"]
    );
    analysis_support::one_diagnostic(&doc, "whole-source", "flake.nix");
    assert_eq!(affected(&t, &["README.md"]), ["a"]);
}

/// 12. A host whose attribute name differs from its directory; a host pointing at another host's file.
#[test]
fn s12_names_and_borrowed_files() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem { modules = [ ./hosts/zephyrus ]; };
    nixosConfigurations.vps = nixpkgs.lib.nixosSystem { modules = [ ./hosts/vps ]; };
  };
}
#- /hosts/zephyrus/default.nix
{ imports = [ ./disko.nix ]; }
#- /hosts/zephyrus/disko.nix
{ }
#- /hosts/vps/default.nix
{ imports = [ ../zephyrus/disko.nix ]; }
#- /hosts/vps/disko.nix
{ }
"#,
    );
    hosts_ok(&t);
    assert_eq!(
        affected(&t, &["hosts/zephyrus/disko.nix"]),
        ["laptop", "vps"]
    );
    assert_eq!(affected(&t, &["hosts/vps/disko.nix"]), Vec::<String>::new());
}

/// 13. `"${self}/x"`, `self + /x`, `./. + "/${f}"`.
#[test]
fn s13_self_and_path_arithmetic() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: let f = "three.nix"; in {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {
      modules = [ "${self}/one.nix" (self + /two.nix) (./. + "/${f}") (./mods + "/four.nix") ];
    };
  };
}
#- /one.nix
{ }
#- /two.nix
{ }
#- /three.nix
{ }
#- /mods/four.nix
{ }
#- /mods/five.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        [
            "flake.lock",
            "flake.nix",
            "mods/four.nix",
            "one.nix",
            "three.nix",
            "two.nix"
        ]
    );
    assert_eq!(host(&doc, "a")["whole_source"], false);
    assert_eq!(affected(&t, &["mods/five.nix"]), Vec::<String>::new());
}

/// 14. `with modules; [ a b ]` over an attrset of imported files.
#[test]
fn s14_with_over_module_attrset() {
    let t = with_ab(
        "#- /hosts/a.nix\nlet mods = { x = ../m/x.nix; y = ../m/y.nix; }; in { imports = with mods; [ x y ]; }\n#- /hosts/b.nix\n{ }\n\
         #- /m/x.nix\n{ }\n#- /m/y.nix\n{ }\n",
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        [
            "flake.lock",
            "flake.nix",
            "hosts/a.nix",
            "m/x.nix",
            "m/y.nix"
        ]
    );
    assert_eq!(affected(&t, &["m/y.nix"]), ["a"]);
}

/// 15. Comments and plain strings that contain path-like text.
#[test]
fn s15_comments_and_strings_are_not_paths() {
    let t = with_ab(
        "#- /hosts/a.nix\n# imports = [ ./old.nix ];\n{ description = \"see ./notes.nix\"; /* ./also.nix */ }\n#- /hosts/b.nix\n{ }\n\
         #- /hosts/old.nix\n{ }\n#- /hosts/notes.nix\n{ }\n",
    );
    let doc = hosts_ok(&t);
    assert_eq!(
        host_files(&doc, "a"),
        ["flake.lock", "flake.nix", "hosts/a.nix"]
    );
    assert_eq!(
        affected(&t, &["hosts/old.nix", "hosts/notes.nix", "hosts/also.nix"]),
        Vec::<String>::new()
    );
}

/// 16. An unreachable file with a syntax error; a reachable one.
#[test]
fn s16_parse_errors_reachable_and_not() {
    let t = with_ab(
        "#- /hosts/a.nix\n{ }\n#- /hosts/b.nix\n{ imports = [ ./bad.nix ]; }\n#- /hosts/bad.nix\n{ x = ; }\n#- /unused.nix\n{ y = \n",
    );
    let (run, doc) = t.hosts();
    run.assert_code(1);
    let reachable = analysis_support::one_diagnostic(&doc, "parse-error", "hosts/bad.nix");
    assert_eq!(reachable["level"], "error");
    let unreachable = analysis_support::one_diagnostic(&doc, "parse-error", "unused.nix");
    assert_eq!(
        unreachable["level"], "info",
        "no host reaches it: nothing at stake"
    );
    assert_eq!(host(&doc, "b")["whole_source"], true);
    assert_eq!(host(&doc, "a")["whole_source"], false);
    // impact still answers (b is affected by anything) and exits 1: fix the file.
    let (run, imp) = t.impact(&["anything.txt"]);
    run.assert_code(1);
    assert_eq!(strings(&imp["affected_hosts"]), ["b"]);
}

/// 17. `modulesPath`, `inputs.nixpkgs` and `disabledModules` references are external only.
#[test]
fn s17_external_references() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  inputs.disko.url = "github:nix-community/disko";
  outputs = { self, nixpkgs, disko }@inputs: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix disko.nixosModules.disko ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./b.nix ]; specialArgs = { inherit inputs; }; };
  };
}
#- /a.nix
{ modulesPath, ... }: { imports = [ (modulesPath + "/profiles/qemu-guest.nix") ]; disabledModules = [ "programs/wayland/niri.nix" ]; }
#- /b.nix
{ inputs, ... }: { imports = [ "${inputs.nixpkgs}/nixos/modules/profiles/minimal.nix" ]; }
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(host_files(&doc, "a"), ["a.nix", "flake.lock", "flake.nix"]);
    assert_eq!(strings(&host(&doc, "a")["inputs"]), ["disko", "nixpkgs"]);
    assert_eq!(strings(&host(&doc, "b")["inputs"]), ["nixpkgs"]);
    assert!(strings(&host(&doc, "a")["globs"]).is_empty());
    assert_eq!(host(&doc, "a")["whole_source"], false);
    assert_eq!(host(&doc, "b")["whole_source"], false);
}

/// 18. A flake.nix that also defines checks, devShells and packages from local files no host uses.
#[test]
fn s18_other_outputs_are_not_host_dependencies() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; };
    checks.x86_64-linux.t = import ./tests/integration;
    devShells.x86_64-linux.default = import ./shell.nix;
    packages.x86_64-linux.tool = nixpkgs.legacyPackages.x86_64-linux.callPackage ./pkgs/tool { };
  };
}
#- /a.nix
{ }
#- /tests/integration/default.nix
{ }
#- /shell.nix
{ }
#- /pkgs/tool/default.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    assert_eq!(host_files(&doc, "a"), ["a.nix", "flake.lock", "flake.nix"]);
    assert_eq!(
        affected(
            &t,
            &[
                "tests/integration/default.nix",
                "shell.nix",
                "pkgs/tool/default.nix"
            ]
        ),
        Vec::<String>::new()
    );
}

/// 19. flake.lock changes to one input used by one host, and to nixpkgs (through git).
#[test]
fn s19_flake_lock_changes_by_input() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  inputs.disko.url = "github:nix-community/disko";
  outputs = { self, nixpkgs, disko }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ disko.nixosModules.disko ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./b.nix ]; };
  };
}
#- /b.nix
{ }
"#,
    );
    let lock = |n: &str, d: &str| {
        format!(
            r#"{{"nodes":{{"root":{{"inputs":{{"nixpkgs":"nixpkgs","disko":"disko"}}}},"nixpkgs":{{"locked":{{"rev":"{n}"}}}},"disko":{{"locked":{{"rev":"{d}"}},"inputs":{{"nixpkgs":["nixpkgs"]}}}}}},"root":"root","version":7}}"#
        )
    };
    t.write("flake.lock", lock("n1", "d1"));
    commit_all(&t);
    let impact_vs_head = || {
        let run = t.openspec(&["impact", "--base", "HEAD", "--json"]);
        run.assert_code(0);
        strings(&run.json()["affected_hosts"])
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    t.write("flake.lock", lock("n1", "d2"));
    assert_eq!(impact_vs_head(), ["a"]);
    t.write("flake.lock", lock("n2", "d1"));
    assert_eq!(impact_vs_head(), ["a", "b"]);
    // Without a base revision, which inputs changed is unknown: every host.
    assert_eq!(affected(&t, &["flake.lock"]), ["a", "b"]);
}

/// 20. A gated module enabled through a nested attrset, through mkDefault, and never.
#[test]
fn s20_gated_module_and_precise() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.nested = nixpkgs.lib.nixosSystem { modules = [ ./m/ssh.nix ./h/nested.nix ]; };
    nixosConfigurations.default = nixpkgs.lib.nixosSystem { modules = [ ./m/ssh.nix ./h/default.nix ]; };
    nixosConfigurations.never = nixpkgs.lib.nixosSystem { modules = [ ./m/ssh.nix ./h/never.nix ]; };
  };
}
#- /m/ssh.nix
{ config, lib, ... }:
let cfg = config.panther.security.ssh;
in {
  options.panther.security.ssh.enable = lib.mkEnableOption "ssh";
  config = lib.mkIf cfg.enable {
    services.openssh.enable = true;
  };
}
#- /h/nested.nix
{ panther = { security = { ssh = { enable = true; }; }; }; }
#- /h/default.nix
{ lib, ... }: { panther.security.ssh.enable = lib.mkDefault true; }
#- /h/never.nix
{ programs.dankMaterialShell.enable = false; panther.security.other.enable = true; }
"#,
    );
    commit_all(&t);
    let body_edit = std::fs::read_to_string(t.root().join("m/ssh.nix"))
        .unwrap()
        .replace("openssh.enable = true", "openssh.enable = false");
    t.write("m/ssh.nix", body_edit);
    let run = |precise: bool| {
        let mut args = vec!["impact", "--base", "HEAD", "--json"];
        if precise {
            args.push("--precise");
        }
        let r = t.openspec(&args);
        r.assert_code(0);
        r.json()
    };
    let file_level = run(false);
    assert_eq!(
        strings(&file_level["affected_hosts"]),
        ["default", "nested", "never"]
    );
    assert!(file_level["hosts"][0]["precise"].is_null());
    let precise = run(true);
    assert_eq!(strings(&precise["affected_hosts"]), ["default", "nested"]);
    let never = host(&precise, "never");
    assert_eq!(never["affected"], false);
    assert_eq!(never["precise"]["dropped"], true);
    // An edit outside the gate keeps every host.
    let opt_edit = std::fs::read_to_string(t.root().join("m/ssh.nix"))
        .unwrap()
        .replace("mkEnableOption \"ssh\"", "mkEnableOption \"the ssh\"");
    t.write("m/ssh.nix", opt_edit);
    assert_eq!(
        strings(&run(true)["affected_hosts"]),
        ["default", "nested", "never"]
    );
}

/// A module hands a directory to a helper in another file that imports what
/// the directory holds: the modules inside, and what they import, are the
/// host's, whether or not the helper is walked with the argument bound.
#[test]
fn s21_directory_handed_to_another_files_helper() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./m.nix ]; };
  };
}
#- /lib.nix
dir: map (n: dir + "/${n}") (builtins.attrNames (builtins.readDir dir))
#- /m.nix
{ imports = import ./lib.nix ./mods; }
#- /mods/a.nix
{ imports = [ ../secret.nix ]; }
#- /secret.nix
{ }
#- /unrelated.nix
{ }
"#,
    );
    let doc = hosts_ok(&t);
    let files = host_files(&doc, "a");
    for f in ["lib.nix", "m.nix", "mods/a.nix", "secret.nix"] {
        assert!(files.iter().any(|x| x == f), "{f} missing from {files:?}");
    }
    assert!(!files.iter().any(|x| x == "unrelated.nix"), "{files:?}");
    assert_eq!(affected(&t, &["secret.nix"]), ["a"]);
}

/// A module passes `self` to a helper in another file that only reads a
/// path below it: the helper is walked with `self` bound, so the host does
/// not depend on the whole source.
#[test]
fn s22_self_handed_to_another_files_helper_stays_precise() {
    let t = Tree::fixture(
        r#"#- /flake.nix
{
  outputs = { self, nixpkgs }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {
      specialArgs = { inherit self; };
      modules = [ ./m.nix ];
    };
  };
}
#- /lib/keys.nix
{ self }: { keyFile = "${self}/keys/admin.pub"; }
#- /m.nix
{ self, ... }: { users.keys = (import ./lib/keys.nix { inherit self; }).keyFile; }
#- /keys/admin.pub
ssh-ed25519 AAAA
#- /unrelated.txt
x
"#,
    );
    let doc = hosts_ok(&t);
    let host = &doc["hosts"][0];
    assert_eq!(host["whole_source"], false, "{host}");
    let files = host_files(&doc, "a");
    assert!(files.iter().any(|x| x == "keys/admin.pub"), "{files:?}");
    assert_eq!(affected(&t, &["unrelated.txt"]), Vec::<String>::new());
}
