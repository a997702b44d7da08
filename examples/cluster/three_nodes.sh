#!/usr/bin/env bash
# examples/cluster/three_nodes.sh [NODE_BINARY]: three nodes on one machine, each with its own -sname: two beampp
# nodes (example_cluster_node cpp1 and cpp2) and an erl node (three_nodes.erl), with a private EPMD and a fresh
# cookie. erl pings both, sends a message round the triangle (erl -> cpp1 -> cpp2 -> erl: cpp1 connects to cpp2,
# cpp2 to erl), calls cpp1's C++ gen_server, then stops both. Prints each node's lines; exits non-zero when a
# step fails. ctest runs it as example_three_nodes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node_bin=${1:-$here/../../build/release/examples/example_cluster_node}
for tool in epmd erl erlc timeout; do
  command -v "$tool" >/dev/null || { echo "three_nodes.sh: $tool is not installed (scripts/setup.sh test)" >&2; exit 1; }
done
port=$((20000 + RANDOM % 20000))
export ERL_EPMD_PORT=$port
cookie="demo$RANDOM$RANDOM"
host=$(hostname -s)
tmp=$(mktemp -d)
epmd -address 127.0.0.1 -port "$port" -daemon -relaxed_command_check
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  epmd -port "$port" -kill >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
erlc -o "$tmp" "$here/three_nodes.erl"
for n in cpp1 cpp2; do
  timeout 60 "$node_bin" "$n" "$cookie" >"$tmp/$n.out" 2>&1 &
  pids+=("$!")
done
for n in cpp1 cpp2; do
  for _ in $(seq 1 100); do grep -q "is up" "$tmp/$n.out" && break; sleep 0.1; done
done
timeout 60 erl -sname "erl$RANDOM" -setcookie "$cookie" -noshell -pa "$tmp" \
  -run three_nodes main "cpp1@$host" "cpp2@$host" | sed 's/^/erl:  /'
for p in "${pids[@]}"; do wait "$p"; done
pids=()
for n in cpp1 cpp2; do sed "s/^/$n: /" "$tmp/$n.out"; done
