#!/usr/bin/env bash
# Benchmark of `openspec nixos-check --all-hosts --jobs 2` on a fixture flake
# of 8 hosts whose evaluation each costs about one second of CPU, against
#   (a) a sequential loop of one `nix build` per host, and
#   (b) one `nix build` of all toplevels in a single invocation;
# (c) is nixos-check with --no-diff, (d) the same with the base comparison
# (security facts and closures against the last commit).
# Targets: nixos-check <= 0.6 x (a), <= 1.1 x (b); orchestrator peak RSS < 30 MB.
# Each measurement gets fresh derivations (a salt file), so all three really
# evaluate and build. Usage: tests/bench/nixos_check.sh  (COST=fold steps per host,
# HOSTS, REPEAT=rounds; the best round of each is reported, KEEP=1 keeps the fixture,
# OPENSPEC_BENCH_BIN=path measures that binary instead of building this tree)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v nix >/dev/null || { echo "nix is required (tests/run.sh installs it)" >&2; exit 2; }
# OPENSPEC_BENCH_BIN measures another build (e.g. main's) under the same load.
if [ -n "${OPENSPEC_BENCH_BIN:-}" ]; then
  BIN="$OPENSPEC_BENCH_BIN"
else
  cargo build --release --quiet
  BIN="$PWD/target/release/openspec"
fi
HOSTS=${HOSTS:-8}
COST=${COST:-2400000}
REPEAT=${REPEAT:-3}
WORK=$(mktemp -d /tmp/openspec-bench-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
export NIX_CONFIG="experimental-features = nix-command flakes
sandbox = false
build-users-group =
substituters =
flake-registry ="
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.org

# The fixture: a stand-in nixosSystem whose toplevel carries a CPU-heavy fold.
cd "$WORK"
mkdir -p lib openspec/changes/bench
echo "# bench" > openspec/changes/bench/proposal.md
cat > lib/nixos.nix <<'EOF'
let
  burn = n: builtins.foldl' (acc: x: acc + x * x) 0 (builtins.genList (x: x) n);
in
{
  nixosSystem = { modules }:
    let
      load = m: if builtins.isPath m then import m else m;
      cfg = builtins.foldl' (acc: m: acc // (load m)) { } modules;
    in
    {
      config.system.build.toplevel = derivation {
        name = "nixos-system-${cfg.hostName}";
        system = "x86_64-linux";
        builder = "/bin/sh";
        args = [ "-c" "echo \"$cost $salt\" > $out" ];
        salt = import ../salt.nix;
        cost = toString (burn cfg.evalCost);
      };
    };
}
EOF
entries=""
names=()
for i in $(seq 1 "$HOSTS"); do
  h="host$i"; names+=("$h")
  mkdir -p "hosts/$h"
  echo "{ hostName = \"$h\"; evalCost = $((COST + i)); }" > "hosts/$h/default.nix"
  entries="$entries      $h = lib.nixosSystem { modules = [ ./hosts/$h/default.nix ]; };
"
done
cat > flake.nix <<EOF
{
  outputs = { self }:
    let lib = import ./lib/nixos.nix;
    in {
      nixosConfigurations = {
$entries      };
    };
}
EOF
salt() { echo "\"$1-$RANDOM$RANDOM\"" > salt.nix; git add -A >/dev/null; }
git init -q . && salt init && git commit -qm fixture

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "fixture: $HOSTS hosts, fold of ~$COST steps each, $(nproc) cores, $(nix --version), best of $REPEAT rounds"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

targets=()
for h in "${names[@]}"; do targets+=(".#nixosConfigurations.\"$h\".config.system.build.toplevel"); done

run_a() {
  for h in "${names[@]}"; do
    nix build --no-link ".#nixosConfigurations.\"$h\".config.system.build.toplevel" 2>/dev/null
  done
}
run_b() { nix build --no-link "${targets[@]}" 2>/dev/null; }
# Peak RSS of the orchestrator itself (not its Nix children): VmHWM of its
# own /proc entry, sampled until it exits (rusage would fold in the children).
run_c() {
  "$BIN" nixos-check bench --all-hosts --jobs 2 -q "$@" >/dev/null 2>"$WORK/check.err" &
  local pid=$! v rc=0
  while kill -0 "$pid" 2>/dev/null; do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "${v:-}" ] && [ "$v" -gt "$hwm" ] && hwm=$v
    sleep 0.02
  done
  wait "$pid" || rc=$?
  [ "$rc" = 0 ] || { echo "nixos-check failed ($rc):"; cat "$WORK/check.err"; exit 1; }
}
# CPU seconds (user + sys) of every waited-for child so far, from `times`.
# (`times` runs in this shell: a subshell would not see our children.)
cpu_now() {
  times >"$WORK/times"
  CPU=$(awk 'NR == 2 {
    n = split($1 " " $2, t, " "); s = 0
    for (i = 1; i <= n; i++) { split(t[i], p, "m"); sub("s", "", p[2]); s += p[1] * 60 + p[2] }
    printf "%.2f", s }' "$WORK/times")
}
best() { awk -v x="$1" -v y="$2" 'BEGIN { print (y == "" || x < y) ? x : y }'; }

# Control: how much parallelism the machine gives right now (the same fold,
# one evaluator alone, then two at once). 2.0 means two free cores.
burn="builtins.foldl' (acc: x: acc + x * x) 0 (builtins.genList (x: x) $COST)"
t0=$(now); nix eval --impure --expr "$burn" >/dev/null; one=$(elapsed "$t0" "$(now)")
t0=$(now); nix eval --impure --expr "$burn" >/dev/null & nix eval --impure --expr "$burn" >/dev/null; wait
two=$(elapsed "$t0" "$(now)")
awk -v o="$one" -v t="$two" 'BEGIN { printf "control: one evaluator %.2fs, two at once %.2fs: parallel speedup available %.2f\n", o, t, 2 * o / t }'

hwm=0; a=""; b=""; c=""; d=""
for round in $(seq 1 "$REPEAT"); do
  salt "a$round"; cpu_now; u0=$CPU; t0=$(now); run_a; ta=$(elapsed "$t0" "$(now)"); cpu_now; ua=$(elapsed "$u0" "$CPU")
  salt "b$round"; cpu_now; u0=$CPU; t0=$(now); run_b; tb=$(elapsed "$t0" "$(now)"); cpu_now; ub=$(elapsed "$u0" "$CPU")
  salt "c$round"; cpu_now; u0=$CPU; t0=$(now); run_c --no-diff; tc=$(elapsed "$t0" "$(now)"); cpu_now; uc=$(elapsed "$u0" "$CPU")
  # (d): the same with the base comparison (security facts, closures): the
  # base is the last commit, whose salt differs, so its toplevels are evaluated and built too.
  salt "d$round"; cpu_now; u0=$CPU; t0=$(now); run_c; td=$(elapsed "$t0" "$(now)"); cpu_now; ud=$(elapsed "$u0" "$CPU")
  echo "round $round: wall (a) ${ta}s (b) ${tb}s (c) ${tc}s (d) ${td}s | cpu (a) ${ua}s (b) ${ub}s (c) ${uc}s (d) ${ud}s"
  a=$(best "$ta" "$a"); b=$(best "$tb" "$b"); c=$(best "$tc" "$c"); d=$(best "$td" "$d")
done
built=$(grep -c '"status": "built"' openspec/changes/bench/verification/report.json)
echo "(a) sequential nix build per host:      ${a}s"
echo "(b) one nix build of all toplevels:     ${b}s"
echo "(c) openspec nixos-check --jobs 2 --no-diff: ${c}s"
echo "(d) openspec nixos-check --jobs 2 (base diff): ${d}s  ($built/$HOSTS built)"
awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v hwm="$hwm" 'BEGIN {
  printf "ratio c/a: %.2f (target <= 0.60)\n", c / a
  printf "ratio c/b: %.2f (target <= 1.10)\n", c / b
  printf "base diff costs: %.2fs (d - c)\n", d - c
  printf "orchestrator peak RSS: %.1f MB (target < 30 MB)\n", hwm / 1024
}'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
