#!/usr/bin/env bash
# Configures and builds one flavour of the tree.
#   scripts/build.sh [release|asan|tsan|fuzz]   (default: release)
# release -> build/       Release, the binaries in build/bin/; then the TypeScript SDK
#                         (scripts/build-ts-sdk.sh; CITADEL_SKIP_TS_SDK=1 skips it) and
#                         the browser demo into build/web/demo (scripts/build-web-demo.sh;
#                         CITADEL_SKIP_WEB_DEMO=1 skips it)
# asan    -> build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer at -Og -g1: GCC's
#                         level for debugging, which compiles the instrumented tree in
#                         about two thirds of -O1's time (the coroutine-heavy files in
#                         half) with tests no slower (the stage is CI's long pole)
# tsan    -> build-tsan/  ThreadSanitizer, also at -O1 -g1 (CI builds only the suites
#                         whose code crosses threads: see scripts/test.sh)
# fuzz    -> build-fuzz/  clang, libFuzzer targets; every library instrumented (the app
#                         target drives them all), at -O1 -g1 with asserts kept
# Every flavour is a unity build (CMake's CMAKE_UNITY_BUILD: a target's sources
# compiled eight to a translation unit), which parses and instantiates the
# heavy headers (Boost, spdlog, fmt, FlatBuffers, GoogleTest) once per eight
# files instead of once per file: the ASan tree's compile took ~1,500
# CPU-seconds against ~2,450 file by file. For a day of small edits,
# CITADEL_UNITY_BUILD=OFF rebuilds one file per change instead of its batch.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
jobs=$(nproc)
# build/ is shared by start.sh (a few targets) and test.sh (everything): the
# test suites stay configured either way, only what is built differs.
case "$flavour" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=Release -DCITADEL_TESTS=ON) ;;
  asan) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITADEL_SANITIZE=ON
                              "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-Og -g1 -DNDEBUG"
                              "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-Og -g1 -DNDEBUG") ;;
  tsan) dir=build-tsan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITADEL_TSAN=ON
                              "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
                              "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG") ;;
  fuzz) dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCITADEL_FUZZ=ON
                              -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
                              "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
                              "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1") ;;
  *) echo "build.sh: unknown flavour '$flavour' (release, asan, tsan, fuzz)" >&2; exit 2 ;;
esac
args+=("-DCMAKE_UNITY_BUILD=${CITADEL_UNITY_BUILD:-ON}")
cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
# CITADEL_BUILD_TARGET builds only the targets it names (space-separated)
# instead of everything.
read -ra targets <<<"${CITADEL_BUILD_TARGET:-}"
cmake --build "$dir" -j "$jobs" ${targets[@]:+--target "${targets[@]}"}
# The TypeScript SDK (sdk/typescript), for the release flavour only: its tests
# (ctest: ts_sdk) run against build/bin/citadel. CITADEL_SKIP_TS_SDK=1 leaves
# it out, for a machine without node.
if [[ $flavour == release && -z "${CITADEL_SKIP_TS_SDK:-}" ]]; then
  scripts/build-ts-sdk.sh
fi
# The browser demo (web/demo) into build/web/demo, where the server's default
# web.root finds it (the binary's ../web/demo): release only, and also when
# the SDK's full build is skipped (scripts/start.sh), since the README's tour
# opens it. CITADEL_SKIP_WEB_DEMO=1 leaves it out (the server then answers 404
# under web.path and says why at start).
if [[ $flavour == release && -z "${CITADEL_SKIP_WEB_DEMO:-}" ]]; then
  scripts/build-web-demo.sh build/web/demo
fi
