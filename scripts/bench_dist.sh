#!/usr/bin/env bash
# scripts/bench_dist.sh [RUNS]: the distribution benchmarks of issue 13 between beampp nodes and erl nodes on this
# machine, every pairing in the same run. W14 (w14_dist_send: messages {self(), Seq, hello} to a node's `echo` and
# back, at most W14_WINDOW on their way) and W15 (w15_dist_call: gen_server calls to a node's `w15_server`, one after
# another). Each run (default 3) starts an erl server node and a beampp server node in turn; against each, an erl
# client node and a beampp client node run W14 then W15 (bench/erlang/dist_bench.erl, bench/dist_bench.cpp). All
# nodes use a private EPMD on a free port and a fresh cookie. Prints every RESULT line, then the medians per
# client -> server pairing, and the ratios of beampp <-> beampp against erl <-> erl (the system against the
# system) and of beampp -> erl against erl -> erl (the client alone, the same server).
#
# Environment: W14_MSGS (1000000) W14_WINDOW (1000) W15_CALLS (100000) TIMEOUT (300 s per client run).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/bench_dist.sh [RUNS]" >&2; exit 1; }
msgs=${W14_MSGS:-1000000} window=${W14_WINDOW:-1000} calls=${W15_CALLS:-100000} timeout=${TIMEOUT:-300}

scripts/setup.sh test >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target dist_bench >&2
bench=build/release/bench/dist_bench

tmp=$(mktemp -d)
server=""
epmd_port=""
# shellcheck disable=SC2317  # run by the trap
cleanup() {
  [[ -z $server ]] || kill -9 "$server" 2>/dev/null || true
  [[ -z $epmd_port ]] || epmd -port "$epmd_port" -kill >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

erlc -o "$tmp" bench/erlang/dist_bench.erl bench/erlang/w8_server.erl
epmd_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export ERL_EPMD_PORT=$epmd_port
epmd -address 127.0.0.1 -port "$epmd_port" -daemon
cookie="bench_$$_$RANDOM"
nodes=0

# start_server SYSTEM: a server node of SYSTEM (erlang or beampp); sets server (its pid) and server_node once it
# printed "ready NODE".
start_server() {
  local name="dsrv_$1_$$_$((++nodes))" out="$tmp/server.out" t
  : >"$out"
  if [[ $1 == erlang ]]; then
    erl -sname "$name" -setcookie "$cookie" -noshell -pa "$tmp" -run dist_bench main serve >"$out" 2>&1 &
  else
    "$bench" serve --name "$name" --cookie "$cookie" >"$out" 2>&1 &
  fi
  server=$!
  for ((t = 0; t < 300; t++)); do
    server_node=$(sed -n 's/^ready \(.*\)$/\1/p' "$out")
    [[ -z $server_node ]] || return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench_dist: the $1 server printed no 'ready NODE' within 30 s; its output:" >&2
  cat "$out" >&2
  return 1
}

stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}

# client SYSTEM SERVER_SYSTEM WORKLOAD: one client node's run against server_node; its RESULT line to stdout.
client() {
  local name="dcli_$1_$$_$((++nodes))"
  if [[ $1 == erlang ]]; then
    local args=("$server_node" "$msgs" "$window" "$2")
    [[ $3 == w14 ]] || args=("$server_node" "$calls" "$2")
    timeout "$timeout" erl -sname "$name" -setcookie "$cookie" -noshell -pa "$tmp" -run dist_bench main "$3" "${args[@]}"
  else
    local args=(--msgs "$msgs" --window "$window")
    [[ $3 == w14 ]] || args=(--calls "$calls")
    timeout "$timeout" "$bench" "$3" --name "$name" --cookie "$cookie" --peer "$server_node" --server "$2" "${args[@]}"
  fi
}

results="$tmp/results"
: >"$results"
for ((i = 1; i <= runs; i++)); do
  for srv in erlang beampp; do
    start_server "$srv"
    for cli in beampp erlang; do
      for w in w14 w15; do client "$cli" "$srv" "$w" | tee -a "$results"; done
    done
    stop_server
  done
done

echo
awk -f scripts/median.awk -f scripts/bench_dist_table.awk "$results"
