# scripts/bench_table.awk: the table of medians and ratios of RESULT lines (beampp and Erlang), one row per
# workload, scheduler count and figure. Used by bench_processes.sh and bench_scaling.sh.
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
  metrics["w13_blocking_neighbours"] = "ratio round_trips_per_sec baseline_round_trips_per_sec"
}
function higher_is_better(key) { return key ~ /_per_sec$/ || key == "round_trips" || key == "ratio" }
/^RESULT / {
  delete kv
  for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
  w = kv["workload"] (kv["schedulers"] == "" ? "" : " S=" kv["schedulers"])
  if (!(w in seen)) { seen[w] = 1; order[++count] = w }
  for (k in kv) vals[w, kv["system"], k] = vals[w, kv["system"], k] " " kv[k]
}
END {
  printf "%-27s %-20s %14s %14s %9s\n", "workload", "metric", "beampp", "erlang", "ratio"
  for (i = 1; i <= count; i++) {
    w = order[i]
    split(w, name, " ")
    n = split(metrics[name[1]], keys, " ")
    for (j = 1; j <= n; j++) {
      key = keys[j]
      if (!((w, "beampp", key) in vals) || !((w, "erlang", key) in vals)) continue
      b = median(vals[w, "beampp", key]); e = median(vals[w, "erlang", key])
      ratio = (b + 0 == 0 || e + 0 == 0) ? 0 : (higher_is_better(key) ? b / e : e / b)
      fig = key == "ratio" ? "%14.3f %14.3f" : "%14.1f %14.1f"  # W13's ratio is near 1: three decimals
      printf "%-27s %-20s " fig " %8.2fx%s\n", w, key, b, e, ratio, j == 1 ? "  *" : ""
    }
  }
  print "(medians of the runs; ratio > 1: beampp better; * the headline figure of the workload)"
}
