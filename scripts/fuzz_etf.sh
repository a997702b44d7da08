#!/usr/bin/env bash
# scripts/fuzz_etf.sh [SECONDS]: builds the fuzz preset (clang, libFuzzer, ASan+UBSan) and fuzzes the ETF decoder
# for SECONDS (default 60) from a seed corpus that erl writes. Fails on any crash, leak or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if [[ ${BEAM_FUZZ_BUILT:-0} != 1 ]]; then  # scripts/test.sh builds both fuzzers first, then runs them at once
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$(nproc)" --target etf_decode_fuzzer
fi
corpus=build/fuzz/corpus
rm -rf "$corpus" && mkdir -p "$corpus"
scripts/make_fuzz_corpus.sh "$corpus"
echo "seed corpus: $(ls "$corpus" | wc -l) files"
build/fuzz/fuzz/etf_decode_fuzzer -max_total_time="$seconds" -print_final_stats=1 "$corpus"
