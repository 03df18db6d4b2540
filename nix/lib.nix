# The consumer integration for plain flakes (no flake-parts): given a host
# flake's `self`, openspec's app and a validation check wired to that tree.
# nix/flake-module.nix is the flake-parts face of the same functions.
#
#   outputs = { self, nixpkgs, openspec, ... }:
#     let os = openspec.lib.mkOpenspec { inherit self nixpkgs; };
#     in { inherit (os) apps checks; /* nixosConfigurations = …; */ };
{
  # openspec's own pinned nixpkgs: the default for a consumer that passes none.
  nixpkgs,
}:
let
  genAttrs =
    names: f:
    builtins.listToAttrs (
      map (name: {
        inherit name;
        value = f name;
      }) names
    );
in
rec {
  systems = import ./systems.nix;

  # openspec built with the given package set.
  packageFor = pkgs: pkgs.callPackage ./package.nix { };

  # `nix run .#openspec -- impact` in a checkout means that checkout: impact
  # needs its .git and new/archive write to it. Only outside any checkout
  # (`nix run github:owner/hosts#openspec -- hosts`) does the app fall back to
  # `src`, the flake's read-only store copy. An explicit --root always wins.
  # The search mirrors the binary's own: the nearest ancestor holding
  # flake.nix or openspec/.
  appFor =
    {
      pkgs,
      src,
      package ? packageFor pkgs,
    }:
    let
      exe = "${package}/bin/openspec";
      wrapper = pkgs.writeShellScriptBin "openspec" ''
        for arg in "$@"; do
          case "$arg" in
            --root | --root=*) exec ${exe} "$@" ;;
          esac
        done
        dir=$PWD
        while [ -n "$dir" ]; do
          if [ -f "$dir/flake.nix" ] || [ -d "$dir/openspec" ]; then
            exec ${exe} "$@"
          fi
          dir=''${dir%/*}
        done
        exec ${exe} --root ${src} "$@"
      '';
    in
    {
      type = "app";
      program = "${wrapper}/bin/openspec";
      meta.description = "openspec on this checkout (outside one: on the flake's source)";
    };

  # `openspec validate --all --strict` on `src` inside the build sandbox: the
  # proposals and specs of the tree, as committed, must be valid.
  validateCheckFor =
    {
      pkgs,
      src,
      package ? packageFor pkgs,
    }:
    pkgs.runCommand "openspec-validate" { nativeBuildInputs = [ package ]; } ''
      openspec --no-color --root ${src} validate --all --strict
      touch "$out"
    '';

  # Everything at once for a plain flake: { apps.<system>.openspec;
  # checks.<system>.openspec-validate; }. `package`, when given, is a function
  # from a system to the openspec derivation (e.g. openspec.packages.${system}.default).
  mkOpenspec =
    {
      self,
      nixpkgs ? defaultNixpkgs,
      systems ? import ./systems.nix,
      src ? self,
      package ? null,
    }:
    let
      forSystem =
        system:
        let
          pkgs = nixpkgs.legacyPackages.${system};
          args = {
            inherit pkgs src;
            package = if package == null then packageFor pkgs else package system;
          };
        in
        {
          app = appFor args;
          check = validateCheckFor args;
        };
    in
    {
      apps = genAttrs systems (system: {
        openspec = (forSystem system).app;
      });
      checks = genAttrs systems (system: {
        openspec-validate = (forSystem system).check;
      });
    };

  defaultNixpkgs = nixpkgs;
}
