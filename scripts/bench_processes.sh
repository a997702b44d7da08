#!/usr/bin/env bash
# scripts/bench_processes.sh [RUNS] [WORKLOAD ...]: the process benchmarks W1-W6 side by side with Erlang/OTP.
# Builds the release preset, compiles the Erlang twin (bench/erlang/workloads.erl), runs each workload RUNS times
# (default 3) alternating beampp and erl, prints every RESULT line, then a table of medians with the ratio
# (how many times better beampp is: Erlang/beampp for times and bytes, beampp/Erlang for rates and counts).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(w1_spawn_exit w2_idle_memory w3_ring w3_pingpong w4_skynet w5_fan_in w6_fairness)

scripts/setup.sh test >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target beampp >&2
ebin=build/release/bench-erlang
mkdir -p "$ebin"
erlc -o "$ebin" bench/erlang/workloads.erl

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
  function primary(w) {
    if (w == "w1_spawn_exit") return "ns_per_proc"
    if (w == "w2_idle_memory") return "rss_bytes_per_proc"
    if (w == "w3_ring") return "ns_per_hop"
    if (w == "w3_pingpong") return "ns_per_round_trip"
    if (w == "w4_skynet") return "total_ms"
    if (w == "w5_fan_in") return "msgs_per_sec"
    if (w == "w6_fairness") return "max_us"
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
    w = kv["workload"]; sys = kv["system"]
    if (!(w in seen)) { seen[w] = 1; order[++count] = w }
    for (k in kv) if (k != "system" && k != "workload" && k != "schedulers") vals[w, sys, k] = vals[w, sys, k] " " kv[k]
    if (sys == "beampp") keys[w] = keys[w] " " 
  }
  END {
    printf "%-16s %-20s %14s %14s %8s\n", "workload", "metric", "beampp", "erlang", "ratio"
    for (i = 1; i <= count; i++) {
      w = order[i]
      for (combined in vals) {
        split(combined, c, SUBSEP)
        if (c[1] != w || c[2] != "beampp") continue
        key = c[3]
        if (!((w, "erlang", key) in vals)) continue
        b = median(vals[w, "beampp", key]); e = median(vals[w, "erlang", key])
        if (b + 0 == 0 || e + 0 == 0) continue
        if (key ~ /^(n|procs|hops|round_trips|leaves|senders|per_sender|hogs|window_ms|sum)$/ && key != primary(w) && !(w == "w6_fairness" && key == "round_trips")) continue
        ratio = higher_is_better(key) ? b / e : e / b
        printf "%-16s %-20s %14.1f %14.1f %7.2fx%s\n", w, key, b, e, ratio, key == primary(w) ? "  *" : ""
      }
    }
    print "(medians; ratio > 1: beampp better; * the workload'"'"'s headline figure)"
  }' "$results"
