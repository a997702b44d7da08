#!/bin/sh
# make_fuzz_corpus.sh OUTDIR: writes the seed corpus of fuzz/etf_decode_fuzzer.cpp into OUTDIR with erl (OTP 25):
# a few hundred term_to_binary outputs (every tag at its edges, random nested terms, compressed terms) and the older
# forms OTP still reads, one per file. See scripts/fuzz_corpus.erl.
set -eu
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
outdir=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
erlc -o "$work" "$here/fuzz_corpus.erl"
mkdir -p "$outdir"
erl -noshell -pa "$work" -eval "fuzz_corpus:main([\"$outdir\"]), halt()."
