# The consumer integration for flake-parts flakes:
#
#   imports = [ inputs.openspec.flakeModules.default ];
#
# adds perSystem apps.openspec and checks.openspec-validate wired to the
# flake's own tree, through the same functions as the plain `lib.mkOpenspec`.
{ openspecLib }:
{
  lib,
  flake-parts-lib,
  self,
  ...
}:
let
  inherit (lib) mkOption types;
in
{
  options.perSystem = flake-parts-lib.mkPerSystemOption (
    { pkgs, ... }:
    {
      options.openspec = {
        package = mkOption {
          type = types.package;
          default = openspecLib.packageFor pkgs;
          defaultText = lib.literalExpression "pkgs.callPackage (openspec + \"/nix/package.nix\") { }";
          description = "The openspec package the app runs and the check uses.";
        };
        src = mkOption {
          type = types.path;
          default = self;
          defaultText = lib.literalExpression "self";
          description = "The tree the check validates, and the app reads when run outside a checkout.";
        };
        check.enable = mkOption {
          type = types.bool;
          default = true;
          description = "Whether to add checks.openspec-validate (openspec validate --all --strict).";
        };
      };
    }
  );

  config.perSystem =
    { config, pkgs, ... }:
    let
      args = {
        inherit pkgs;
        inherit (config.openspec) package src;
      };
    in
    {
      apps.openspec = openspecLib.appFor args;
      checks = lib.mkIf config.openspec.check.enable {
        openspec-validate = openspecLib.validateCheckFor args;
      };
    };
}
