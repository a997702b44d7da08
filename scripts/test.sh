#!/usr/bin/env bash
# scripts/test.sh: builds and passes every test. Installs what is missing (as root), then:
#   1. release preset: all tests, including the comparisons with real erl/elixir and the find_package consumer;
#   2. asan preset (AddressSanitizer + UndefinedBehaviorSanitizer): all tests;
#   3. tsan preset (ThreadSanitizer): the concurrency tests (sockets and the poller included);
#   4. the libFuzzer targets for the ETF decoder and for a distribution peer's frames and handshake packets,
#      FUZZ_SECONDS (default 60) seconds each from erl-made seed corpora, the two at once.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS=0
# stage NAME: announces a stage with the seconds since the start, so CI's log shows where its time goes.
stage() { echo "== $* (at ${SECONDS} s)"; }
scripts/setup.sh test
jobs=$(nproc)

for preset in release asan; do
  stage "$preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j"$jobs"
  stage "$preset: test"
  ctest --preset "$preset" -j"$jobs"
done

stage "tsan: the concurrency tests (terms, atoms, pools, scheduler, processes, messages, signals, servers, tasks, poller, sockets, distribution) over 1, 2 and 4 schedulers"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs" --target term_tests process_tests otp_tests io_tests dist_tests
# Each line: a test executable (tests/CMakeLists.txt, beam_test_groups), the gtest filter of its concurrent
# tests, and in how many shards it runs (the longest first: send_receive_test's and crash_test's tests take
# half a minute or more each here). The shards run $jobs at a time, each into its own log; a failing shard's
# log is shown and the stage fails once all have run.
runs=()
for exe_filter_shards in "process_tests * 4" "otp_tests * 2" "dist_tests * 2" "io_tests * 1" "term_tests Atom.*:Term.* 1"; do
  read -r exe filter shards <<<"$exe_filter_shards"
  for ((shard = 0; shard < shards; ++shard)); do runs+=("$exe $filter $shards $shard"); done
done
mkdir -p build/tsan/logs
tsan_test() {
  local exe=$1 filter=$2 shards=$3 shard=$4 log="build/tsan/logs/$1.$4.log"
  if ! GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$shard \
      TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan.supp" "build/tsan/tests/$exe" --gtest_brief=1 \
      --gtest_filter="$filter" >"$log" 2>&1; then
    echo "== tsan: $exe, shard $((shard + 1)) of $shards, failed"
    cat "$log"
    return 1
  fi
  echo "tsan: $exe, shard $((shard + 1)) of $shards, passed in ${SECONDS} s"
}
export -f tsan_test
printf '%s\n' "${runs[@]}" | xargs -P "$jobs" -L 1 bash -c 'tsan_test "$@"' _

stage "fuzz: the ETF decoder and a distribution peer's frames and handshake packets, ${FUZZ_SECONDS:-60} s each, side by side"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs" --target etf_decode_fuzzer dist_frame_fuzzer
# Each fuzzer is one thread: the two share the machine's cores. Their logs are shown once both are done.
BEAM_FUZZ_BUILT=1 scripts/fuzz_etf.sh "${FUZZ_SECONDS:-60}" >build/fuzz/etf.log 2>&1 & etf=$!
BEAM_FUZZ_BUILT=1 scripts/fuzz_dist.sh "${FUZZ_SECONDS:-60}" >build/fuzz/dist.log 2>&1 & dist=$!
etf_rc=0 dist_rc=0
wait "$etf" || etf_rc=$?
wait "$dist" || dist_rc=$?
tail -n 25 build/fuzz/etf.log build/fuzz/dist.log
echo "fuzz: ETF decoder exit status $etf_rc, distribution frames exit status $dist_rc"
((etf_rc == 0 && dist_rc == 0))
stage "done"
