#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Rust: installs what the
# tests run for real when it is missing (Nix from Debian's nix-bin, 2.8; git;
# the shells whose completions are loaded; jq and groff/man for the CI recipe
# and man page tests; node/npm and the reference OpenSpec 1.13.2 from the npm
# registry for tests/spec_parity.rs), then runs cargo test. Tests give every Nix process its
# own settings, so no global Nix configuration is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v nix >/dev/null 2>&1 || need+=(nix-bin)
command -v git >/dev/null 2>&1 || need+=(git)
command -v zsh >/dev/null 2>&1 || need+=(zsh)
command -v fish >/dev/null 2>&1 || need+=(fish)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v groff >/dev/null 2>&1 || need+=(groff-base)
command -v man >/dev/null 2>&1 || need+=(man-db)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${need[*]} (apt-get)" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
nix --version
# The reference for the differential test (tests/spec_parity.rs fails, naming
# this folder, when it is missing).
ref="${OPENSPEC_REF_PREFIX:-$HOME/.cache/openspec-ref/1.13.2}"
if [ ! -f "$ref/node_modules/@fission-ai/openspec/package.json" ]; then
  echo "tests/run.sh: installing @fission-ai/openspec@1.13.2 into $ref (npm)" >&2
  mkdir -p "$ref"
  npm install --no-audit --no-fund --prefix "$ref" @fission-ai/openspec@1.13.2 >&2
fi
export OPENSPEC_REF_PREFIX="$ref"
exec cargo test --locked --no-fail-fast "$@"
