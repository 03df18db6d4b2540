#!/usr/bin/env bash
# Benchmark: `openspec validate --all --json` over 500 changes and 200 specs,
# generated in a temp dir. Builds the release binary, prints the wall time of
# each of 5 runs and the best, then the same for the reference OpenSpec 1.13.2
# (tests/run.sh installs it; OPENSPEC_REF_PREFIX overrides its folder) and the
# ratio of the two. Target: under 100 ms.
#   bash tests/bench/validate.sh [CHANGES] [SPECS]      (KEEP=1 keeps the tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
changes=${1:-500}
specs=${2:-200}
cargo build --release --locked --quiet
bin=$PWD/target/release/openspec
tmp=$(mktemp -d)
# KEEP=1 keeps the generated tree for profiling.
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
os=$tmp/openspec
mkdir -p "$os/specs" "$os/changes/archive"

scenario() { printf '#### Scenario: %s\n- **WHEN** the host %s is built\n- **THEN** the check passes\n\n' "$1" "$1"; }
requirement() {
  printf '### Requirement: %s\nThe system SHALL keep %s working on every host of the flake.\n\n' "$1" "$1"
  scenario "$1 first"; scenario "$1 second"
}

for ((s = 0; s < specs; s++)); do
  mkdir -p "$os/specs/cap-$s"
  {
    printf '# cap-%s Specification\n\n## Purpose\nCapability %s of the generated benchmark repository, long enough.\n\n## Requirements\n\n' "$s" "$s"
    for ((r = 0; r < 5; r++)); do requirement "Req $s.$r"; done
  } >"$os/specs/cap-$s/spec.md"
done

for ((c = 0; c < changes; c++)); do
  d=$os/changes/change-$c
  cap=$((c % specs))
  mkdir -p "$d/specs/cap-$cap" "$d/specs/new-cap-$c"
  printf '# Change: Change %s\n\n## Why\nGenerated change %s exists to measure how fast validation runs.\n\n## What Changes\n- Modify cap-%s\n\n## Impact\n- cap-%s\n' "$c" "$c" "$cap" "$cap" >"$d/proposal.md"
  printf '## 1. Implementation\n- [x] 1.1 Do it\n- [ ] 1.2 Test it\n\n## 2. Rollback\n- [ ] 2.1 Revert\n' >"$d/tasks.md"
  {
    printf '## MODIFIED Requirements\n\n'
    requirement "Req $cap.0"
    printf '## REMOVED Requirements\n- `### Requirement: Req %s.4`\n\n## RENAMED Requirements\n- FROM: `### Requirement: Req %s.3`\n- TO: `### Requirement: Renamed %s`\n' "$cap" "$cap" "$c"
  } >"$d/specs/cap-$cap/spec.md"
  { printf '## ADDED Requirements\n\n'; requirement "New $c"; } >"$d/specs/new-cap-$c/spec.md"
  if ((c % 3 == 0)); then
    printf '{"kind":"security","state":"proposed","created":"2026-01-01T00:00:00Z","reviews":[]}\n' >"$d/tracking.json"
  fi
done

echo "generated $changes changes and $specs specs in $tmp"
best=
for run in 1 2 3 4 5; do
  start=$(date +%s%N)
  set +e
  "$bin" --root "$tmp" validate --all --json >"$tmp/out.json"
  code=$?
  set -e
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  echo "run $run: ${ms} ms (exit $code)"
  if [ -z "$best" ] || ((ms < best)); then best=$ms; fi
done
items=$(grep -c '"durationMs"' "$tmp/out.json" || true)
echo "items validated: $items"
echo "validate --all --json, $changes changes + $specs specs: best ${best} ms (target < 100 ms)"

ref="${OPENSPEC_REF_PREFIX:-$HOME/.cache/openspec-ref/1.13.2}/node_modules/@fission-ai/openspec/bin/openspec.js"
if [ ! -f "$ref" ]; then
  echo "reference OpenSpec 1.13.2 not found at $ref: run tests/run.sh to install it; no ratio" >&2
  exit 1
fi
rbest=
for run in 1 2 3; do
  start=$(date +%s%N)
  set +e
  (cd "$tmp" && DO_NOT_TRACK=1 OPENSPEC_TELEMETRY=0 node "$ref" validate --all --json --no-interactive >"$tmp/ref.json")
  set -e
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  echo "1.13.2 run $run: ${ms} ms"
  if [ -z "$rbest" ] || ((ms < rbest)); then rbest=$ms; fi
done
echo "OpenSpec 1.13.2: best ${rbest} ms; ratio 1.13.2 / openspec = $(awk -v a="$rbest" -v b="$best" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }')"
