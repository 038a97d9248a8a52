#!/usr/bin/env bash
# Arena benchmark (issue 9): capacity, cost per player next to the C echo
# yardstick, memory per player, and a join storm. Every run gets a fresh
# citadel (empty database) pinned to CPU $SERVER_CPU with one I/O thread, and
# citadel-bench pinned to CPU $BENCH_CPU; players log in as new guests, join-
# or-create "arena" rooms (16 a room) and send inputs at 20 Hz.
#
#   capacity  START players, then + STEP each step up to MAX; each step held
#             HOLD s after WARMUP s. A step passes with every player in, p99
#             input-to-ack under P99_MS, no disconnects or errors, every room
#             observed at >= 97.5 % of 20 Hz and (with the admin port) no
#             skipped ticks in the measured window (/metrics sampled every
#             second). Stops at the first failing step.
#   cost      ROUNDS x [the C echo yardstick (c-echo-server) under
#             citadel-bench echo --connections COST_PLAYERS --depth 1: its CPU
#             us per read+write pair; then citadel with COST_PLAYERS players
#             for COST_DURATION s, once per executor in COST_EXECUTORS]. The
#             server's CPU per 1,000 players (utime+stime over the window) is
#             set beside the yardstick's us/pair x 20,000 pairs/s, the same
#             traffic, as a ratio to the yardstick of the same round (summary:
#             the median of the per-round ratios, bench/paired.py). Memory per
#             player = VmRSS growth / players.
#   storm     STORM_PLAYERS connect and log in; then all send RoomJoin within
#             one second; all must get in, none refused or timed out; then
#             they play STORM_HOLD s.
#
# Environment (defaults): PARTS="capacity cost storm" START=1000 STEP=500
#   MAX=6000 HOLD=60 WARMUP=5 P99_MS=60 CONNECT_RATE=1000
#   COST_PLAYERS=2000 COST_DURATION=30 ROUNDS=2 COST_EXECUTORS=$EXECUTOR_THREADS
#   COST_SENDS=batched ("batched sendmsg": each cost run also with
#   server.batched_sends off, one sendmsg per socket, for comparison)
#   STORM_PLAYERS=2000 STORM_HOLD=10 EXECUTOR_THREADS=0 (1: rooms on a logic
#   thread; it shares CPU $SERVER_CPU with the I/O thread) BENCH_THREADS=1
#   ADMIN_PORT=17491 (0: no /metrics) PORT=0 (0: any free port; a fixed one may
#   still be held by the last server's TIME_WAIT sockets) YARD_PORT=0 NICE=0 (e.g. -10:
#   server, yardstick and bench at that nice level, on a machine others share)
#   SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/arena-<stamp>.md;
# one raw JSON line per run in $RESULTS_DIR/arena-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"

PARTS=${PARTS:-"capacity cost storm"}
START=${START:-1000}
STEP=${STEP:-500}
MAX=${MAX:-6000}
HOLD=${HOLD:-60}
WARMUP=${WARMUP:-5}
P99_MS=${P99_MS:-60}
CONNECT_RATE=${CONNECT_RATE:-1000}
COST_PLAYERS=${COST_PLAYERS:-2000}
COST_DURATION=${COST_DURATION:-30}
ROUNDS=${ROUNDS:-2}
COST_EXECUTORS=${COST_EXECUTORS:-$EXECUTOR_THREADS}
COST_SENDS=${COST_SENDS:-batched}
STORM_PLAYERS=${STORM_PLAYERS:-2000}
STORM_HOLD=${STORM_HOLD:-10}
BENCH_THREADS=${BENCH_THREADS:-1}
PORT=${PORT:-0}
YARD_PORT=${YARD_PORT:-0}

for v in START STEP MAX HOLD P99_MS CONNECT_RATE COST_PLAYERS COST_DURATION ROUNDS STORM_PLAYERS \
  STORM_HOLD BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
for v in PORT YARD_PORT; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a port number or 0"; done
[[ $ADMIN_PORT =~ ^[0-9]+$ ]] || die "ADMIN_PORT must be a port number or 0"
for e in $EXECUTOR_THREADS $COST_EXECUTORS; do
  [[ $e =~ ^[0-9]+$ ]] || die "EXECUTOR_THREADS / COST_EXECUTORS must be numbers (0 = I/O loop)"
done
for s in $COST_SENDS; do
  [[ $s == batched || $s == sendmsg ]] || die "COST_SENDS: unknown '$s' (batched, sendmsg)"
done
for p in $PARTS; do
  [[ $p == capacity || $p == cost || $p == storm ]] || die "unknown part '$p' (capacity, cost, storm)"
done
for b in taskset timeout python3 curl; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
[[ " $PARTS " == *" cost "* ]] && require_bin c-echo-server
require_release_build
most=$MAX
((COST_PLAYERS > most)) && most=$COST_PLAYERS
((STORM_PLAYERS > most)) && most=$STORM_PLAYERS
need_room_fds "$most"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/arena-$STAMP.jsonl
REPORT=$RESULTS_DIR/arena-$STAMP.md
LOGS=$RESULTS_DIR/arena-$STAMP-logs
: >"$RAW"

# record PART TAG OK ERROR EXTRA_JSON_FIELDS BENCH_JSON: one raw line.
record() {
  local err=${4//\"/\'}
  printf '{"part":"%s","tag":"%s","ok":%s,"error":"%s",%s,"clk_tck":%s,"bench":%s}\n' \
    "$1" "$2" "$3" "$err" "$5" "$CLK_TCK" "${6:-null}" >>"$RAW"
}

# arena_run PART TAG EXECUTOR PLAYERS DURATION RATE [citadel-bench arena flags...]:
# one fresh server and one citadel-bench arena run against it. Sets RUN_JSON
# (the bench's line, or empty).
arena_run() {
  local part=$1 tag=$2 executor=$3 players=$4 duration=$5 rate=$6
  shift 6
  local config=$BENCH_TMP/citadel-arena.yaml err="" before="null" after="null" hwm=null limit started
  RUN_JSON=""
  EXECUTOR_THREADS=$executor write_rooms_config "$config"
  if ! start_rooms_server "$(pick_port "$PORT")" "$config"; then
    record "$part" "$tag" false "server did not start" \
      "\"players\":$players,\"executor_threads\":$executor" null
    keep_room_logs "$LOGS" "$tag"
    return 0
  fi
  local pid=$SERVER_PID
  before=$(room_metrics)
  # Connecting paces the joins: players / CONNECT_RATE seconds before the warm-up.
  limit=$((duration + WARMUP + players / rate + 120))
  metrics_sampler_start "$BENCH_TMP/samples" "$limit"
  started=$(date +%s.%N)
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
    "${PRIO[@]}" "$BIN_DIR/citadel-bench" arena --host 127.0.0.1 --port "$SERVER_PORT" --players "$players" \
    --duration "$duration" --warmup "$WARMUP" --connect-rate "$rate" \
    --threads "$BENCH_THREADS" --server-pid "$pid" --quiet "$@"; then
    RUN_JSON=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $RUN_JSON ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench arena failed (exit $?)"
  fi
  metrics_sampler_stop
  if kill -0 "$pid" 2>/dev/null && [[ $(proc_state "$pid") != Z ]]; then
    after=$(room_metrics)
    hwm=$(status_kb "$pid" VmHWM)
  else
    err=${err:-"server exited during the run"}
  fi
  stop_server "$pid"
  record "$part" "$tag" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "\"players\":$players,\"executor_threads\":$executor,\"sends\":\"${SENDS:-batched}\",\"p99_ms_bar\":$P99_MS,\"warmup_s\":$WARMUP,\"bench_started_at\":$started,\"metrics_before\":$before,\"metrics_after\":$after,\"metrics_samples\":$(samples_json "$BENCH_TMP/samples"),\"server_hwm_kb\":${hwm:-null}" \
    "${RUN_JSON:-null}"
  [[ -z $err ]] || { log "  $tag: FAILED: $err"; keep_room_logs "$LOGS" "$tag"; }
}

# yardstick_run TAG: c-echo-server under citadel-bench echo --depth 1 with
# COST_PLAYERS connections; records its CPU ticks over the measured run.
yardstick_run() {
  local tag=$1 err="" cpu=0 before after json=""
  if ! start_server c-ref "$BENCH_TMP/yard.log" - "${PRIO[@]}" "$BIN_DIR/c-echo-server" --port "$(pick_port "$YARD_PORT")"; then
    record cost "$tag" false "c-echo-server did not start" "\"connections\":$COST_PLAYERS" null
    return 0
  fi
  local pid=$SERVER_PID
  local common=(--host 127.0.0.1 --port "$SERVER_PORT" --connections "$COST_PLAYERS" --depth 1
    --payload 32 --threads 1 --connect-rate 5000 --quiet)
  run_pinned "$BENCH_TMP/yard-warm.out" "$BENCH_TMP/yard-warm.err" 60 \
    "${PRIO[@]}" "$BIN_DIR/citadel-bench" echo "${common[@]}" --duration 3 --warmup 0 || err="yardstick warm-up failed"
  if [[ -z $err ]]; then
    before=$(cpu_ticks "$pid")
    if run_pinned "$BENCH_TMP/yard.out" "$BENCH_TMP/yard.err" $((COST_DURATION + 60)) \
      "${PRIO[@]}" "$BIN_DIR/citadel-bench" echo "${common[@]}" --duration "$COST_DURATION" --warmup 0; then
      after=$(cpu_ticks "$pid")
      cpu=$((after - before))
      json=$(last_json_line "$BENCH_TMP/yard.out")
      [[ -n $json ]] || err="citadel-bench echo printed no JSON line"
    else
      err="yardstick run failed (exit $?)"
    fi
  fi
  stop_server "$pid"
  record cost "$tag" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "\"server\":\"c-ref\",\"connections\":$COST_PLAYERS,\"server_cpu_ticks\":$cpu" "${json:-null}"
}

# passes: true if the last arena run met the capacity bar (summarize_rooms.py decides).
passes() {
  python3 "$BENCH_ROOT/bench/summarize_rooms.py" verdict "$(tail -n 1 "$RAW")"
}

log "arena benchmark: parts '$PARTS', executor_threads $EXECUTOR_THREADS, load average $(cut -d' ' -f1 /proc/loadavg)"

if [[ " $PARTS " == *" capacity "* ]]; then
  for ((n = START; n <= MAX; n += STEP)); do
    log "capacity: $n players, ${WARMUP}s warm-up + ${HOLD}s"
    arena_run capacity "capacity-$n" "$EXECUTOR_THREADS" "$n" "$HOLD" "$CONNECT_RATE"
    line=$(python3 "$BENCH_ROOT/bench/summarize_rooms.py" brief "$(tail -n 1 "$RAW")")
    if passes; then
      log "  $n: PASS  $line"
    else
      log "  $n: FAIL  $line"
      break
    fi
  done
fi

if [[ " $PARTS " == *" cost "* ]]; then
  for ((round = 1; round <= ROUNDS; round++)); do
    log "cost round $round/$ROUNDS: yardstick (c-echo-server, $COST_PLAYERS connections, depth 1)"
    yardstick_run "yardstick-r$round"
    for e in $COST_EXECUTORS; do
      for s in $COST_SENDS; do
        log "cost round $round/$ROUNDS: citadel, $COST_PLAYERS players, executor_threads $e, $s sends"
        SENDS=$s arena_run cost "cost-r$round-x$e-$s" "$e" "$COST_PLAYERS" "$COST_DURATION" "$CONNECT_RATE"
        log "  $(python3 "$BENCH_ROOT/bench/summarize_rooms.py" brief "$(tail -n 1 "$RAW")")"
      done
    done
  done
fi

if [[ " $PARTS " == *" storm "* ]]; then
  log "join storm: $STORM_PLAYERS players log in, then join within 1 s"
  arena_run storm "storm-$STORM_PLAYERS" "$EXECUTOR_THREADS" "$STORM_PLAYERS" "$STORM_HOLD" 5000 \
    --join-storm --join-window 1 --join-timeout 10
  log "  $(python3 "$BENCH_ROOT/bench/summarize_rooms.py" brief "$(tail -n 1 "$RAW")")"
fi

{
  echo "# Arena benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- server: citadel --threads 1, rooms.executor_threads $EXECUTOR_THREADS (cost: $COST_EXECUTORS), pinned to CPU $SERVER_CPU; citadel-bench --threads $BENCH_THREADS pinned to CPU $BENCH_CPU"
  echo "- players connect (and join) at $CONNECT_RATE/s; inputs at 20 Hz; warm-up ${WARMUP}s; nice $NICE"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_rooms.py" arena "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
