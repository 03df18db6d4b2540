#!/usr/bin/env bash
# openspec in any CI that runs a shell: the same flow as github-actions.yml.
#
#   nix/ci/openspec-ci.sh hosts          affected hosts of this change, one a line
#   nix/ci/openspec-ci.sh check HOST     evaluate and build one host (one CI job each)
#   nix/ci/openspec-ci.sh report [FILE]  the markdown impact report (default openspec-report.md)
#   nix/ci/openspec-ci.sh all            hosts, then check each, then report; exit 1 if a host failed
#
# Run it at the root of a checkout of the host flake, with its history
# (impact compares with the base). Environment:
#   OPENSPEC_BASE  base revision (default: origin/main)
#   OPENSPEC       how to run openspec (default: nix run .#openspec --)
#   JQ             jq to read the impact JSON (default: jq)
# A CI with several machines fans out by running `check HOST` as one job per
# line of `hosts`; Nix remote builders spread the builds further.
set -euo pipefail

base=${OPENSPEC_BASE:-origin/main}
read -r -a openspec <<< "${OPENSPEC:-nix run .#openspec --}"
jq=${JQ:-jq}

die() {
  echo "openspec-ci: $*" >&2
  exit 2
}

affected_hosts() {
  command -v "$jq" > /dev/null || die "$jq not found: install jq or set JQ"
  local json
  json=$("${openspec[@]}" impact --base "$base" --json) ||
    die "openspec impact --base $base failed (see above)"
  "$jq" -r '.affected_hosts[]' <<< "$json" ||
    die "openspec impact printed no affected_hosts list"
}

check_host() {
  local host=$1
  "${openspec[@]}" nixos-check --hosts "$host" --base "$base" --junit "openspec-$host.xml"
}

report() {
  local file=${1:-openspec-report.md}
  "${openspec[@]}" impact --base "$base" --format markdown > "$file.tmp" ||
    die "openspec impact --format markdown failed (see above)"
  mv "$file.tmp" "$file"
  echo "openspec-ci: report in $file" >&2
}

all() {
  local hosts failed=()
  hosts=$(affected_hosts)
  if [ -z "$hosts" ]; then
    echo "openspec-ci: no host is affected" >&2
  fi
  while IFS= read -r host; do
    [ -n "$host" ] || continue
    echo "openspec-ci: nixos-check $host" >&2
    check_host "$host" || failed+=("$host")
  done <<< "$hosts"
  report
  if [ ${#failed[@]} -gt 0 ]; then
    echo "openspec-ci: failed hosts: ${failed[*]}" >&2
    exit 1
  fi
}

case "${1:-all}" in
  hosts) affected_hosts ;;
  check)
    [ $# -eq 2 ] || die "usage: $0 check HOST"
    check_host "$2"
    ;;
  report) report "${2:-}" ;;
  all) all ;;
  *) die "unknown step '$1'; use hosts, check HOST, report [FILE] or all" ;;
esac
