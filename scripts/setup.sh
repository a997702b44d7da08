#!/usr/bin/env bash
# scripts/setup.sh: makes sure the Debian 12 packages beampp needs are installed.
# As root, installs what is missing with apt-get; otherwise lists what is missing and fails.
# Usage: scripts/setup.sh [build|tour|bench|test]   (tour needs erl for its cluster step, bench for the Erlang
# twins of the benchmarks; test needs erl/elixir for the oracle and interop tests and clang for fuzzing)
set -euo pipefail

need=(g++ cmake make libfmt-dev zlib1g-dev libcli11-dev libgtest-dev libbenchmark-dev)
case "${1:-build}" in
  tour | bench) need+=(erlang-base) ;;
  test) need+=(erlang-base elixir clang libclang-rt-14-dev) ;;
esac

missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "beampp: missing Debian packages: ${missing[*]}" >&2
  echo "beampp: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "beampp: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
