#!/usr/bin/env bash
# The arena beside its Colyseus peer (issue 15): capacity on one core and
# server CPU per 1,000 players, for Colyseus (bench/colyseus: server.js on
# @colyseus/core + ws-transport, bots.js) and, with SERVERS="colyseus
# citadel", for Citadel in the same run (citadel-bench arena, over WebSocket
# when citadel-bench has --transport ws). Each run gets a fresh server pinned
# to CPU $SERVER_CPU; the bots (or citadel-bench) run on CPU $BENCH_CPU.
#
#   capacity  CAP_ROUNDS x, per server (the order alternating from round to
#             round): START players, then + STEP each step up to MAX; each step
#             held HOLD s after WARMUP s. A step passes with every player in, p99
#             input-to-ack under P99_MS, no disconnects or errors, and every room
#             observed at >= 97.5 % of 20 Hz: the same bar for both servers
#             (bench/summarize_colyseus.py; Citadel's skipped ticks from /metrics
#             are reported, not a failure, as Colyseus has no such counter). A
#             search stops at its first failing step.
#             Citadel / Colyseus capacity is the median of the per-round ratios.
#   Servers: colyseus; citadel (over CITADEL_TRANSPORT, server.wake_coalesce_us
#             WAKE_COALESCE_US, default 0); citadel-tcp (the same server over raw
#             TCP: what WebSocket adds, same round); citadel-wc (over
#             CITADEL_TRANSPORT with an arena server's settings:
#             server.wake_coalesce_us WC_US, default 2000 (the slot width), wake-up coalescing,
#             and rooms.tick_slot_us WC_SLOT_US, default 2000; docs/operations.md).
#   cost      ROUNDS x [each server with COST_PLAYERS players for COST_DURATION s
#             after WARMUP s], the servers' order alternating from round to round:
#             the server's CPU (utime + stime over the window, /proc/PID/stat) per
#             1,000 players. Citadel / Colyseus is the median of the per-round
#             ratios (bench/paired.py).
#
# Environment (defaults): PARTS="capacity cost" SERVERS="colyseus" (add
#   citadel for the comparison) START=500 CITADEL_START=$START STEP=500 MAX=8000
#   HOLD=20 WARMUP=20 P99_MS=60 CONNECT_RATE=500 CAP_ROUNDS=1 COST_PLAYERS=1000
#   COST_DURATION=20 ROUNDS=3 PATCH=after-tick (server.js --patch) BOT_CLIENT=raw
#   (or colyseus.js) BOT_PROCS=1 CITADEL_TRANSPORT=auto (ws when citadel-bench
#   has --transport, else tcp; or ws / tcp) CITADEL_BENCH=$BIN_DIR/citadel-bench
#   (the load generator for Citadel) INPUT_STEP_US=1000 (citadel-bench
#   --input-step-us: it wakes for inputs at most once a millisecond, as the
#   bots do on Node's 1 ms timers; 0: each input at its own microsecond,
#   which costs the load generator a wake-up per input) NODE=node NICE=0 (-20: see
#   bench/README.md) PORT=0 ADMIN_PORT=17491 SERVER_CPU=0 BENCH_CPU=1
#   BIN_DIR=build/bin RESULTS_DIR=bench/results ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/colyseus-arena-<stamp>.md;
# one raw JSON line per run in $RESULTS_DIR/colyseus-arena-<stamp>.jsonl; the
# issue-15 figures (capacities, CPU per 1,000 players, ratios) as one JSON
# object in $RESULTS_DIR/colyseus-arena-<stamp>.summary.json.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"

PARTS=${PARTS:-"capacity cost"}
SERVERS=${SERVERS:-colyseus}
START=${START:-500}
CITADEL_START=${CITADEL_START:-$START}
STEP=${STEP:-500}
MAX=${MAX:-8000}
HOLD=${HOLD:-20}
WARMUP=${WARMUP:-20}
P99_MS=${P99_MS:-60}
CONNECT_RATE=${CONNECT_RATE:-500}
CAP_ROUNDS=${CAP_ROUNDS:-1}
COST_PLAYERS=${COST_PLAYERS:-1000}
COST_DURATION=${COST_DURATION:-20}
ROUNDS=${ROUNDS:-3}
PATCH=${PATCH:-after-tick}
BOT_CLIENT=${BOT_CLIENT:-raw}
BOT_PROCS=${BOT_PROCS:-1}
CITADEL_TRANSPORT=${CITADEL_TRANSPORT:-auto}
CITADEL_BENCH=${CITADEL_BENCH:-$BIN_DIR/citadel-bench}
NODE=${NODE:-node}
PORT=${PORT:-0}
COLYSEUS_DIR=$BENCH_ROOT/bench/colyseus

for v in START CITADEL_START STEP MAX HOLD P99_MS CONNECT_RATE CAP_ROUNDS COST_PLAYERS COST_DURATION ROUNDS BOT_PROCS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a port number or 0"
[[ $ADMIN_PORT =~ ^[0-9]+$ ]] || die "ADMIN_PORT must be a port number or 0"
for p in $PARTS; do [[ $p == capacity || $p == cost ]] || die "unknown part '$p' (capacity, cost)"; done
for s in $SERVERS; do
  [[ $s =~ ^(colyseus|citadel|citadel-tcp|citadel-wc)$ ]] ||
    die "unknown server '$s' (colyseus, citadel, citadel-tcp, citadel-wc)"
done
INPUT_STEP_US=${INPUT_STEP_US:-1000}
[[ $INPUT_STEP_US =~ ^[0-9]+$ ]] || die "INPUT_STEP_US must be a non-negative integer (microseconds)"
WC_US=${WC_US:-2000}
[[ $WC_US =~ ^[0-9]+$ ]] || die "WC_US must be a non-negative integer (microseconds)"
WC_SLOT_US=${WC_SLOT_US:-2000}
[[ $WC_SLOT_US =~ ^[0-9]+$ ]] || die "WC_SLOT_US must be a positive integer (microseconds)"
ANY_CITADEL=0
[[ " $SERVERS " =~ \ citadel(-tcp|-wc)?\  ]] && ANY_CITADEL=1
[[ $PATCH =~ ^(after-tick|interval|manual)$ ]] || die "PATCH must be after-tick, interval or manual"
[[ $BOT_CLIENT == raw || $BOT_CLIENT == colyseus.js ]] || die "BOT_CLIENT must be raw or colyseus.js"
[[ $CITADEL_TRANSPORT =~ ^(auto|ws|tcp)$ ]] || die "CITADEL_TRANSPORT must be auto, ws or tcp"
for b in taskset timeout python3 curl; do command -v "$b" >/dev/null || die "'$b' is required"; done

NODE_VERSION=""
VERSIONS="{}"
if [[ " $SERVERS " == *" colyseus "* ]]; then
  command -v "$NODE" >/dev/null || die "'$NODE' not found (Node.js 18 or later; set NODE=...)"
  [[ -d $COLYSEUS_DIR/node_modules/@colyseus/core ]] ||
    die "bench/colyseus has no node_modules; install the pinned packages first: (cd bench/colyseus && npm ci)"
  NODE_VERSION=$("$NODE" --version)
  VERSIONS=$(cd "$COLYSEUS_DIR" && "$NODE" -e '
    const fs = require("fs");
    const v = (p) => { try { return JSON.parse(fs.readFileSync("node_modules/" + p + "/package.json", "utf8")).version; } catch { return null; } };
    console.log(JSON.stringify({ node: process.version, "@colyseus/core": v("@colyseus/core"),
      "@colyseus/ws-transport": v("@colyseus/ws-transport"), "@colyseus/schema": v("@colyseus/schema"),
      "colyseus.js": v("colyseus.js"), ws: v("ws") }));')
fi
CITADEL_WIRE=tcp
if ((ANY_CITADEL)); then
  require_bin citadel
  [[ -x $CITADEL_BENCH ]] || die "$CITADEL_BENCH not found (build citadel-bench, or set CITADEL_BENCH)"
  require_release_build
  has_ws=0
  if "$CITADEL_BENCH" arena --help 2>&1 | grep -- '--transport' >/dev/null; then has_ws=1; fi
  if ((INPUT_STEP_US > 0)) && ! "$CITADEL_BENCH" arena --help 2>&1 | grep -- '--input-step-us' >/dev/null; then
    die "$CITADEL_BENCH has no --input-step-us option: set INPUT_STEP_US=0 (or use a newer citadel-bench)"
  fi
  case $CITADEL_TRANSPORT in
    ws) ((has_ws)) || die "citadel-bench has no --transport option: it cannot drive Citadel over WebSocket yet"
      CITADEL_WIRE=ws ;;
    tcp) CITADEL_WIRE=tcp ;;
    auto) if ((has_ws)); then CITADEL_WIRE=ws; else
        log "warning: citadel-bench has no --transport option; Citadel runs over raw TCP (not transport for transport)"
        CITADEL_WIRE=tcp
      fi ;;
  esac
fi
most=$MAX
((COST_PLAYERS > most)) && most=$COST_PLAYERS
need_room_fds "$most"
((most / BOT_PROCS + 200 < 20000)) || log "warning: $((most / BOT_PROCS)) players per bot process; raise BOT_PROCS if the open-file limit is 20,000"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/colyseus-arena-$STAMP.jsonl
REPORT=$RESULTS_DIR/colyseus-arena-$STAMP.md
SUMMARY=$RESULTS_DIR/colyseus-arena-$STAMP.summary.json
LOGS=$RESULTS_DIR/colyseus-arena-$STAMP-logs
: >"$RAW"

# record PART TAG SERVER ROUND OK ERROR EXTRA_JSON_FIELDS BENCH_JSON: one raw line.
record() {
  local err=${6//\"/\'}
  printf '{"part":"%s","tag":"%s","server":"%s","round":"%s","ok":%s,"error":"%s",%s,"clk_tck":%s,"bench":%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$err" "$7" "$CLK_TCK" "${8:-null}" >>"$RAW"
}

keep_logs() {
  mkdir -p "$LOGS"
  local f
  for f in server.log bench.err bench.out; do cp "$BENCH_TMP/$f" "$LOGS/$1.$f" 2>/dev/null || true; done
  log "  logs kept in $LOGS"
}

# colyseus_run PART TAG ROUND PLAYERS DURATION: a fresh server.js and one bots.js run.
colyseus_run() {
  local part=$1 tag=$2 round=$3 players=$4 duration=$5 err="" json="" limit started
  local common="\"players\":$players,\"transport\":\"ws\",\"patch\":\"$PATCH\",\"bot_client\":\"$BOT_CLIENT\",\"bot_procs\":$BOT_PROCS,\"p99_ms_bar\":$P99_MS,\"warmup_s\":$WARMUP,\"versions\":$VERSIONS"
  if ! start_server colyseus "$BENCH_TMP/server.log" - "${PRIO[@]}" "$NODE" "$COLYSEUS_DIR/server.js" \
    --port "$(pick_port "$PORT")" --patch "$PATCH"; then
    record "$part" "$tag" colyseus "$round" false "server did not start" "$common" null
    keep_logs "$tag"
    return 0
  fi
  local pid=$SERVER_PID
  common="$common,\"port\":$SERVER_PORT"
  if ! colyseus_ready "$SERVER_PORT"; then
    stop_server "$pid"
    record "$part" "$tag" colyseus "$round" false "server did not answer HTTP on port $SERVER_PORT" "$common" null
    keep_logs "$tag"
    return 0
  fi
  limit=$((duration + WARMUP + players / CONNECT_RATE + 120))
  started=$(date +%s.%N)
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
    "${PRIO[@]}" "$NODE" "$COLYSEUS_DIR/bots.js" --host 127.0.0.1 --port "$SERVER_PORT" --players "$players" \
    --procs "$BOT_PROCS" --client "$BOT_CLIENT" --connect-rate "$CONNECT_RATE" --warmup "$WARMUP" \
    --duration "$duration" --server-pid "$pid" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="bots.js printed no JSON line"
  else
    err="bots.js failed (exit $?)"
  fi
  if ! kill -0 "$pid" 2>/dev/null || [[ $(proc_state "$pid") == Z ]]; then
    err=${err:-"server exited during the run"}
  fi
  stop_server "$pid"
  record "$part" "$tag" colyseus "$round" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "$common,\"bench_started_at\":$started" "${json:-null}"
  [[ -z $err ]] || { log "  $tag: FAILED: $err"; keep_logs "$tag"; }
}

# citadel_run PART TAG ROUND PLAYERS DURATION [SERVER WIRE COALESCE_US]: a fresh citadel
# and one citadel-bench arena run (as bench/run-arena.sh does, with the same warm-up
# and hold as the Colyseus runs). SERVER names the run in the raw lines (citadel,
# citadel-tcp, citadel-wc); WIRE is tcp or ws; COALESCE_US is server.wake_coalesce_us.
citadel_run() {
  local part=$1 tag=$2 round=$3 players=$4 duration=$5 err="" json="" before=null after=null limit started
  local name=${6:-citadel} wire=${7:-$CITADEL_WIRE} coalesce=${8:-${WAKE_COALESCE_US:-0}}
  local slot=${9:-${TICK_SLOT_US:-2000}}
  local config=$BENCH_TMP/citadel-arena.yaml flags=()
  [[ $wire == ws ]] && flags=(--transport ws)
  ((INPUT_STEP_US > 0)) && flags+=(--input-step-us "$INPUT_STEP_US")
  local common="\"players\":$players,\"transport\":\"$wire\",\"input_step_us\":$INPUT_STEP_US,\"wake_coalesce_us\":$coalesce,\"tick_slot_us\":$slot,\"executor_threads\":$EXECUTOR_THREADS,\"p99_ms_bar\":$P99_MS,\"warmup_s\":$WARMUP"
  WAKE_COALESCE_US=$coalesce TICK_SLOT_US=$slot write_rooms_config "$config"
  if ! start_rooms_server "$(pick_port "$PORT")" "$config"; then
    record "$part" "$tag" "$name" "$round" false "server did not start" "$common" null
    keep_logs "$tag"
    return 0
  fi
  local pid=$SERVER_PID
  # The admin port may answer a moment after the game port: no figure then, not an exit.
  before=$(room_metrics) || before=null
  limit=$((duration + WARMUP + players / CONNECT_RATE + 120))
  metrics_sampler_start "$BENCH_TMP/samples" "$limit"
  started=$(date +%s.%N)
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
    "${PRIO[@]}" "$CITADEL_BENCH" arena --host 127.0.0.1 --port "$SERVER_PORT" "${flags[@]}" \
    --players "$players" --duration "$duration" --warmup "$WARMUP" --connect-rate "$CONNECT_RATE" \
    --threads 1 --server-pid "$pid" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench arena failed (exit $?)"
  fi
  metrics_sampler_stop
  if kill -0 "$pid" 2>/dev/null && [[ $(proc_state "$pid") != Z ]]; then
    after=$(room_metrics) || after=null
  else
    err=${err:-"server exited during the run"}
  fi
  stop_server "$pid"
  record "$part" "$tag" "$name" "$round" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "$common,\"bench_started_at\":$started,\"metrics_before\":$before,\"metrics_after\":$after,\"metrics_samples\":$(samples_json "$BENCH_TMP/samples")" \
    "${json:-null}"
  [[ -z $err ]] || { log "  $tag: FAILED: $err"; keep_logs "$tag"; }
}

summary() { python3 "$BENCH_ROOT/bench/summarize_colyseus.py" "$@"; }

# run_one SERVER PART TAG ROUND PLAYERS DURATION: one run of any server.
run_one() {
  local server=$1
  shift
  case $server in
    colyseus) colyseus_run "$@" ;;
    citadel) citadel_run "$@" citadel "$CITADEL_WIRE" "${WAKE_COALESCE_US:-0}" ;;
    citadel-tcp) citadel_run "$@" citadel-tcp tcp "${WAKE_COALESCE_US:-0}" ;;
    citadel-wc) citadel_run "$@" citadel-wc "$CITADEL_WIRE" "$WC_US" "$WC_SLOT_US" ;;
  esac
}

log "colyseus arena benchmark: parts '$PARTS', servers '$SERVERS', load average $(cut -d' ' -f1 /proc/loadavg)"
[[ -n $NODE_VERSION ]] && log "  colyseus: $VERSIONS, patch $PATCH, bots: $BOT_CLIENT x $BOT_PROCS process(es)"
((ANY_CITADEL)) && log "  citadel: $BIN_DIR/citadel, load from $CITADEL_BENCH over $CITADEL_WIRE"

if [[ " $PARTS " == *" capacity "* ]]; then
  read -r -a order <<<"$SERVERS"
  for ((round = 1; round <= CAP_ROUNDS; round++)); do
    for server in "${order[@]}"; do
      first=$START
      [[ $server == citadel* ]] && first=$CITADEL_START
      for ((n = first; n <= MAX; n += STEP)); do
        log "capacity round $round/$CAP_ROUNDS: $server, $n players, ${WARMUP}s warm-up + ${HOLD}s"
        run_one "$server" capacity "$server-capacity-r$round-$n" "$round" "$n" "$HOLD"
        line=$(summary brief "$(tail -n 1 "$RAW")")
        if summary verdict "$(tail -n 1 "$RAW")"; then
          log "  PASS  $line"
        else
          log "  FAIL  $line"
          break
        fi
      done
    done
    ((${#order[@]} < 2)) || order=("${order[@]:1}" "${order[0]}")
  done
fi

if [[ " $PARTS " == *" cost "* ]]; then
  read -r -a order <<<"$SERVERS"
  for ((round = 1; round <= ROUNDS; round++)); do
    for server in "${order[@]}"; do
      log "cost round $round/$ROUNDS: $server, $COST_PLAYERS players, ${WARMUP}s warm-up + ${COST_DURATION}s"
      run_one "$server" cost "$server-cost-r$round" "$round" "$COST_PLAYERS" "$COST_DURATION"
      log "  $(summary brief "$(tail -n 1 "$RAW")")"
    done
    # Alternate the order from round to round, so drift does not favour one.
    ((${#order[@]} < 2)) || order=("${order[@]:1}" "${order[0]}")
  done
fi

{
  echo "# Arena beside its Colyseus peer (issue 15), $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  [[ -n $NODE_VERSION ]] && echo "- colyseus: $VERSIONS; server.js --patch $PATCH pinned to CPU $SERVER_CPU; bots.js --client $BOT_CLIENT --procs $BOT_PROCS pinned to CPU $BENCH_CPU"
  ((ANY_CITADEL)) && echo "- citadel: --threads 1, rooms.executor_threads $EXECUTOR_THREADS, pinned to CPU $SERVER_CPU; $CITADEL_BENCH arena --threads 1 over $CITADEL_WIRE pinned to CPU $BENCH_CPU, --input-step-us $INPUT_STEP_US; server.wake_coalesce_us ${WAKE_COALESCE_US:-0} (citadel-tcp: the same over tcp; citadel-wc: wake_coalesce_us $WC_US, tick_slot_us $WC_SLOT_US)"
  echo "- players join at $CONNECT_RATE/s; inputs at 20 Hz; warm-up ${WARMUP}s, capacity steps held ${HOLD}s, cost runs ${COST_DURATION}s; nice $NICE"
  echo "- raw: $(basename "$RAW")"
  echo
  summary report "$RAW" --json >"$BENCH_TMP/report.txt"
  tail -n 1 "$BENCH_TMP/report.txt" >"$SUMMARY"
  sed '$d' "$BENCH_TMP/report.txt"
} | tee "$REPORT"
log "report written to $REPORT"
