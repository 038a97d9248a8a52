#!/usr/bin/env bash
# Quick start, command 2: install what is needed, build, and pass every test:
#   1. Release build: unit and integration tests (real server, real sockets)
#   2. ASan + UBSan build: the same suites under the sanitizers
#   3. ThreadSanitizer build: the suites whose code crosses threads
#   4. clang + libFuzzer build: the decoder/router and application fuzz targets,
#      60 s each, side by side
# Set CITADEL_SKIP_SANITIZE=1, CITADEL_SKIP_TSAN=1 or CITADEL_SKIP_FUZZ=1 to leave a
# stage out locally.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

stage() { printf '\n=== %s\n' "$*"; }

stage "release build + tests"
scripts/build.sh release
ctest --test-dir build --output-on-failure -j 2 --timeout 300

if [[ -z "${CITADEL_SKIP_SANITIZE:-}" ]]; then
  stage "ASan + UBSan build + tests"
  scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 600
fi

if [[ -z "${CITADEL_SKIP_TSAN:-}" ]]; then
  stage "ThreadSanitizer build + the suites that cross threads"
  # Only the suites whose code runs on more than one thread, where TSan can
  # find something (the rest is single-threaded and already runs twice above):
  #   core_unit_test     ConnectionLimits admitted and released from many threads
  #   store_test         callers against the SQLite writer thread and its batch queue
  #   auth_test          a real Server (2 I/O loops) and its Services: the service
  #                      loop, the store thread, the password hasher; auth and chat
  #   rooms_test         rooms on the I/O loops and on logic threads, Delivery's
  #                      cross-loop posts, the matchmaker on the service loop
  #   example_room_test  a game's own room type on the same runtime
  #   client_unit_test   the client library's I/O thread against a scripted server thread
  #   admin_unit_test    the admin HTTP thread reading counters other threads write
  # Left out: the black-box suites (integration_test, admin_integration_test,
  # client_integration_test and the bench smoke tests). They need the citadel,
  # citadel-cli and citadel-bench binaries built with TSan too (the largest
  # compile of the tree), and the server threads they would exercise are the
  # ones auth_test and rooms_test already run in process.
  tsan_suites=(core_unit_test store_test auth_test rooms_test example_room_test
               client_unit_test admin_unit_test)
  CITADEL_BUILD_TARGET="${tsan_suites[*]}" scripts/build.sh tsan
  # Only what was built: gtest_discover_tests leaves a <target>_NOT_BUILT
  # placeholder for each suite not in the list, and tools/ registers the
  # citadel-bench tests (bench_*) by name. tests/tsan.supp holds the
  # third-party false positives, each with its reason.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j 2 --timeout 600 -E '_NOT_BUILT$|^bench_'
fi

if [[ -z "${CITADEL_SKIP_FUZZ:-}" ]]; then
  stage "libFuzzer (bounded)"
  CITADEL_BUILD_TARGET="frame_router_fuzz app_fuzz" scripts/build.sh fuzz  # only the fuzz targets
  # The two targets side by side, 60 s each (their corpus-dir fixtures first).
  ctest --test-dir build-fuzz --output-on-failure -L fuzz -j 2 --timeout 300
fi
stage "all tests passed"
