#!/usr/bin/env bash
# scripts/bench_processes.sh [RUNS] [WORKLOAD ...]: the process benchmarks W1-W10 and W13 side by side with
# Erlang/OTP. Builds the release preset, compiles the Erlang twin (bench/erlang/workloads.erl), runs each workload
# RUNS times (default 3) alternating beampp and erl, prints every RESULT line, then a table of medians with the ratio
# (how many times better beampp is: Erlang/beampp for times and bytes, beampp/Erlang for rates and counts).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(w1_spawn_exit w2_idle_memory w3_ring w3_pingpong w4_skynet w5_fan_in w6_fairness
                                           w7_link_chain w8_gen_server_call w9_supervisor_restart w10_monitor_down
                                           w13_blocking_neighbours)

scripts/setup.sh test >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target beampp >&2
ebin=build/release/bench-erlang
mkdir -p "$ebin"
erlc -o "$ebin" bench/erlang/workloads.erl bench/erlang/w8_server.erl bench/erlang/w9_sup.erl

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for w in "${workloads[@]}"; do
  for ((i = 1; i <= runs; i++)); do
    build/release/tools/beampp bench "$w" 2>/dev/null | tee -a "$results"
    erl +P 134217727 -noshell -pa "$ebin" -run workloads main "$w" | tee -a "$results"
  done
done

echo
awk -f scripts/median.awk -f scripts/bench_table.awk "$results"
