//! `impact --precise` on the module styles real flakes use: `with lib;` at
//! the top, a `let`-bound `cfg` or `config.<P>` spelled inline, `lib.mkIf`,
//! `mkIf … (mkMerge [ … ])`, the option declared as `options.<P>.enable` or
//! inside `options.<P> = { … }`, `mkEnableOption` or a boolean `mkOption`
//! defaulting to false, `imports` beside the gate. For each style an edit
//! inside the `mkIf` body drops the host that never enables the option and
//! keeps the one that does; and a host that reads the module as data or
//! depends on the whole source is never dropped.
mod analysis_support;
mod repo_support;

use analysis_support::{Tree, host, strings};

/// A flake with hosts `on` (enables `panther.x`) and `off` (does not), both
/// importing `m/x.nix` written as `module`; commits it, applies `edit` to the
/// module in the working tree and returns the precise answer.
fn precise_answer(module: &str, edit: (&str, &str), extra_host_text: &str) -> serde_json::Value {
    let t = Tree::fixture(&format!(
        r#"#- /flake.nix
{{
  outputs = {{ self, nixpkgs }}: {{
    nixosConfigurations.on = nixpkgs.lib.nixosSystem {{ modules = [ ./m/x.nix ./h/on.nix ]; }};
    nixosConfigurations.off = nixpkgs.lib.nixosSystem {{ modules = [ ./m/x.nix ./h/off.nix ]; }};
  }};
}}
#- /m/x.nix
{module}
#- /m/sync.nix
{{ ... }}: {{ }}
#- /h/on.nix
{{ ... }}: {{ panther.x.enable = true; }}
#- /h/off.nix
{{ self, ... }}: {{ networking.hostName = "off"; {extra_host_text} }}
"#
    ));
    repo_support::git(t.root(), &["init", "-q", "-b", "main"]);
    repo_support::commit_all(t.root(), "base");
    let text = std::fs::read_to_string(t.root().join("m/x.nix")).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains(edit.0), "the edit's text is in the module");
    t.write("m/x.nix", text.replacen(edit.0, edit.1, 1));
    let run = t.openspec(&["impact", "--base", "HEAD", "--precise", "--json"]);
    run.assert_code(0);
    run.json()
}

const BODY_EDIT: (&str, &str) = ("openssh.enable = true", "openssh.enable = false");

const STYLES: &[(&str, &str)] = &[
    (
        "with lib; let cfg; mkIf; options.P = { enable = mkEnableOption }",
        r#"{ config, lib, pkgs, ... }:

with lib;

let
  cfg = config.panther.x;
in {
  options.panther.x = {
    enable = mkEnableOption "x";
    port = mkOption { type = types.port; default = 22; };
  };

  config = mkIf cfg.enable {
    services.openssh.enable = true;
  };
}"#,
    ),
    (
        "config.P.enable inline, lib.mkIf, options.P.enable = lib.mkEnableOption",
        r#"{ config, lib, ... }: {
  options.panther.x.enable = lib.mkEnableOption "x";
  config = lib.mkIf config.panther.x.enable {
    services.openssh.enable = true;
  };
}"#,
    ),
    (
        "mkIf cfg.enable (mkMerge [ … ]) under with lib, imports beside the gate",
        r#"{ config, lib, ... }:
with lib;
let cfg = config.panther.x; in
{
  imports = [ ./sync.nix ];
  options = { panther = { x = { enable = mkEnableOption "x"; }; }; };
  config = mkIf cfg.enable (mkMerge [
    { services.openssh.enable = true; }
    { services.openssh.ports = [ 22 ]; }
  ]);
}"#,
    ),
    (
        "let inside with, a bool mkOption defaulting to false, another name than cfg",
        r#"{ config, lib, ... }:
let
  x = config.panther.x;
in
with lib;
{
  options.panther.x.enable = mkOption { type = types.bool; default = false; };
  config = mkIf x.enable { services.openssh.enable = true; };
}"#,
    ),
];

#[test]
fn every_module_style_drops_the_host_that_never_enables_it() {
    for (style, module) in STYLES {
        let doc = precise_answer(module, BODY_EDIT, "");
        assert_eq!(
            strings(&doc["affected_hosts"]),
            ["on"],
            "{style}: only the host that enables the option stays\n{doc:#}"
        );
        let off = host(&doc, "off");
        assert_eq!(off["precise"]["dropped"], true, "{style}");
        assert!(
            off["precise"]["explanation"]
                .as_str()
                .is_some_and(|e| e.contains("`panther.x.enable`")),
            "{style}: {off:#}"
        );
        let on = host(&doc, "on");
        assert!(
            on["precise"]["explanation"]
                .as_str()
                .is_some_and(|e| e.contains("is set at h/on.nix:1")),
            "{style}: {on:#}"
        );
    }
}

#[test]
fn what_the_layer_cannot_prove_keeps_the_host() {
    let (_, module) = STYLES[0];
    // An edit outside the mkIf body.
    let doc = precise_answer(module, ("default = 22", "default = 2222"), "");
    assert_eq!(strings(&doc["affected_hosts"]), ["off", "on"]);
    // A condition other than `<P>.enable`.
    let other = module.replace("mkIf cfg.enable", "mkIf (cfg.enable && true)");
    let doc = precise_answer(&other, BODY_EDIT, "");
    assert_eq!(strings(&doc["affected_hosts"]), ["off", "on"]);
    // A definition outside the gate.
    let outside = module.replace(
        "  config = mkIf",
        "  environment.etc.x.text = \"x\";\n  config = mkIf",
    );
    let doc = precise_answer(&outside, BODY_EDIT, "");
    assert_eq!(strings(&doc["affected_hosts"]), ["off", "on"]);
    // The option may default to true.
    let on_by_default = module.replace(
        "enable = mkEnableOption \"x\";",
        "enable = mkOption { type = types.bool; default = true; };",
    );
    let doc = precise_answer(&on_by_default, BODY_EDIT, "");
    assert_eq!(strings(&doc["affected_hosts"]), ["off", "on"]);
    // The host reads the module's directory as data.
    let doc = precise_answer(module, BODY_EDIT, "environment.etc.m.source = ../m;");
    assert_eq!(strings(&doc["affected_hosts"]), ["off", "on"]);
    let off = host(&doc, "off");
    assert!(
        off["precise"]["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("inside `m/`")),
        "{off:#}"
    );
    // The host depends on the whole source (`self.rev` changes with any commit).
    let doc = precise_answer(
        module,
        BODY_EDIT,
        "system.configurationRevision = self.rev or \"dirty\";",
    );
    let off = host(&doc, "off");
    assert_eq!(off["affected"], true, "{off:#}");
    assert!(
        off["precise"]["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("whole source")),
        "{off:#}"
    );
}
