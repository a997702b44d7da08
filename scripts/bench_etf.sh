#!/usr/bin/env bash
# scripts/bench_etf.sh [etf_bench flags...]: builds the release preset and compares beampp's term_to_binary and
# binary_to_term with OTP's on the same corpus of small messages (bench/etf_bench.cpp, bench/erlang/etf_bench.erl).
# Prints Google Benchmark's table, a summary table and the RESULT lines; flags go to etf_bench, for example
#   scripts/bench_etf.sh --passes=5 --reps=7 --corpus-mb=4
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in erl escript; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/setup.sh or apt-get install erlang-base" >&2; exit 1; }
done
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target etf_bench
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(erl -noshell -eval 'io:format("OTP ~s", [erlang:system_info(otp_release)]), halt().')"
exec build/release/bench/etf_bench "$@"
