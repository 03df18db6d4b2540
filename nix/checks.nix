# checks.<system> of openspec's own flake: the package with its unit tests,
# clippy with warnings denied, and rustfmt.
{
  package,
  cargo,
  clippy,
  rustfmt,
  runCommand,
}:
{
  openspec = package;

  clippy = package.overrideAttrs (old: {
    pname = "${old.pname}-clippy";
    nativeBuildInputs = (old.nativeBuildInputs or [ ]) ++ [ clippy ];
    # A set buildPhase/installPhase replaces the cargo build and install hooks.
    buildPhase = ''
      runHook preBuild
      cargo clippy --offline --all-targets -- -D warnings
      runHook postBuild
    '';
    doCheck = false;
    installPhase = ''
      touch "$out"
    '';
  });

  fmt =
    runCommand "openspec-fmt"
      {
        nativeBuildInputs = [
          cargo
          rustfmt
        ];
      }
      ''
        export HOME="$TMPDIR"
        # A writable copy: cargo may create files beside Cargo.toml even when only checking.
        cp -r ${package.src} source
        chmod -R u+w source
        cd source
        cargo fmt --check
        touch "$out"
      '';
}
