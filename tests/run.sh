#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine with Rust: installs what the
# tests run for real when it is missing (Nix from Debian's nix-bin, 2.8; git;
# the shells whose completions are loaded; jq and groff/man for the CI recipe
# and man page tests), then runs cargo test. Tests give every Nix process its
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
if [ ${#need[@]} -gt 0 ]; then
  echo "tests/run.sh: installing ${need[*]} (apt-get)" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
nix --version
exec cargo test --locked --no-fail-fast "$@"
