#!/usr/bin/env bash
# scripts/bench_tcp.sh [RUNS]: the TCP benchmarks of issue 11 side by side with Erlang/OTP. W11 (w11_tcp_echo: round
# trips of a 64-byte message over 1,000 connections) and W12 (w12_idle_conns: server memory per idle connection,
# 19,000 connections), against beampp's echo server (examples/echo_server.cpp) and its Erlang twin
# (bench/erlang/tcp_echo.erl), both driven by one load generator (bench/tcp_load.cpp) on loopback.
# Each run (default 3) starts each server, runs W11, stops it, starts a fresh one for W12, stops it. Prints every
# RESULT line, then a markdown table of medians with the ratio beampp/Erlang.
#
# Environment (to run it small, or against other servers; a server command gets the port, 0, appended and must
# print "listening on port N"):
#   BEAMPP_SERVER  default "build/release/examples/example_echo_server --port" (built here when that is the command)
#   ERLANG_SERVER  default "erl -noshell -pa <tmp ebin> -run tcp_echo main"
#   W11_CONNS (1000) W11_MSGS (1000) W11_BYTES (64) W12_CONNS (19000) TCP_LOAD_TIMEOUT (120 s per tcp_load run)
# Without beampp's server binary it says so and measures Erlang only. Exits non-zero when a measurement failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/bench_tcp.sh [RUNS]" >&2; exit 1; }
w11_conns=${W11_CONNS:-1000} w11_msgs=${W11_MSGS:-1000} w11_bytes=${W11_BYTES:-64} w12_conns=${W12_CONNS:-19000}
timeout=${TCP_LOAD_TIMEOUT:-120}

tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Both servers hold up to W12_CONNS descriptors, the load generator as many: 20,000 is the hard limit here.
ulimit -n "$(ulimit -Hn)"

scripts/setup.sh bench >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target tcp_load >&2
load=build/release/bench/tcp_load

default_beampp=build/release/examples/example_echo_server
beampp_server=${BEAMPP_SERVER:-"$default_beampp --port"}
if [[ ${beampp_server%% *} == "$default_beampp" && -f examples/echo_server.cpp ]]; then
  cmake --build --preset release -j"$(nproc)" --target example_echo_server >&2 ||
    echo "bench_tcp: beampp's echo server did not build (above)" >&2
fi
mkdir -p "$tmp/ebin"
erlc -o "$tmp/ebin" bench/erlang/tcp_echo.erl
erlang_server=${ERLANG_SERVER:-"erl -noshell -pa $tmp/ebin -run tcp_echo main"}

systems=(erlang)
if command -v "${beampp_server%% *}" >/dev/null; then
  systems+=(beampp)
else
  echo "bench_tcp: no beampp echo server: '${beampp_server%% *}' is missing (examples/echo_server.cpp not" \
    "written or not built yet); measuring Erlang only" >&2
fi

# start_server CMD: starts `CMD 0`, waits for its "listening on port N"; sets server_pid (the process that listens,
# found with ss, so a wrapper that forks still gives the server's CPU time and RSS) and server_port.
starts=0
start_server() {
  local out="$tmp/server.$((++starts))" launched t
  : >"$out"
  # shellcheck disable=SC2086  # the command is words on purpose
  $1 0 >"$out" 2>"$out.err" &
  launched=$!
  pids+=("$launched")
  for ((t = 0; t < 300; t++)); do
    server_port=$(sed -n 's/^listening on port \([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
    if [[ -n $server_port ]]; then
      server_pid=$(ss -Hltnp "sport = :$server_port" 2>/dev/null | sed -n 's/.*pid=\([0-9][0-9]*\).*/\1/p' | head -n 1)
      server_pid=${server_pid:-$launched}
      [[ $server_pid == "$launched" ]] || pids+=("$server_pid")
      return 0
    fi
    if ! kill -0 "$launched" 2>/dev/null; then
      echo "bench_tcp: server '$1 0' exited before listening; its stderr:" >&2
      cat "$out.err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "bench_tcp: server '$1 0' printed no 'listening on port N' within 30 s" >&2
  return 1
}

# stop_servers: TERM to every server started, KILL after 5 s, and reaps them.
stop_servers() {
  local pid t
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ((t = 0; t < 50; t++)); do
    local alive=0
    for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

results="$tmp/results"
: >"$results"
failed=0
# measure SYSTEM SERVER_CMD MODE ARGS...: a fresh server, one tcp_load run against it, the server stopped.
# tcp_load runs in the background and the shell waits for it, so a TERM or Ctrl-C runs the trap at once.
measure() {
  local system=$1 cmd=$2 mode=$3 status=0
  shift 3
  if start_server "$cmd"; then
    "$load" "$mode" --port "$server_port" --system "$system" --server-pid "$server_pid" --timeout "$timeout" "$@" \
      >"$tmp/result" &
    pids+=("$!")
    wait "$!" || status=$?
    tee -a "$results" <"$tmp/result"
  else
    status=1
  fi
  if ((status != 0)); then
    echo "bench_tcp: $system $mode failed (above)" >&2
    failed=1
  fi
  stop_servers
}

load_avg=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 1; i <= runs; i++)); do
  for system in "${systems[@]}"; do
    if [[ $system == erlang ]]; then cmd=$erlang_server; else cmd=$beampp_server; fi
    measure "$system" "$cmd" echo --conns "$w11_conns" --msgs "$w11_msgs" --bytes "$w11_bytes"
    measure "$system" "$cmd" idle --conns "$w12_conns"
  done
done

echo
awk -v runs="$runs" '
  BEGIN {
    n = split("w11_tcp_echo round_trips_per_sec higher|w11_tcp_echo p50_us lower|w11_tcp_echo p99_us lower|" \
              "w11_tcp_echo server_cpu_us_per_rt lower|w12_idle_conns rss_bytes_per_conn lower|" \
              "w12_idle_conns sock_mem_bytes_per_conn lower", rows, "|")
  }
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  /^RESULT / {
    delete kv
    for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
    for (k in kv) vals[kv["workload"], kv["system"], k] = vals[kv["workload"], kv["system"], k] " " kv[k]
  }
  END {
    print "| workload | figure | beampp | Erlang | beampp/Erlang |"
    print "|---|---|---:|---:|---:|"
    for (r = 1; r <= n; r++) {
      split(rows[r], f, " ")
      has_b = (f[1], "beampp", f[2]) in vals; has_e = (f[1], "erlang", f[2]) in vals
      b = has_b ? median(vals[f[1], "beampp", f[2]]) : ""; e = has_e ? median(vals[f[1], "erlang", f[2]]) : ""
      ratio = has_b && has_e && e + 0 != 0 ? sprintf("%.2f", b / e) : "-"
      fmt = f[2] == "round_trips_per_sec" ? "%.0f" : "%.1f"
      printf "| %s | %s (%s is better) | %s | %s | %s |\n", f[1], f[2], f[3], has_b ? sprintf(fmt, b) : "-",
             has_e ? sprintf(fmt, e) : "-", ratio
    }
    printf "\n(medians of %d runs; ratio beampp/Erlang: above 1 is better for round_trips_per_sec, below 1 for the rest)\n", runs
  }' "$results"
echo "W11: conns=$w11_conns msgs_per_conn=$w11_msgs msg_bytes=$w11_bytes; W12: conns=$w12_conns;" \
  "measured on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r)," \
  "OTP $(erl -noshell -eval 'io:put_chars(erlang:system_info(otp_release)), halt().'), load average $load_avg at start"
exit "$failed"
