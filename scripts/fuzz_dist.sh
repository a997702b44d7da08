#!/usr/bin/env bash
# scripts/fuzz_dist.sh [SECONDS]: builds the fuzz preset (clang, libFuzzer, ASan+UBSan) and fuzzes what a
# distribution peer sends (fuzz/dist_frame_fuzzer.cpp: frames after the handshake and each handshake packet) for
# SECONDS (default 60). Seeds: erl's ETF corpus (scripts/make_fuzz_corpus.sh), each term behind the pass-through
# frame tag 112, as a control term. Fails on any crash, leak or sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if [[ ${BEAM_FUZZ_BUILT:-0} != 1 ]]; then  # scripts/test.sh builds both fuzzers first, then runs them at once
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$(nproc)" --target dist_frame_fuzzer
fi
terms=build/fuzz/dist_terms corpus=build/fuzz/dist_corpus
rm -rf "$terms" "$corpus" && mkdir -p "$terms" "$corpus"
scripts/make_fuzz_corpus.sh "$terms"
for f in "$terms"/*; do
  { printf 'p'; cat "$f"; } >"$corpus/$(basename "$f")"
done
echo "seed corpus: $(ls "$corpus" | wc -l) files"
build/fuzz/fuzz/dist_frame_fuzzer -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$corpus"
