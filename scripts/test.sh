#!/usr/bin/env bash
# scripts/test.sh: builds and passes every test. Installs what is missing (as root), then:
#   1. release preset: all tests, including the comparisons with real erl/elixir and the find_package consumer;
#   2. asan preset (AddressSanitizer + UndefinedBehaviorSanitizer): all tests, each test executable whole;
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

# sharded PRESET SPEC...: runs each SPEC, "executable gtest-filter shards", of build/PRESET/tests (the group
# executables of tests/CMakeLists.txt) in that many gtest shards, $jobs at a time in the order given (the longest
# first), each into its own log. A failing shard's log is shown, and the call fails once all have run.
sharded() {
  local preset=$1 spec exe filter shards shard runs=()
  shift
  for spec in "$@"; do
    read -r exe filter shards <<<"$spec"
    for ((shard = 0; shard < shards; ++shard)); do runs+=("$preset $exe $filter $shards $shard"); done
  done
  mkdir -p "build/$preset/logs"
  printf '%s\n' "${runs[@]}" | xargs -P "$jobs" -L 1 bash -c 'run_shard "$@"' _
}
run_shard() {
  local preset=$1 exe=$2 filter=$3 shards=$4 shard=$5 log="build/$1/logs/$2.$5.log" start=$SECONDS
  if ! GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$shard timeout 900 "build/$preset/tests/$exe" --gtest_brief=1 \
      --gtest_filter="$filter" >"$log" 2>&1; then
    echo "== $preset: $exe, shard $((shard + 1)) of $shards, failed"
    cat "$log"
    return 1
  fi
  echo "$preset: $exe, shard $((shard + 1)) of $shards, passed in $((SECONDS - start)) s"
}
export -f run_shard

stage "release: build"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
stage "release: test (each test on its own, by ctest)"
ctest --preset release -j"$jobs"

stage "asan: build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
stage "asan: test (the gtest executables whole, in shards; ctest the examples and the build checks)"
sharded asan "process_tests * 4" "term_tests * 2" "otp_tests * 2" "dist_tests * 2" "tool_tests * 1" "io_tests * 1"
ctest --preset asan -j"$jobs" -LE gtest

stage "tsan: the concurrency tests (terms, atoms, pools, scheduler, processes, messages, signals, servers, tasks, poller, sockets, distribution) over 1, 2 and 4 schedulers"
cmake --preset tsan >/dev/null
tsan_runs=("process_tests * 4" "otp_tests * 2" "dist_tests * 2" "io_tests * 1" "term_tests Atom.*:Term.* 1")
cmake --build --preset tsan -j"$jobs" --target "${tsan_runs[@]%% *}"  # the executables the runs name
export TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan.supp"
sharded tsan "${tsan_runs[@]}"

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
