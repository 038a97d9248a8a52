#!/usr/bin/env bash
# Snapshot cost (issue 16): the arena server's CPU per 1,000 players with
# room snapshots for crash recovery (recovery.snapshot_every_ticks: 20, one a
# second at 20 Hz) against none (0), paired per round in the same run.
#
# Each round runs citadel once per value in EVERY (the order rotates by
# round, so neither side always goes first): a fresh server (empty database,
# CPU $SERVER_CPU, one I/O thread, recovery.enabled true, the value under
# test), PLAYERS arena players (16 a room, inputs at 20 Hz) on CPU
# $BENCH_CPU, WARMUP s, then DURATION s measured. The server's CPU is
# utime + stime from /proc/<pid>/stat over the window (citadel-bench
# --server-pid, as run-arena.sh's cost part), as % of a core per 1,000
# players. Summary: each value's figure over the figure with 0 of the same
# round, median of the per-round ratios (bench/paired.py), and the median
# per-round difference.
#
# A build without the recovery.* keys refuses them at start: the script
# checks `citadel --print-config` first and stops, saying so; it never
# reports a figure it did not measure.
#
# Environment (defaults): PLAYERS=1000 ROUNDS=3 DURATION=30 WARMUP=5
#   EVERY="20 0" SESSION_FLUSH_MS=100 CONNECT_RATE=1000 BENCH_THREADS=1
#   EXECUTOR_THREADS=0 ADMIN_PORT=17491 (0: no /metrics) PORT=0 NICE=0
#   SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/snapshot-cost-<stamp>.md;
# one raw JSON line per run in $RESULTS_DIR/snapshot-cost-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"

PLAYERS=${PLAYERS:-1000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
EVERY=${EVERY:-"20 0"}
SESSION_FLUSH_MS=${SESSION_FLUSH_MS:-100}
CONNECT_RATE=${CONNECT_RATE:-1000}
BENCH_THREADS=${BENCH_THREADS:-1}
PORT=${PORT:-0}

for v in PLAYERS ROUNDS DURATION CONNECT_RATE BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for v in WARMUP SESSION_FLUSH_MS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
done
read -ra EVERY_LIST <<<"$EVERY"
((${#EVERY_LIST[@]} >= 2)) || die "EVERY needs at least two values (e.g. \"20 0\")"
for e in "${EVERY_LIST[@]}"; do [[ $e =~ ^[0-9]+$ ]] || die "EVERY: '$e' is not a tick count"; done
[[ " $EVERY " == *" 0 "* ]] || die "EVERY must include 0 (the reference: no snapshots)"
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a port number or 0"
for b in taskset timeout python3 curl; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_release_build
need_room_fds "$PLAYERS"
"$BIN_DIR/citadel" --print-config 2>/dev/null | grep -q 'snapshot_every_ticks' ||
  die "this citadel ($BIN_DIR/citadel) has no recovery.snapshot_every_ticks key (crash recovery, issue 16, is not in this build): nothing to measure"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/snapshot-cost-$STAMP.jsonl
REPORT=$RESULTS_DIR/snapshot-cost-$STAMP.md
LOGS=$RESULTS_DIR/snapshot-cost-$STAMP-logs
CONFIG=$BENCH_TMP/citadel-snapshot.yaml
: >"$RAW"

# one_run ROUND EVERY: a fresh server with recovery.snapshot_every_ticks EVERY
# and one citadel-bench arena run against it; one raw line.
one_run() {
  local round=$1 every=$2 err="" json="" limit pid
  write_rooms_config "$CONFIG"
  cat >>"$CONFIG" <<EOF
recovery:
  enabled: true
  snapshot_every_ticks: $every
  session_flush_ms: $SESSION_FLUSH_MS
EOF
  if ! start_rooms_server "$(pick_port "$PORT")" "$CONFIG"; then
    record "$round" "$every" false "server did not start" null
    keep_room_logs "$LOGS" "r$round-every$every"
    return 0
  fi
  pid=$SERVER_PID
  limit=$((DURATION + WARMUP + PLAYERS / CONNECT_RATE + 120))
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
    "${PRIO[@]}" "$BIN_DIR/citadel-bench" arena --host 127.0.0.1 --port "$SERVER_PORT" \
    --players "$PLAYERS" --duration "$DURATION" --warmup "$WARMUP" --connect-rate "$CONNECT_RATE" \
    --threads "$BENCH_THREADS" --server-pid "$pid" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench arena failed (exit $?)"
  fi
  kill -0 "$pid" 2>/dev/null && [[ $(proc_state "$pid") != Z ]] || err=${err:-"server exited during the run"}
  stop_server "$pid"
  record "$round" "$every" "$([[ -z $err ]] && echo true || echo false)" "$err" "${json:-null}"
  [[ -z $err ]] || keep_room_logs "$LOGS" "r$round-every$every"
  log "  $(python3 "$BENCH_ROOT/bench/summarize_liveops.py" brief "$(tail -n 1 "$RAW")")"
}

# record ROUND EVERY OK ERROR BENCH_JSON
record() {
  printf '{"part":"snapshot","round":%s,"snapshot_every_ticks":%s,"ok":%s,"error":"%s","players":%s,"clk_tck":%s,"bench":%s}\n' \
    "$1" "$2" "$3" "${4//\"/\'}" "$PLAYERS" "$CLK_TCK" "$5" >>"$RAW"
}

log "snapshot cost: $PLAYERS players, recovery.snapshot_every_ticks in ($EVERY), $ROUNDS rounds of ${WARMUP}s + ${DURATION}s, load average $(cut -d' ' -f1 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
  n=${#EVERY_LIST[@]}
  for ((i = 0; i < n; i++)); do
    every=${EVERY_LIST[$(((i + round - 1) % n))]}
    log "round $round/$ROUNDS: snapshot_every_ticks $every"
    one_run "$round" "$every"
  done
done

{
  echo "# Snapshot cost, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- server: citadel --threads 1, rooms.executor_threads $EXECUTOR_THREADS, pinned to CPU $SERVER_CPU, a fresh server per run; citadel-bench arena --threads $BENCH_THREADS pinned to CPU $BENCH_CPU"
  echo "- $PLAYERS players join at $CONNECT_RATE/s, inputs at 20 Hz; ${WARMUP}s warm-up + ${DURATION}s measured; recovery.enabled true, session_flush_ms $SESSION_FLUSH_MS; nice $NICE"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_liveops.py" snapshot "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
