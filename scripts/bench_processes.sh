#!/usr/bin/env bash
# scripts/bench_processes.sh [RUNS] [WORKLOAD ...]: the process benchmarks W1-W10 side by side with Erlang/OTP.
# Builds the release preset, compiles the Erlang twin (bench/erlang/workloads.erl), runs each workload RUNS times
# (default 3) alternating beampp and erl, prints every RESULT line, then a table of medians with the ratio
# (how many times better beampp is: Erlang/beampp for times and bytes, beampp/Erlang for rates and counts).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(w1_spawn_exit w2_idle_memory w3_ring w3_pingpong w4_skynet w5_fan_in w6_fairness
                                           w7_link_chain w8_gen_server_call w9_supervisor_restart w10_monitor_down)

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
awk '
  # The figures each workload measures (the rest of its keys are parameters); the first is the headline.
  BEGIN {
    metrics["w1_spawn_exit"] = "ns_per_proc"
    metrics["w2_idle_memory"] = "rss_bytes_per_proc ns_per_spawn"
    metrics["w3_ring"] = "ns_per_hop"
    metrics["w3_pingpong"] = "ns_per_round_trip"
    metrics["w4_skynet"] = "total_ms"
    metrics["w5_fan_in"] = "msgs_per_sec"
    metrics["w6_fairness"] = "max_us round_trips p50_us p99_us"
    metrics["w7_link_chain"] = "total_ms"
    metrics["w8_gen_server_call"] = "ns_per_call"
    metrics["w9_supervisor_restart"] = "p50_us p99_us"
    metrics["w10_monitor_down"] = "ns_per_monitor"
  }
  function higher_is_better(key) { return key == "msgs_per_sec" || key == "round_trips" }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  /^RESULT / {
    delete kv
    for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
    w = kv["workload"]
    if (!(w in seen)) { seen[w] = 1; order[++count] = w }
    for (k in kv) vals[w, kv["system"], k] = vals[w, kv["system"], k] " " kv[k]
  }
  END {
    printf "%-16s %-20s %14s %14s %9s\n", "workload", "metric", "beampp", "erlang", "ratio"
    for (i = 1; i <= count; i++) {
      w = order[i]
      n = split(metrics[w], keys, " ")
      for (j = 1; j <= n; j++) {
        key = keys[j]
        if (!((w, "beampp", key) in vals) || !((w, "erlang", key) in vals)) continue
        b = median(vals[w, "beampp", key]); e = median(vals[w, "erlang", key])
        ratio = (b + 0 == 0 || e + 0 == 0) ? 0 : (higher_is_better(key) ? b / e : e / b)
        printf "%-16s %-20s %14.1f %14.1f %8.2fx%s\n", w, key, b, e, ratio, j == 1 ? "  *" : ""
      }
    }
    print "(medians of the runs; ratio > 1: beampp better; * the headline figure of the workload)"
  }' "$results"
