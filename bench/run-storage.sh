#!/usr/bin/env bash
# Storage over the wire (issue 17): storage object writes through the whole
# server (protocol, session, store port) against three stores, in the same
# round: SQLite (the embedded default), PostgreSQL write-through (every write
# acknowledged after its PostgreSQL commit, the reference) and PostgreSQL
# write-behind (acknowledged after the local SQLite commit, flushed to
# PostgreSQL behind: store.write_behind.*).
#
# Each round runs the three modes back to back, the order rotating by round,
# each on a fresh server pinned to CPU $SERVER_CPU (--threads 1, empty
# database): citadel-bench storage, pinned to CPU $BENCH_CPU, logs CONNS new
# guests in (one player each), then every connection keeps DEPTH requests in
# flight on its own KEYS objects: StorageWrite of a ~100-byte JSON object
# (unconditional), or StorageRead for a READ_RATIO share; WARMUP s
# unmeasured, then DURATION s measured. The PostgreSQL modes start their own
# PostgreSQL 15 (lib-postgres.sh: a fresh copy of a cluster made at the
# start, durable settings, loopback, a free port, the scratch directory) and
# stop it by PID after the run; it is pinned to CPU $PG_CPU, with the bench by
# default (a 2-CPU machine has no third core). Write-behind runs with the
# defaults (writers 2, flush_interval_ms 50, max_batch 500) but max_pending
# 10,000,000, so nothing is refused for a full outbox (as store-object-bench),
# and an admin port: when the load stops, /metrics says how many
# acknowledged writes were not yet in PostgreSQL and how old the oldest was
# (the flush lag), and the script times the drain until none is left.
#
# With STRACE=1 one more run per mode (not in the table) counts the system
# calls of the server and of PostgreSQL (strace -c -f, attached for the whole
# bench run) and divides by the requests sent.
#
# RATE=N (requests/s over all players) runs each mode open loop instead:
# requests leave at scheduled times, each to the next player with a free
# slot (DEPTH caps a player's in flight), timed from that schedule, so a
# server that falls behind shows as latency; one that finds every slot busy
# is counted as missed. 0 (the default): closed loop.
#
# Environment (defaults): ROUNDS=3 CONNS=200 DEPTH=4 KEYS=1 READ_RATIO=0 RATE=0
#   DURATION=8 WARMUP=2 BENCH_THREADS=1 STRACE=0 PORT=17501 SERVER_CPU=0
#   BENCH_CPU=1 PG_CPU=$BENCH_CPU BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/storage-<stamp>.md;
# raw JSON lines in $RESULTS_DIR/storage-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-session.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-session.sh"
# shellcheck source=bench/lib-postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-postgres.sh"
# shellcheck source=bench/lib-strace.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-strace.sh"

ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-200}
DEPTH=${DEPTH:-4}
KEYS=${KEYS:-1}
READ_RATIO=${READ_RATIO:-0}
RATE=${RATE:-0}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
BENCH_THREADS=${BENCH_THREADS:-1}
STRACE=${STRACE:-0}
PORT=${PORT:-17501}
PG_CPU=${PG_CPU:-$BENCH_CPU}
MODES=(sqlite pg-through pg-behind)

for v in ROUNDS CONNS DEPTH KEYS DURATION BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
[[ $RATE =~ ^[0-9]+$ ]] || die "RATE must be a non-negative integer (requests/s; 0: closed loop)"
[[ $READ_RATIO =~ ^(0(\.[0-9]+)?|1(\.0*)?)$ ]] || die "READ_RATIO must be in 0..1"
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT != 0 && (PORT < 1024 || PORT > 65535))); then
  die "PORT must be 0 or in 1024..65535"
fi
for b in taskset timeout python3 setpriv; do
  command -v "$b" >/dev/null || die "'$b' is required"
done
[[ $STRACE == 0 ]] || command -v strace >/dev/null || die "STRACE=1 needs strace"
require_bin citadel
require_bin citadel-bench
require_release_build
need_fds "$CONNS"

bench_init
pg_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/storage-$STAMP.jsonl
REPORT=$RESULTS_DIR/storage-$STAMP.md
LOGS=$RESULTS_DIR/storage-$STAMP-logs
: >"$RAW"

# write_storage_config FILE MODE: the session config plus the mode's store
# (its keys go under the session config's own "store:" section).
write_storage_config() {
  write_session_config "$1"
  [[ $2 != sqlite ]] || return 0
  local behind=false
  [[ $2 != pg-behind ]] || behind=true
  cat >"$BENCH_TMP/store-keys.yaml" <<EOF2
  backend: postgres
  postgres:
    url: $(pg_url)
  write_behind:
    enabled: $behind
    path: $BENCH_TMP/citadel-writebehind.db
    max_pending: 10000000
EOF2
  sed -i "/^store:\$/r $BENCH_TMP/store-keys.yaml" "$1"
}

# record ROUND MODE OK ERROR JSON [EXTRA_JSON_FIELDS]
record() {
  printf '{"round":%s,"mode":"%s","ok":%s,"error":"%s","result":%s%s}\n' \
    "$1" "$2" "$3" "${4//\"/\'}" "${5:-null}" "${6:-}" >>"$RAW"
}

# run_mode ROUND MODE [strace]: one fresh server (and, for PostgreSQL, a
# fresh PostgreSQL), one citadel-bench run.
run_mode() {
  local round=$1 mode=$2 traced=${3:-} json="" err="" port=$PORT config extra=""
  config=$BENCH_TMP/citadel-$mode.yaml
  rm -f "$BENCH_TMP"/citadel-writebehind.db*
  PG_PID=""
  if [[ $mode != sqlite ]] && ! start_postgres "$PG_CPU"; then
    record "$round" "$mode" false "postgres did not start" null
    return 0
  fi
  write_storage_config "$config" "$mode"
  ((PORT == 0)) || port=$(pick_port "$PORT")
  # Write-behind's outbox is read from the admin port's /metrics after the run.
  local admin=0
  [[ $mode != pg-behind ]] || admin=$(pick_port 17601)
  if ! start_citadel "$port" "$config" "$admin"; then
    record "$round" "$mode" false "server did not start" null
    keep_failure_logs "$LOGS" "r$round-$mode"
    stop_postgres
    return 0
  fi
  local pid=$SERVER_PID
  STRACE_PIDS=()
  if [[ -n $traced ]]; then
    strace_start "$BENCH_TMP/strace-server.txt" "$pid"
    # Every PostgreSQL process: the backends serving citadel's connections
    # were forked before strace could follow them.
    # shellcheck disable=SC2046
    [[ -z $PG_PID ]] || strace_start "$BENCH_TMP/strace-postgres.txt" "$PG_PID" $(pgrep -P "$PG_PID")
    sleep 0.5  # strace attaches to every thread before the load starts
  fi
  local pg_t0=""
  [[ -z $PG_PID ]] || pg_t0=$(cpu_ticks_tree "$PG_PID")
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((DURATION + WARMUP + 90)) \
    "$BIN_DIR/citadel-bench" storage --host 127.0.0.1 --port "$SERVER_PORT" \
    --threads "$BENCH_THREADS" --connections "$CONNS" --depth "$DEPTH" --keys "$KEYS" \
    --read-ratio "$READ_RATIO" --duration "$DURATION" --warmup "$WARMUP" --connect-rate 5000 \
    --server-pid "$pid" --rate "$RATE" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench storage failed (exit $?)"
  fi
  # What the writers had not flushed when the load stopped, and how long
  # they took to flush it (PostgreSQL then holds every acknowledged write).
  ((admin == 0)) || extra+=$(outbox_drain "$admin")
  if [[ -n $pg_t0 ]]; then
    local pg_t1
    pg_t1=$(cpu_ticks_tree "$PG_PID") &&
      extra+=",\"postgres_cpu_s\":$(awk -v t=$((pg_t1 - pg_t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')"
  fi
  if [[ -n $traced ]]; then
    strace_stop
    local s p
    s=$(strace_total "$BENCH_TMP/strace-server.txt")
    p=$([[ -z $PG_PID ]] || strace_total "$BENCH_TMP/strace-postgres.txt")
    extra+=",\"strace\":true,\"server_syscalls\":${s:-null},\"postgres_syscalls\":${p:-null}"
    extra+=",\"server_top\":\"$(strace_top "$BENCH_TMP/strace-server.txt" 4)\""
    [[ -z $PG_PID ]] || extra+=",\"postgres_top\":\"$(strace_top "$BENCH_TMP/strace-postgres.txt" 4)\""
    mkdir -p "$LOGS"
    cp "$BENCH_TMP/strace-server.txt" "$LOGS/strace-$mode-server.txt" 2>/dev/null || true
    [[ -z $PG_PID ]] || cp "$BENCH_TMP/strace-postgres.txt" "$LOGS/strace-$mode-postgres.txt" 2>/dev/null || true
  fi
  if [[ -z $err ]] && ! kill -0 "$pid" 2>/dev/null; then err="server exited during the run"; fi
  stop_server "$pid"
  stop_postgres
  if [[ -n $err ]]; then
    log "  r$round $mode: FAILED: $err"
    record "$round" "$mode" false "$err" "${json:-null}" "$extra"
    keep_failure_logs "$LOGS" "r$round-$mode"
    return 0
  fi
  record "$round" "$mode" true "" "$json" "$extra"
  log "  r$round $mode${traced:+ (strace)}: $(python3 "$BENCH_ROOT/bench/summarize_storage.py" brief "$json")"
}

# wb_metric ADMIN_PORT NAME: one write-behind gauge from /metrics ("" if none).
wb_metric() {
  curl -s --max-time 2 "http://127.0.0.1:$1/metrics" |
    awk -v n="$2" 'index($0, n "{") == 1 { print $2; exit }'
}

# outbox_drain ADMIN_PORT: ,"wb_pending_at_end":N,"wb_lag_at_end_s":S,"wb_drain_s":D
# (D null if the outbox did not empty within 120 s).
outbox_drain() {
  local pending lag start drain=null
  pending=$(wb_metric "$1" citadel_store_write_behind_pending)
  lag=$(wb_metric "$1" citadel_store_write_behind_flush_lag_seconds)
  start=$(date +%s.%N)
  while [[ -n $pending ]] && ! awk -v p="$(wb_metric "$1" citadel_store_write_behind_pending)" \
    'BEGIN { exit !(p == 0) }'; do
    if awk -v s="$start" -v now="$(date +%s.%N)" 'BEGIN { exit !(now - s > 120) }'; then
      start=""
      break
    fi
    sleep 0.05
  done
  [[ -z $start || -z $pending ]] ||
    drain=$(awk -v s="$start" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", now - s }')
  printf ',"wb_pending_at_end":%s,"wb_lag_at_end_s":%s,"wb_drain_s":%s' \
    "${pending:-null}" "${lag:-null}" "$drain"
}

# cpu_ticks_tree PID: cpu_ticks of PID and its children (PostgreSQL serves
# each connection from a backend process of its own).
cpu_ticks_tree() {
  local total=0 p t
  for p in "$1" $(pgrep -P "$1"); do
    t=$(cpu_ticks "$p" 2>/dev/null) && total=$((total + t))
  done
  echo "$total"
}

log "storage benchmark: $ROUNDS rounds of [${MODES[*]}], $CONNS players, depth $DEPTH, read ratio $READ_RATIO"
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  # Rotate the order, so no mode always runs first (or last) in a round.
  shift_by=$(((round - 1) % ${#MODES[@]}))
  order=("${MODES[@]:shift_by}" "${MODES[@]:0:shift_by}")
  for mode in "${order[@]}"; do run_mode "$round" "$mode"; done
done
if [[ $STRACE == 1 ]]; then
  log "strace runs (not in the table)"
  for mode in "${MODES[@]}"; do run_mode 0 "$mode" strace; done
fi

{
  echo "# Storage over the wire, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- load: $CONNS players (guest logins, one per connection), $DEPTH storage requests in flight each on $KEYS object(s) of their own, read ratio $READ_RATIO (the rest: unconditional StorageWrite of a ~100-byte JSON object); ${WARMUP}s warm-up + ${DURATION}s measured per mode and round"
  if ((RATE > 0)); then echo "- open loop: $RATE requests/s offered over all players (timed from the schedule; a request that finds every slot busy is missed)"; fi
  echo "- pinning: citadel (--threads 1) on CPU $SERVER_CPU, citadel-bench (--threads $BENCH_THREADS) on CPU $BENCH_CPU, PostgreSQL $("$PG_BIN/postgres" --version | grep -o '[0-9]\+\.[0-9]\+' | head -n 1) (durable: fsync, synchronous_commit on) on CPU $PG_CPU"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_storage.py" report "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
