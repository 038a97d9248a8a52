#!/usr/bin/env bash
# Live operations under load (issue 16): a config reload and a room-plugin
# swap while PLAYERS arena players play, against quiet windows of the same
# length on the same server. One citadel (empty database, admin port on,
# a config file listing the counter plugin) pinned to CPU $SERVER_CPU with
# one I/O thread, for the whole run; citadel-bench arena pinned to CPU
# $BENCH_CPU.
#
# ROUNDS rounds of two windows, quiet and ops (the order alternates by round,
# so a drift of the machine's load falls on both kinds alike). Each window is
# its own citadel-bench arena run: PLAYERS new guests join at CONNECT_RATE
# (16 a room, inputs at 20 Hz), WARMUP s, then WINDOW s measured. In an ops
# window the script acts inside the measured window (citadel-bench
# --window-file says when it opens): every OP_EVERY s, in turn (OPS),
#   reload  the config file is rewritten with live keys changed
#           (chat.messages_per_second 5 <-> 6, rooms.lockstep.max_players
#           8 <-> 9; rooms.plugins names the version running) and
#           POST /config/reload
#   swap    POST /plugins/load with the other version of the counter plugin
#           (v1 -> v2 -> v1 ...: tests/plugins, counter_v1 and counter_v2)
# Besides, PLUGIN_PLAYERS players (4 a room) sit in rooms of the plugin's
# type ("counter") for the whole run, so that each swap has open rooms to
# leave on their version (they finish there; docs/plugins.md). They are a
# second citadel-bench arena run with --room-type counter: their ArenaInputs
# (one every 10 s) are refused with an ERROR frame, which is expected; what
# counts is that they stay connected (their disconnects are reported).
# Reported per window: p50/p99 input-to-ack, disconnects, ticks skipped and
# tick overruns (server, /metrics sampled every second, inside the window),
# tick numbers missing between the ArenaStates each client received
# (client side: a skipped tick shows as a gap), rooms below 97.5 % of 20 Hz,
# the operations done and their HTTP answers; and ops/quiet p99, paired per
# round (median of the per-round ratios, bench/paired.py).
#
# Environment (defaults): PLAYERS=2000 ROUNDS=3 WINDOW=20 WARMUP=3
#   OP_EVERY=2 OPS="reload swap" (the operations taken in turn; "reload" or
#   "swap" alone to tell their effects apart) PLUGIN_PLAYERS=16 (0: none) CONNECT_RATE=1000 BENCH_THREADS=1 EXECUTOR_THREADS=0
#   PLUGIN_DIR=$BUILD_DIR/tests/plugins (libcounter_v1.so, libcounter_v2.so)
#   PLUGIN_B=libcounter_v2.so (the version swapped with v1; libcounter_v2_handover.so
#   takes the open plugin rooms over when it is swapped in, docs/plugins.md)
#   ADMIN_PORT=17491 PORT=0 NICE=0 SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin
#   RESULTS_DIR=bench/results ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/live-ops-<stamp>.md;
# one raw JSON line per window in $RESULTS_DIR/live-ops-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"

PLAYERS=${PLAYERS:-2000}
ROUNDS=${ROUNDS:-3}
WINDOW=${WINDOW:-20}
WARMUP=${WARMUP:-3}
OP_EVERY=${OP_EVERY:-2}
PLUGIN_PLAYERS=${PLUGIN_PLAYERS:-16}
OPS=${OPS:-"reload swap"}
read -ra OP_LIST <<<"$OPS"
((${#OP_LIST[@]} > 0)) || die "OPS must name at least one operation (reload, swap)"
for o in "${OP_LIST[@]}"; do
  [[ $o == reload || $o == swap ]] || die "OPS: unknown operation '$o' (reload, swap)"
done
CONNECT_RATE=${CONNECT_RATE:-1000}
BENCH_THREADS=${BENCH_THREADS:-1}
PORT=${PORT:-0}
PLUGIN_DIR=${PLUGIN_DIR:-$BUILD_DIR/tests/plugins}

for v in PLAYERS ROUNDS WINDOW OP_EVERY CONNECT_RATE BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
[[ $PLUGIN_PLAYERS =~ ^[0-9]+$ ]] || die "PLUGIN_PLAYERS must be a non-negative integer"
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a port number or 0"
[[ $ADMIN_PORT =~ ^[1-9][0-9]*$ ]] || die "ADMIN_PORT must be a port number (the operations need it)"
for b in taskset timeout python3 curl; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_release_build
PLUGINS=("$PLUGIN_DIR/libcounter_v1.so" "$PLUGIN_DIR/${PLUGIN_B:-libcounter_v2.so}")
for p in "${PLUGINS[@]}"; do
  [[ -f $p ]] || die "$p not found: build the test plugins (cmake --build build --target counter_v1 counter_v2 counter_v2_handover) or set PLUGIN_DIR"
done
need_room_fds $((PLAYERS + PLUGIN_PLAYERS))

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/live-ops-$STAMP.jsonl
REPORT=$RESULTS_DIR/live-ops-$STAMP.md
LOGS=$RESULTS_DIR/live-ops-$STAMP-logs
CONFIG=$BENCH_TMP/citadel-live-ops.yaml
: >"$RAW"

PLUGIN_NOW=0    # index into PLUGINS of the version running
RELOAD_FLIP=0   # which set of live values the config file holds

# write_config: the rooms bench config plus the keys the reloads change and
# the plugin list (the version running, so a reload alone swaps nothing).
write_config() {
  local tmp=$CONFIG.tmp
  write_rooms_config "$tmp"
  # write_rooms_config ends inside "rooms:" (executor_threads): more rooms keys follow.
  cat >>"$tmp" <<EOF
  plugins: [${PLUGINS[$PLUGIN_NOW]}]
  plugin_scratch_dir: $BENCH_TMP/plugins
  lockstep:
    max_players: $((8 + RELOAD_FLIP))
chat:
  messages_per_second: $((5 + RELOAD_FLIP))
EOF
  mv "$tmp" "$CONFIG"  # whole, never half-written
}

ADMIN_URL=""
# admin_post PATH [BODY]: one admin request; prints a JSON object
# {"t","op","http","s","body"} for the ops log.
admin_post() {
  local path=$1 body=${2:-} op=$3 out code s started
  started=$(date +%s.%N)
  out=$(curl -s --max-time 10 -X POST --data-binary "$body" -w '\n%{http_code} %{time_total}' \
    "$ADMIN_URL$path" 2>/dev/null) || true
  read -r code s <<<"$(tail -n 1 <<<"$out")"
  out=$(head -n -1 <<<"$out" | tr -d '\n' | tr '"' "'" | cut -c1-200)
  printf '{"t":%s,"op":"%s","http":%s,"s":%s,"body":"%s"}' "$started" "$op" "${code:-0}" "${s:-0}" "$out"
}

# ops_during WINDOW_FILE LIMIT_S OUT: waits for the bench's window, then
# alternates reload and swap every OP_EVERY s inside it (from 0.5 s after its
# start to 0.5 s before its end); one JSON object per operation into OUT.
ops_during() {
  local wfile=$1 out=$3 deadline=$((SECONDS + $2)) start end now next turn=0
  : >"$out"
  until [[ -s $wfile ]]; do
    ((SECONDS < deadline)) || return 0
    sleep 0.1
  done
  read -r start end <"$wfile"
  next=$(awk -v s="$start" 'BEGIN { printf "%.3f", s + 0.5 }')
  while :; do
    now=$(date +%s.%N)
    awk -v n="$now" -v x="$next" -v e="$end" 'BEGIN { exit !(x < e - 0.5) }' || break
    sleep "$(awk -v n="$now" -v x="$next" 'BEGIN { d = x - n; printf "%.3f", (d > 0 ? d : 0) }')"
    if [[ ${OP_LIST[$((turn % ${#OP_LIST[@]}))]} == reload ]]; then
      RELOAD_FLIP=$((1 - RELOAD_FLIP))
      write_config
      admin_post /config/reload "" reload >>"$out"
    else
      PLUGIN_NOW=$((1 - PLUGIN_NOW))
      write_config  # the file names the version about to run, for the next reload
      admin_post /plugins/load "${PLUGINS[$PLUGIN_NOW]}" swap >>"$out"
    fi
    echo >>"$out"
    turn=$((turn + 1))
    next=$(awk -v x="$next" -v p="$OP_EVERY" 'BEGIN { printf "%.3f", x + p }')
  done
}

# window KIND ROUND: one citadel-bench arena run (and, for ops, the
# operations inside its window); one raw line.
window() {
  local kind=$1 round=$2 err="" json="" limit started ops_json="[]"
  local wfile=$BENCH_TMP/window.txt opsfile=$BENCH_TMP/ops.jsonl bench_pid
  rm -f "$wfile"
  : >"$opsfile"
  limit=$((WINDOW + WARMUP + PLAYERS / CONNECT_RATE + 120))
  metrics_sampler_start "$BENCH_TMP/samples" "$limit"
  started=$(date +%s.%N)
  timeout --kill-after=5 "$limit" taskset -c "$BENCH_CPU" "${PRIO[@]}" "$BIN_DIR/citadel-bench" arena \
    --host 127.0.0.1 --port "$SERVER_PORT" --players "$PLAYERS" --duration "$WINDOW" \
    --warmup "$WARMUP" --connect-rate "$CONNECT_RATE" --threads "$BENCH_THREADS" \
    --server-pid "$SERVER_PID" --window-file "$wfile" --quiet \
    >"$BENCH_TMP/bench.out" 2>"$BENCH_TMP/bench.err" &
  bench_pid=$!
  BENCH_PIDS+=("$bench_pid")
  if [[ $kind == ops ]]; then
    ops_during "$wfile" "$limit" "$opsfile"
  fi
  if wait "$bench_pid"; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench arena failed (exit $?)"
  fi
  forget_pid "$bench_pid"
  metrics_sampler_stop
  kill -0 "$SERVER_PID" 2>/dev/null && [[ $(proc_state "$SERVER_PID") != Z ]] ||
    err=${err:-"server exited during the window"}
  [[ -s $opsfile ]] && ops_json="[$(grep -v '^$' "$opsfile" | paste -sd, -)]"
  local w=null
  [[ -s $wfile ]] && w="[$(tr ' ' ',' <"$wfile" | tr -d '\n')]"
  printf '{"part":"live-ops","kind":"%s","round":%s,"ok":%s,"error":"%s","players":%s,"window":%s,"bench_started_at":%s,"ops":%s,"metrics_samples":%s,"clk_tck":%s,"bench":%s}\n' \
    "$kind" "$round" "$([[ -z $err ]] && echo true || echo false)" "${err//\"/\'}" "$PLAYERS" \
    "$w" "$started" "$ops_json" "$(samples_json "$BENCH_TMP/samples")" "$CLK_TCK" "${json:-null}" >>"$RAW"
  if [[ -n $err ]]; then
    log "  $kind r$round: FAILED: $err"
    mkdir -p "$LOGS"
    cp "$BENCH_TMP/bench.err" "$LOGS/$kind-r$round.bench.err" 2>/dev/null || true
    cp "$BENCH_TMP/server.log" "$LOGS/$kind-r$round.server.log" 2>/dev/null || true
  fi
  log "  $(python3 "$BENCH_ROOT/bench/summarize_liveops.py" brief "$(tail -n 1 "$RAW")")"
}

write_config
start_rooms_server "$(pick_port "$PORT")" "$CONFIG" || die "citadel did not start (see above)"
ADMIN_URL=${METRICS_URL%/metrics}
[[ -n $ADMIN_URL ]] || die "no admin port"
curl -s --max-time 5 "$ADMIN_URL/plugins" | grep -q '"counter"' ||
  die "the server did not load the counter plugin ($ADMIN_URL/plugins)"

# The plugin rooms' players: one citadel-bench run for the whole of the
# windows, stopped with SIGINT at the end (it then prints its line).
PLUGIN_BENCH_PID=""
if ((PLUGIN_PLAYERS > 0)); then
  total=$((ROUNDS * 2 * (WINDOW + WARMUP + PLAYERS / CONNECT_RATE + 30) + 60))
  taskset -c "$BENCH_CPU" "$BIN_DIR/citadel-bench" arena --host 127.0.0.1 --port "$SERVER_PORT" \
    --players "$PLUGIN_PLAYERS" --room-type counter --input-hz 0.1 --duration "$total" --warmup 0 \
    --connect-rate 100 --quiet >"$BENCH_TMP/plugin-bench.out" 2>"$BENCH_TMP/plugin-bench.err" &
  PLUGIN_BENCH_PID=$!
  BENCH_PIDS+=("$PLUGIN_BENCH_PID")
  sleep 2
fi

log "live ops: $PLAYERS players, $ROUNDS rounds x (quiet, ops) windows of ${WARMUP}s + ${WINDOW}s, an operation ($OPS in turn) every ${OP_EVERY}s, load average $(cut -d' ' -f1 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then order=(quiet ops); else order=(ops quiet); fi
  for kind in "${order[@]}"; do
    log "round $round/$ROUNDS: $kind window"
    window "$kind" "$round"
  done
done
PLUGIN_JSON=null
if [[ -n $PLUGIN_BENCH_PID ]]; then
  kill -INT "$PLUGIN_BENCH_PID" 2>/dev/null || true
  wait_exit "$PLUGIN_BENCH_PID" 15 || kill -KILL "$PLUGIN_BENCH_PID" 2>/dev/null || true
  forget_pid "$PLUGIN_BENCH_PID"
  PLUGIN_JSON=$(last_json_line "$BENCH_TMP/plugin-bench.out")
  PLUGIN_JSON=${PLUGIN_JSON:-null}
fi
PLUGINS_STATE=$(curl -s --max-time 5 "$ADMIN_URL/plugins" | tr -d '\n' || true)
printf '{"part":"plugin-rooms","players":%s,"bench":%s,"plugins":%s}\n' "$PLUGIN_PLAYERS" \
  "$PLUGIN_JSON" "${PLUGINS_STATE:-null}" >>"$RAW"
stop_server "$SERVER_PID"

{
  echo "# Live operations under load, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- server: citadel --threads 1, rooms.executor_threads $EXECUTOR_THREADS, pinned to CPU $SERVER_CPU, one server for the whole run; citadel-bench arena --threads $BENCH_THREADS pinned to CPU $BENCH_CPU, a new run ($PLAYERS new players) per window"
  echo "- windows: ${WARMUP}s warm-up + ${WINDOW}s measured; players join at $CONNECT_RATE/s; ops windows: $OPS in turn every ${OP_EVERY}s; nice $NICE"
  echo "- plugin rooms: $PLUGIN_PLAYERS players in \`counter\` rooms (4 a room) for the whole run"
  echo "- plugins: ${PLUGINS[*]}"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_liveops.py" ops "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
