#!/usr/bin/env bash
# Echo benchmark: citadel against the C reference (c-echo-server) and the Go
# yardstick (go-echo-server), all on the same frame protocol, on 127.0.0.1.
#
#   case A  64-byte ECHO,  64 connections, depth 16  (throughput, pipelined)
#   case B  1 KiB ECHO,   256 connections, depth 1   (many request/response clients)
#   case C  64-byte ECHO,   1 connection,  depth 1   (latency)
#
# Each (round, case, server) gets a fresh server pinned to CPU $SERVER_CPU
# (the Go server with GOMAXPROCS=1) and citadel-bench pinned to CPU $BENCH_CPU.
# A separate warm-up run comes first; the server's CPU time (utime + stime
# from /proc/PID/stat) is sampled right before and right after the measured
# run, so "CPU µs per request" covers the measured requests only. Servers are
# interleaved within a round, in a rotated order each round, and the report
# gives the median of each figure over the rounds; each ratio to c-ref is taken
# per round and then the median of those (bench/paired.py).
#
# Environment (defaults): ROUNDS=3 DURATION=10 WARMUP=2 CASES="A B C"
#   SERVERS="citadel c-ref go" PORT_BASE=17001 (0 = servers pick free ports)
#   SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0 CITADEL_ARGS="" (extra citadel flags, e.g. "--admin-port 0")
# Output: a markdown table on stdout and in $RESULTS_DIR/echo-<stamp>.md; one
# raw JSON line per run in $RESULTS_DIR/echo-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CASES=${CASES:-"A B C"}
SERVERS=${SERVERS:-"citadel c-ref go"}
PORT_BASE=${PORT_BASE:-17001}

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "DURATION must be a positive integer (seconds)"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer (seconds)"
if ! [[ $PORT_BASE =~ ^[0-9]+$ ]] || ((PORT_BASE != 0 && (PORT_BASE < 1024 || PORT_BASE > 65000))); then
  die "PORT_BASE must be 0 or in 1024..65000"
fi

# case -> "payload connections depth"
declare -A CASE_ARGS=([A]="64 64 16" [B]="1024 256 1" [C]="64 1 1")
# server -> offset from PORT_BASE
declare -A SERVER_PORT_OFFSET=([citadel]=0 [c-ref]=1 [go]=2)

for c in $CASES; do [[ -n ${CASE_ARGS[$c]:-} ]] || die "unknown case '$c' (cases: A B C)"; done
for s in $SERVERS; do [[ -n ${SERVER_PORT_OFFSET[$s]:-} ]] || die "unknown server '$s' (servers: citadel c-ref go)"; done
for b in taskset timeout python3; do command -v "$b" >/dev/null || die "'$b' is required"; done

require_bin citadel-bench
for s in $SERVERS; do
  case $s in
    citadel) require_bin citadel ;;
    c-ref) require_bin c-echo-server ;;
  esac
done
require_release_build
(($(nproc) >= 2)) || log "warning: fewer than 2 CPUs; server and load generator will share a core"

bench_init
[[ " $SERVERS " == *" go "* ]] && build_go_yardstick

mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/echo-$STAMP.jsonl
REPORT=$RESULTS_DIR/echo-$STAMP.md
CONFIG=$BENCH_TMP/citadel-bench.yaml
PORT_FILE=$BENCH_TMP/citadel.port
write_citadel_config "$CONFIG" 0
: >"$RAW"

# server_cmd NAME PORT: the command line that starts server NAME.
server_cmd() {
  case $1 in
    citadel) echo "$BIN_DIR/citadel --host 127.0.0.1 --port $2 --threads 1 --log-level warn --config $CONFIG --port-file $PORT_FILE ${CITADEL_ARGS:-}" ;;
    c-ref) echo "$BIN_DIR/c-echo-server --port $2" ;;
    go) echo "env GOMAXPROCS=1 $BIN_DIR/go-echo-server --port $2" ;;
  esac
}

# Appends one raw JSON line; BENCH_JSON is citadel-bench's own line or null.
record() { # round case server ok cpu_ticks error
  local err=${6//\"/\'} payload conns depth
  read -r payload conns depth <<<"${CASE_ARGS[$2]}"
  printf '{"round":%s,"case":"%s","payload":%s,"connections":%s,"depth":%s,"server":"%s","ok":%s,"server_cpu_ticks":%s,"clk_tck":%s,"duration_s":%s,"error":"%s","bench":%s}\n' \
    "$1" "$2" "$payload" "$conns" "$depth" "$3" "$4" "$5" "$CLK_TCK" "$DURATION" "$err" "${BENCH_JSON:-null}" >>"$RAW"
}

# keep_logs NAME: copies a failed run's logs next to the results.
keep_logs() {
  local dir=$RESULTS_DIR/echo-$STAMP-logs
  mkdir -p "$dir"
  cp "$BENCH_TMP"/server.log "$dir/$1.server.log" 2>/dev/null || true
  cp "$BENCH_TMP"/bench.err "$dir/$1.bench.err" 2>/dev/null || true
  cp "$BENCH_TMP"/warmup.err "$dir/$1.warmup.err" 2>/dev/null || true
  log "logs kept in $dir"
}

# run_one ROUND CASE SERVER: one fresh server, one warm-up, one measured run.
run_one() {
  local round=$1 cas=$2 srv=$3 payload conns depth port cmd before after tag
  read -r payload conns depth <<<"${CASE_ARGS[$cas]}"
  tag="r$round-$cas-$srv"
  BENCH_JSON=""
  port=$PORT_BASE
  ((PORT_BASE == 0)) || port=$(pick_port $((PORT_BASE + SERVER_PORT_OFFSET[$srv])))
  read -r -a cmd <<<"$(server_cmd "$srv" "$port")"
  if ! start_server "$srv" "$BENCH_TMP/server.log" "$([[ $srv == citadel ]] && echo "$PORT_FILE" || echo -)" \
    "${cmd[@]}"; then
    record "$round" "$cas" "$srv" false 0 "server did not start"
    keep_logs "$tag"
    return 0
  fi
  local pid=$SERVER_PID
  local common=(--host 127.0.0.1 --port "$SERVER_PORT" --connections "$conns" --depth "$depth"
    --payload "$payload" --threads 1 --quiet)
  local err=""

  if ((WARMUP > 0)) && ! run_pinned "$BENCH_TMP/warmup.out" "$BENCH_TMP/warmup.err" $((WARMUP + 30)) \
    "$BIN_DIR/citadel-bench" echo "${common[@]}" --duration "$WARMUP" --warmup 0; then
    err="warm-up run failed"
  fi
  if [[ -z $err ]]; then
    before=$(cpu_ticks "$pid") || err="server exited during warm-up"
  fi
  if [[ -z $err ]]; then
    if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((DURATION + 30)) \
      "$BIN_DIR/citadel-bench" echo "${common[@]}" --duration "$DURATION" --warmup 0; then
      BENCH_JSON=$(last_json_line "$BENCH_TMP/bench.out")
      [[ -n $BENCH_JSON ]] || err="citadel-bench printed no JSON line"
    else
      err="measured run failed (exit $?)"
    fi
  fi
  if [[ -z $err ]]; then
    after=$(cpu_ticks "$pid") || err="server exited during the measured run"
  fi
  stop_server "$pid"

  if [[ -n $err ]]; then
    log "  $tag: FAILED: $err"
    record "$round" "$cas" "$srv" false 0 "$err"
    keep_logs "$tag"
  else
    record "$round" "$cas" "$srv" true $((after - before)) ""
    log "  $tag: $(python3 "$BENCH_ROOT/bench/summarize.py" brief "$BENCH_JSON" $((after - before)) "$CLK_TCK")"
  fi
}

read -r -a server_list <<<"$SERVERS"
n_servers=${#server_list[@]}
n_cases=$(wc -w <<<"$CASES")
log "echo benchmark: $ROUNDS rounds x $n_cases cases x $n_servers servers, ${WARMUP}s warm-up + ${DURATION}s each"
log "expected wall time: about $((ROUNDS * n_cases * n_servers * (WARMUP + DURATION + 2) / 60 + 1)) min"

for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  for cas in $CASES; do
    # Rotate the server order each round so no server always runs first.
    for ((i = 0; i < n_servers; i++)); do
      run_one "$round" "$cas" "${server_list[(i + round - 1) % n_servers]}"
    done
  done
done

{
  echo "# Echo benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- rounds: $ROUNDS; per run ${WARMUP}s warm-up (separate run) + ${DURATION}s measured, medians shown; ratios to c-ref: median of the per-round ratios"
  echo "- pinning: server on CPU $SERVER_CPU (--threads 1; Go GOMAXPROCS=1), citadel-bench on CPU $BENCH_CPU (--threads 1)"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize.py" echo "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
