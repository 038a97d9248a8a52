#!/usr/bin/env bash
# Quick start, command 2: install what is needed, build, and pass every test:
#   1. Release build: unit and integration tests (real server, real sockets)
#   2. ASan + UBSan build: the same suites under the sanitizers
#   3. clang + libFuzzer build: the decoder/router fuzz target for a bounded time
# Set CITADEL_SKIP_SANITIZE=1 or CITADEL_SKIP_FUZZ=1 to leave a stage out locally.
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

if [[ -z "${CITADEL_SKIP_FUZZ:-}" ]]; then
  stage "libFuzzer (bounded)"
  CITADEL_BUILD_TARGET=frame_router_fuzz scripts/build.sh fuzz  # only the fuzz target
  ctest --test-dir build-fuzz --output-on-failure -L fuzz --timeout 300
fi
stage "all tests passed"
