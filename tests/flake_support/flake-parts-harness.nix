# Calls nix/flake-module.nix the way flake-parts does, without flake-parts
# (it cannot be fetched here): option declarations are read back as records,
# their defaults become the config, and mkIf stays visible. It shows that the
# module declares its options and that, with their defaults, its perSystem
# config yields the very derivations of the plain lib.mkOpenspec.
{
  repo,
  stub,
  consumer,
  system,
}:
let
  openspec = builtins.getFlake "path:${repo}";
  nixpkgs = builtins.getFlake "path:${stub}";
  pkgs = nixpkgs.legacyPackages.${system};
  self = {
    outPath = builtins.path {
      path = /. + consumer;
      name = "source";
    };
  };

  lib = {
    mkOption = decl: decl // { _type = "option"; };
    types = {
      package = "package";
      path = "path";
      bool = "bool";
    };
    literalExpression = text: {
      _type = "literalExpression";
      inherit text;
    };
    mkIf = condition: content: {
      _type = "if";
      inherit condition content;
    };
  };
  flake-parts-lib.mkPerSystemOption = module: module;

  module = openspec.flakeModules.default { inherit lib flake-parts-lib self; };
  declared = (module.options.perSystem { inherit pkgs system; }).options.openspec;
  defaults = {
    package = declared.package.default;
    src = declared.src.default;
    check.enable = declared.check.enable.default;
  };
  perSystem =
    cfg:
    module.config.perSystem {
      inherit pkgs system;
      config.openspec = cfg;
    };
  enabled = perSystem defaults;
  disabled = perSystem (defaults // { check.enable = false; });
  plain = openspec.lib.mkOpenspec {
    inherit self nixpkgs;
    systems = [ system ];
  };
in
{
  types = {
    package = declared.package.type;
    src = declared.src.type;
    checkEnable = declared.check.enable.type;
  };
  srcDefaultIsSelf = declared.src.default == self;
  app = enabled.apps.openspec;
  plainApp = plain.apps.${system}.openspec;
  checkCondition = enabled.checks.condition;
  check = enabled.checks.content.openspec-validate.drvPath;
  plainCheck = plain.checks.${system}.openspec-validate.drvPath;
  disabledCondition = disabled.checks.condition;
}
