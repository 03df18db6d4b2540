#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Rust: installs Nix
# (Debian's nix-bin, 2.8) when it is missing, then runs cargo test.
# Tests give every Nix process its own settings, so no global config is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nix >/dev/null 2>&1; then
  echo "tests/run.sh: installing Nix (apt-get install -y nix-bin)" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nix-bin >/dev/null
fi
command -v git >/dev/null 2>&1 || { echo "tests/run.sh: git is required" >&2; exit 2; }
nix --version
exec cargo test --locked "$@"
