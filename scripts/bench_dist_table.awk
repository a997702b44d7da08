# scripts/bench_dist_table.awk: the table of bench_dist.sh: medians per client -> server pairing of W14 and W15, and
# the ratios beampp<->beampp / erl<->erl and beampp->erl / erl->erl. Needs scripts/median.awk.
/^RESULT / {
  delete kv
  for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
  c = kv["client"] == "erl" ? "erlang" : kv["client"]
  for (k in kv) vals[kv["workload"], c, kv["server"], k] = vals[kv["workload"], c, kv["server"], k] " " kv[k]
}
function m(w, c, s, k) { return ((w, c, s, k) in vals) ? median(vals[w, c, s, k]) : 0 }
function row(w, k, higher,   bb, ee, be, eb) {
  bb = m(w, "beampp", "beampp", k); ee = m(w, "erlang", "erlang", k)
  be = m(w, "beampp", "erlang", k); eb = m(w, "erlang", "beampp", k)
  printf "%-15s %-14s %12.1f %12.1f %12.1f %12.1f %9.2fx %9.2fx\n", w, k, bb, ee, be, eb,
    (bb == 0 || ee == 0) ? 0 : (higher ? bb / ee : ee / bb), (be == 0 || ee == 0) ? 0 : (higher ? be / ee : ee / be)
}
END {
  printf "%-15s %-14s %12s %12s %12s %12s %10s %10s\n", "workload", "metric", "cpp->cpp", "erl->erl", "cpp->erl",
    "erl->cpp", "cpp/erl", "client"
  row("w14_dist_send", "msgs_per_sec", 1)
  row("w15_dist_call", "calls_per_sec", 1)
  row("w15_dist_call", "p50_us", 0)
  row("w15_dist_call", "p99_us", 0)
  print "(medians of the runs; cpp/erl: beampp<->beampp against erl<->erl; client: beampp->erl against erl->erl;"
  print " ratio > 1: beampp better)"
}