#!/usr/bin/env bash
# scripts/bench_scaling.sh "SCHEDULERS..." [RUNS] [WORKLOAD ...]: how the process benchmarks scale with the number
# of schedulers, beampp beside Erlang/OTP (erl +S N:N) at each count, alternating, RUNS times each (default 1).
# For machines with more cores than this project's (2): e.g. scripts/bench_scaling.sh "1 2 4 8 16".
# Workloads (default: w1_spawn_exit w3_ring w4_skynet w5_fan_in) run with their default parameters; w5_fan_in with
# 1,000 senders. BEAMPP=path runs that binary instead of building the release preset; EBIN=dir takes the compiled
# Erlang twin from there.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=${1:?usage: scripts/bench_scaling.sh \"1 2 4 ...\" [RUNS] [WORKLOAD ...]}
runs=${2:-1}
shift $(($# < 2 ? $# : 2))
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(w1_spawn_exit w3_ring w4_skynet w5_fan_in)

beampp=${BEAMPP:-build/release/tools/beampp}
ebin=${EBIN:-build/release/bench-erlang}
if [[ -z "${BEAMPP:-}" ]]; then
  scripts/setup.sh test >&2
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)" --target beampp >&2
fi
if [[ -z "${EBIN:-}" ]]; then
  mkdir -p "$ebin"
  erlc -o "$ebin" bench/erlang/workloads.erl bench/erlang/w8_server.erl bench/erlang/w9_sup.erl
fi

args_of() { [[ $1 == w5_fan_in ]] && echo "senders=1000 per_sender=10000" || true; }

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for s in $counts; do
  for w in "${workloads[@]}"; do
    read -ra args <<<"$(args_of "$w")"
    for ((i = 1; i <= runs; i++)); do
      "$beampp" bench "$w" "${args[@]}" schedulers="$s" 2>/dev/null | tee -a "$results"
      erl +S "$s:$s" +P 134217727 -noshell -pa "$ebin" -run workloads main "$w" "${args[@]}" | tee -a "$results"
    done
  done
done

echo
awk -f scripts/median.awk -f scripts/bench_table.awk "$results"
