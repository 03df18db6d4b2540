{
  description = "openspec: OpenSpec change proposals, static impact analysis and parallel host verification for NixOS flakes";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      openspecLib = import ./nix/lib.nix { inherit nixpkgs; };
      forAllSystems =
        f: nixpkgs.lib.genAttrs openspecLib.systems (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAllSystems (
        system: pkgs: {
          openspec = openspecLib.packageFor pkgs;
          default = self.packages.${system}.openspec;
        }
      );

      apps = forAllSystems (
        system: pkgs:
        let
          app = {
            type = "app";
            program = nixpkgs.lib.getExe self.packages.${system}.openspec;
            meta.description = "OpenSpec proposals, impact analysis and host verification for NixOS flakes";
          };
        in
        {
          openspec = app;
          default = app;
        }
      );

      checks = forAllSystems (
        system: pkgs: pkgs.callPackage ./nix/checks.nix { package = self.packages.${system}.openspec; }
      );

      devShells = forAllSystems (
        system: pkgs: {
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.openspec ];
            packages = [
              pkgs.cargo
              pkgs.clippy
              pkgs.rustfmt
              pkgs.rust-analyzer
              pkgs.nix
              pkgs.git
            ];
          };
        }
      );

      formatter = forAllSystems (system: pkgs: pkgs.nixfmt-tree);

      overlays.default = final: prev: { openspec = openspecLib.packageFor final; };

      # For host flakes: openspec.lib.mkOpenspec { inherit self nixpkgs; }.
      lib = openspecLib;

      # For flake-parts host flakes: imports = [ openspec.flakeModules.default ];
      flakeModules.default = import ./nix/flake-module.nix { inherit openspecLib; };
    };
}
