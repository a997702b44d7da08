#!/usr/bin/env bash
# examples/cluster/run_demo.sh [NODE_BINARY]: the cluster example in one command: a private EPMD (its own port),
# the C++ node (example_cluster_node) and the Elixir side (elixir_side.exs), with a fresh cookie. Prints both
# sides' lines; exits non-zero when a step fails. ctest runs it as example_cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node_bin=${1:-$here/../../build/release/examples/example_cluster_node}
for tool in epmd elixir timeout; do
  command -v "$tool" >/dev/null || { echo "run_demo.sh: $tool is not installed (scripts/setup.sh test)" >&2; exit 1; }
done
port=$((20000 + RANDOM % 20000))
export ERL_EPMD_PORT=$port
cookie="demo$RANDOM$RANDOM"
host=$(hostname -s)
epmd -address 127.0.0.1 -port "$port" -daemon -relaxed_command_check
node_pid=""
cleanup() {
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null || true
  epmd -port "$port" -kill >/dev/null 2>&1 || true
}
trap cleanup EXIT
out=$(mktemp)
timeout 60 "$node_bin" cpp "$cookie" >"$out" 2>&1 &
node_pid=$!
for _ in $(seq 1 100); do grep -q "is up" "$out" && break; sleep 0.1; done
sed 's/^/c++:    /' "$out"
timeout 60 elixir --sname "ex$RANDOM" --cookie "$cookie" "$here/elixir_side.exs" "cpp@$host" | sed 's/^/elixir: /'
wait "$node_pid"
node_pid=""
tail -n +2 "$out" | sed 's/^/c++:    /'
