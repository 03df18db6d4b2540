# The openspec package. flake.nix, the overlay and the consumer integration
# (nix/lib.nix) all build it through callPackage, so a consumer's nixpkgs
# (or an overlay) decides the toolchain.
{
  lib,
  stdenv,
  rustPlatform,
  installShellFiles,
  git,
}:
let
  manifest = lib.importTOML ../Cargo.toml;
in
rustPlatform.buildRustPackage {
  pname = manifest.package.name;
  inherit (manifest.package) version;

  # Only what cargo reads: editing flake.nix, nix/ or the README does not rebuild.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../src
      ../tests
    ];
  };

  cargoLock.lockFile = ../Cargo.lock;

  nativeBuildInputs = [ installShellFiles ];

  # The integration tests drive a real Nix store and build derivations, which a
  # build sandbox cannot host (read-only store, no daemon); they run in CI
  # through tests/run.sh. Unit tests run here; some of them call git.
  cargoTestFlags = [
    "--lib"
    "--bins"
  ];
  nativeCheckInputs = [ git ];

  # Completions and man pages come from the binary itself (clap_complete,
  # clap_mangen), so they cannot drift from its flags. A cross build cannot run
  # the binary it made and goes without them.
  postInstall = lib.optionalString (stdenv.buildPlatform.canExecute stdenv.hostPlatform) ''
    installShellCompletion --cmd openspec \
      --bash <("$out/bin/openspec" completions bash) \
      --zsh <("$out/bin/openspec" completions zsh) \
      --fish <("$out/bin/openspec" completions fish)
    "$out/bin/openspec" --quiet man --out-dir man-pages
    installManPage man-pages/*.1
  '';

  meta = {
    description = "OpenSpec change proposals, static impact analysis and parallel host verification for NixOS flakes";
    mainProgram = "openspec";
  };
}
