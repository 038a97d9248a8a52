#!/usr/bin/env bash
# Lockstep benchmark (issue 9): ROOMS rooms of 8 players at 30 Hz. A fresh
# citadel (empty database) pinned to CPU $SERVER_CPU with one I/O thread;
# citadel-bench lockstep pinned to CPU $BENCH_CPU: ROOMS x 8 players join at
# a steady CONNECT_RATE (join-or-create fills rooms in order, so they make
# ROOMS full rooms), each sends an 8-byte input at INPUT_HZ, and every
# player times the arrival of every frame. Reported: the jitter of frame
# arrival intervals |interval - 33.3 ms| (p50/p99/max; target p99 < 5 ms),
# missing frames, input-to-frame latency, the rooms' observed rate, and the
# server's CPU per 1,000 players over the window. ROUNDS runs, one line each.
#
# Environment (defaults): ROOMS=250 INPUT_HZ=10 DURATION=60 WARMUP=5
#   CONNECT_RATE=500 ROUNDS=2 EXECUTOR_THREADS=0 (1: rooms on a logic thread)
#   BENCH_THREADS=1 ADMIN_PORT=17491 (0: no /metrics) PORT=0 (0: any free port; a fixed one may
#   still be held by the last server's TIME_WAIT sockets) NICE=0 (e.g. -10:
#   server and bench at that nice level, on a machine others share)
#   SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown table on stdout and in $RESULTS_DIR/lockstep-<stamp>.md;
# one raw JSON line per run in $RESULTS_DIR/lockstep-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"

ROOMS=${ROOMS:-250}
INPUT_HZ=${INPUT_HZ:-10}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
CONNECT_RATE=${CONNECT_RATE:-500}
ROUNDS=${ROUNDS:-2}
BENCH_THREADS=${BENCH_THREADS:-1}
PORT=${PORT:-0}

for v in ROOMS INPUT_HZ DURATION CONNECT_RATE ROUNDS BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
for v in PORT; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a port number or 0"; done
[[ $EXECUTOR_THREADS =~ ^[0-9]+$ ]] || die "EXECUTOR_THREADS must be a number (0 = I/O loop)"
for b in taskset timeout python3 curl; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_release_build
PLAYERS=$((ROOMS * 8))
need_room_fds "$PLAYERS"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/lockstep-$STAMP.jsonl
REPORT=$RESULTS_DIR/lockstep-$STAMP.md
LOGS=$RESULTS_DIR/lockstep-$STAMP-logs
CONFIG=$BENCH_TMP/citadel-lockstep.yaml
write_rooms_config "$CONFIG"
: >"$RAW"

log "lockstep benchmark: $ROOMS rooms x 8 players, inputs at $INPUT_HZ Hz, ${WARMUP}s + ${DURATION}s, $ROUNDS rounds, executor_threads $EXECUTOR_THREADS"
for ((round = 1; round <= ROUNDS; round++)); do
  tag="lockstep-r$round"
  err="" json="" before=null after=null hwm=null
  start_rooms_server "$(pick_port "$PORT")" "$CONFIG" || die "citadel did not start"
  pid=$SERVER_PID
  before=$(room_metrics)
  metrics_sampler_start "$BENCH_TMP/samples" $((DURATION + WARMUP + PLAYERS / CONNECT_RATE + 120))
  started=$(date +%s.%N)
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" \
    $((DURATION + WARMUP + PLAYERS / CONNECT_RATE + 120)) \
    "${PRIO[@]}" "$BIN_DIR/citadel-bench" lockstep --host 127.0.0.1 --port "$SERVER_PORT" --players "$PLAYERS" \
    --input-hz "$INPUT_HZ" --duration "$DURATION" --warmup "$WARMUP" --connect-rate "$CONNECT_RATE" \
    --threads "$BENCH_THREADS" --server-pid "$pid" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench lockstep failed (exit $?)"
  fi
  metrics_sampler_stop
  if kill -0 "$pid" 2>/dev/null && [[ $(proc_state "$pid") != Z ]]; then
    after=$(room_metrics)
    hwm=$(status_kb "$pid" VmHWM)
  else
    err=${err:-"server exited during the run"}
  fi
  stop_server "$pid"
  printf '{"part":"lockstep","tag":"%s","ok":%s,"error":"%s","players":%s,"executor_threads":%s,"warmup_s":%s,"bench_started_at":%s,"metrics_before":%s,"metrics_after":%s,"metrics_samples":%s,"server_hwm_kb":%s,"clk_tck":%s,"bench":%s}\n' \
    "$tag" "$([[ -z $err ]] && echo true || echo false)" "${err//\"/\'}" "$PLAYERS" "$EXECUTOR_THREADS" \
    "$WARMUP" "$started" "$before" "$after" "$(samples_json "$BENCH_TMP/samples")" "${hwm:-null}" "$CLK_TCK" "${json:-null}" >>"$RAW"
  [[ -z $err ]] || { log "  $tag: FAILED: $err"; keep_room_logs "$LOGS" "$tag"; }
  log "  $(python3 "$BENCH_ROOT/bench/summarize_rooms.py" brief "$(tail -n 1 "$RAW")")"
done

{
  echo "# Lockstep benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- $ROOMS rooms x 8 players at 30 Hz, inputs at $INPUT_HZ Hz, joined at $CONNECT_RATE/s, ${WARMUP}s warm-up + ${DURATION}s measured; nice $NICE"
  echo "- server: citadel --threads 1, rooms.executor_threads $EXECUTOR_THREADS, pinned to CPU $SERVER_CPU; citadel-bench --threads $BENCH_THREADS pinned to CPU $BENCH_CPU"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_rooms.py" lockstep "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
