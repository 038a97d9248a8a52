#!/usr/bin/env bash
# Quick start, command 2: install what is needed, build, and pass every test:
#   1. Release build: unit and integration tests (real server, real sockets)
#   2. ASan + UBSan build: the same suites under the sanitizers
#   3. ThreadSanitizer build: the suites whose code crosses threads
#   4. clang + libFuzzer build: the decoder/router, application, WebSocket, etcd,
#      client-decoder, node-link and fleet chat-event fuzz targets, 60 s each, two side by side
# Each sanitizer build runs in the background (nice 19) while the stage before
# it runs its tests; the stages' tests run one stage at a time.
# Set CITADEL_SKIP_SANITIZE=1, CITADEL_SKIP_TSAN=1 or CITADEL_SKIP_FUZZ=1 to leave a
# stage out locally.
# CITADEL_REQUIRE_IO_URING=1|0 overrides the io_uring probe below.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

stage() { printf '\n=== %s\n' "$*"; }

# io_uring_probe: succeeds if this kernel lets this user set up an io_uring.
# It calls io_uring_setup(2) directly (python3 ctypes; syscall 425 on every
# architecture with the generic syscall table, x86_64 and arm64 included) and
# never Citadel's own SendBatch: the probe decides whether the batched-send
# tests may skip, so the code under test must not be able to answer for itself.
# It sees what the tests will see: a kernel without io_uring (ENOSYS), the
# sysctl kernel.io_uring_disabled (2, or 1 for a user outside io_uring_group
# without CAP_SYS_ADMIN: EPERM), a seccomp filter, a memlock limit (ENOMEM).
io_uring_probe() {
  python3 - <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
fd = libc.syscall(ctypes.c_long(425), ctypes.c_long(4), params)
if fd < 0:
    print(f"io_uring_setup failed: {os.strerror(ctypes.get_errno())}")
    sys.exit(1)
os.close(fd)
print("io_uring_setup works")
PY
}

# The batched-send tests (tests/unit/send_batch_test.cc, and the admin
# integration test on citadel_send_batches_total) skip where io_uring is
# refused. Where the probe sets up a ring, CITADEL_REQUIRE_IO_URING=1 makes them
# fail instead, so a server that silently fell back to sendmsg cannot pass.
# Exit 0: a ring was set up; 1: the kernel refused it; anything else means the
# probe itself could not run (no python3, ...): then require io_uring in CI
# (CI=true: CI's machines have it) and not elsewhere.
if [[ -z "${CITADEL_REQUIRE_IO_URING:-}" ]]; then
  probe_rc=0
  probe=$(io_uring_probe 2>&1) || probe_rc=$?
  case "$probe_rc" in
    0) CITADEL_REQUIRE_IO_URING=1 ;;
    1) CITADEL_REQUIRE_IO_URING=0 ;;
    *) probe="the probe did not run (exit $probe_rc): ${probe//$'\n'/ }"
       [[ "${CI:-}" == true ]] && CITADEL_REQUIRE_IO_URING=1 || CITADEL_REQUIRE_IO_URING=0 ;;
  esac
  disabled=$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo "absent")
  echo "test.sh: CITADEL_REQUIRE_IO_URING=$CITADEL_REQUIRE_IO_URING ($probe; kernel.io_uring_disabled: $disabled)"
else
  echo "test.sh: CITADEL_REQUIRE_IO_URING=$CITADEL_REQUIRE_IO_URING (set by the caller)"
fi
export CITADEL_REQUIRE_IO_URING

# The ThreadSanitizer stage builds and runs only the suites whose code runs
# on more than one thread, where TSan can find something (the rest is single-threaded and already runs twice above):
#   core_unit_test     ConnectionLimits admitted and released from many threads
#   store_test         callers against the SQLite writer thread and its batch queue
#   store_pg_test      the same, against PostgresStore's store thread and a real
#                      PostgreSQL server (started by the test itself)
#   auth_test          a real Server (2 I/O loops) and its Services: the service
#                      loop, the store thread, the password hasher; auth and chat
#   auth_pg_test       the same on PostgreSQL (the store thread's connection)
#   store_wb_test      write-behind: the local log's thread, the PostgreSQL
#                      writers and the PostgreSQL store's thread handing work on
#   rooms_test         rooms on the I/O loops and on logic threads, Delivery's
#                      cross-loop posts, the matchmaker on the service loop
#   example_room_test  a game's own room type on the same runtime
#   client_unit_test   the client library's I/O thread against a scripted server thread
#   admin_unit_test    the admin HTTP thread reading counters other threads write
#   etcd_client_test   the etcd client's thread (calls, watch streams, LeaseKeeper)
#                      handing completions to the test's thread, against a real etcd
#   fleet_membership_loop_test  the membership on an EventLoop (completions from
#                      the etcd thread), read from the test's thread as the admin
#                      thread reads it, against a real etcd
#   link_connection_test  node links between two EventLoops' threads, driven
#                      from the test's thread
#   fleet_roles_loop_test  a gateway and a game node in one process: forwarding
#                      on the gateway's loops, dispatch on the game node's link
#                      loops, seat changes and session hooks from service loops
#   fleet_transfer_loop_test  a player moved between two game nodes' rooms
#                      with inputs in flight: the gateway's hold, the old node's
#                      room thread handing inputs back to its link loop
# Left out: the black-box suites (integration_test, admin_integration_test,
# client_integration_test and the bench smoke tests). They need the citadel,
# citadel-cli and citadel-bench binaries built with TSan too (the largest
# compile of the tree), and the server threads they would exercise are the
# ones auth_test and rooms_test already run in process.
tsan_suites=(core_unit_test store_test store_pg_test store_wb_test storage_wb_test auth_test
             auth_pg_test rooms_test
             example_room_test client_unit_test admin_unit_test
             leaderboard_redis_test etcd_client_test room_ownership_test
             fleet_membership_loop_test link_connection_test fleet_roles_loop_test
             fleet_chat_link_test fleet_sessions_loop_test fleet_transfer_loop_test)
fuzz_targets=(frame_router_fuzz app_fuzz websocket_fuzz recovery_fuzz etcd_json_fuzz
              client_messages_fuzz link_messages_fuzz chat_event_fuzz)

# The next stage's build runs in the background, at the lowest CPU priority,
# while a stage's tests run: the tests spend much of their time waiting (on
# sockets, timers, the servers they start), and the build takes the CPU they
# leave; at nice 19 it hardly slows them. Its output goes to a log, printed
# when it is waited for. A failing stage stops the build behind it.
background_pid=
background_log=$(mktemp)
build_in_background() {  # build_in_background COMMAND...
  # setsid: a process group of its own, so that cmake, ninja and the
  # compilers stop together.
  setsid nice -n 19 "$@" >"$background_log" 2>&1 &
  background_pid=$!
}
wait_for_background_build() {
  [[ -n "$background_pid" ]] || return 0
  local rc=0
  wait "$background_pid" || rc=$?
  background_pid=
  cat "$background_log"
  if ((rc != 0)); then
    echo "test.sh: the build above failed (exit $rc)" >&2
    exit "$rc"
  fi
}
stop_background_build() {
  if [[ -n "$background_pid" ]]; then kill -- -"$background_pid" 2>/dev/null || true; fi
  rm -f "$background_log"
}
trap stop_background_build EXIT

# The builds that follow the ASan one: TSan's suites, then the fuzz targets
# (a command for bash -c, which gets the lists through the environment).
export CITADEL_TSAN_SUITES="${tsan_suites[*]}" CITADEL_FUZZ_TARGETS="${fuzz_targets[*]}"
later_builds='
  if [[ -z "${CITADEL_SKIP_TSAN:-}" ]]; then
    echo "=== (background) ThreadSanitizer build"
    CITADEL_BUILD_TARGET="$CITADEL_TSAN_SUITES" scripts/build.sh tsan
  fi
  if [[ -z "${CITADEL_SKIP_FUZZ:-}" ]]; then
    echo "=== (background) libFuzzer build: the fuzz targets only"
    CITADEL_BUILD_TARGET="$CITADEL_FUZZ_TARGETS" scripts/build.sh fuzz
  fi'
build_later_in_background() { build_in_background bash -c "set -euo pipefail; $later_builds"; }

stage "release build + tests"
scripts/build.sh release
if [[ -z "${CITADEL_SKIP_SANITIZE:-}" ]]; then
  build_in_background scripts/build.sh asan
else
  build_later_in_background
fi
ctest --test-dir build --output-on-failure -j 2 --timeout 300

if [[ -z "${CITADEL_SKIP_SANITIZE:-}" ]]; then
  stage "ASan + UBSan build (run beside the release tests) + tests"
  wait_for_background_build
  build_later_in_background
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 --timeout 600
fi
wait_for_background_build

if [[ -z "${CITADEL_SKIP_TSAN:-}" ]]; then
  stage "ThreadSanitizer: the suites that cross threads (built beside the ASan tests)"
  # Only what was built: gtest_discover_tests leaves a <target>_NOT_BUILT
  # placeholder for each suite not in the list, tools/ registers the
  # citadel-bench tests (bench_*) by name, and the *_cross_client tests run
  # the citadel binary (not built here), as do the deploy_* checks of the
  # systemd unit, sd_notify and supervisord (tests/deploy). ts_sdk (the TypeScript SDK against
  # the citadel binary) and browser_demo (the demo in chromium) are
  # registered for release builds only; they are named here too so that they
  # can never run here. tests/tsan.supp holds the
  # third-party false positives, each with its reason.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j 2 --timeout 600 -E '_NOT_BUILT$|^bench_|_cross_client$|^deploy_|^ts_sdk$|^browser_demo$'
fi

if [[ -z "${CITADEL_SKIP_FUZZ:-}" ]]; then
  stage "libFuzzer (bounded; built beside the ASan tests)"
  # The targets two side by side, 60 s each (their corpus-dir fixtures first).
  ctest --test-dir build-fuzz --output-on-failure -L fuzz -j 2 --timeout 300
fi
stage "all tests passed"
