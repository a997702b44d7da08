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

stage "tsan: the concurrency tests (terms, atoms, pools, scheduler, processes, messages, signals, servers, tasks, poller, sockets) over 1, 2 and 4 schedulers"
concurrent=(send_receive_test crash_test term_test pool_test sched_test process_test registry_test link_test monitor_test
            call_test gen_server_test async_test supervisor_test dynamic_supervisor_test timer_test key_registry_test
            alias_test process_info_test runtime_call_test poller_test gen_tcp_test blocking_test dist_interop_test)
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs" --target "${concurrent[@]}"
# The tests run $jobs at a time, longest first (send_receive_test and crash_test take half a minute or more
# each here), each into its own log; a failing test's log is shown and the stage fails once all have run.
mkdir -p build/tsan/logs
tsan_test() {
  if ! TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan.supp" "build/tsan/tests/$1" --gtest_brief=1 \
      >"build/tsan/logs/$1.log" 2>&1; then
    echo "== tsan: $1 failed"
    cat "build/tsan/logs/$1.log"
    return 1
  fi
  echo "tsan: $1 passed in ${SECONDS} s"
}
export -f tsan_test
printf '%s\n' "${concurrent[@]}" | xargs -P "$jobs" -I{} bash -c 'tsan_test "$1"' _ {}

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
