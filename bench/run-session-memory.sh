#!/usr/bin/env bash
# Memory per logged-in idle user (issue 8: at most 4 KiB above an idle
# connection).
#
# Per round, two fresh servers (pinned to CPU $SERVER_CPU, one I/O thread,
# empty database, idle timeout off), each with CONNS connections from
# citadel-bench (pinned to CPU $BENCH_CPU), which reads the server's VmRSS
# before the first connect and once all are set up:
#   idle       citadel-bench hold: CONNS connections, each has had one PING
#              answered (the state an idle connection keeps);
#   logged in  citadel-bench login --storm: CONNS connections, each logged in
#              as a new guest (session, world-channel membership, account row).
# Per-connection RSS = (after - before) / CONNS; the report gives both and the
# difference, taken per round and then the median over ROUNDS (bench/paired.py;
# idle and logged in alternate).
#
# Environment (defaults): ROUNDS=3 CONNS=10000 CONNECT_RATE=5000 PORT=17401
#   SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results ALLOW_NON_RELEASE=0
# Output: $RESULTS_DIR/memory-<stamp>.md and .jsonl. Exit 1 if the bar is missed.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-session.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-session.sh"

ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-10000}
CONNECT_RATE=${CONNECT_RATE:-5000}
PORT=${PORT:-17401}

for v in ROUNDS CONNS CONNECT_RATE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT != 0 && (PORT < 1024 || PORT > 65535))); then
  die "PORT must be 0 or in 1024..65535"
fi
for b in taskset timeout python3; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_release_build
need_fds "$CONNS"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/memory-$STAMP.jsonl
REPORT=$RESULTS_DIR/memory-$STAMP.md
LOGS=$RESULTS_DIR/memory-$STAMP-logs
CONFIG=$BENCH_TMP/citadel-memory.yaml
write_session_config "$CONFIG"
: >"$RAW"

record() { # ROUND KIND OK ERROR JSON
  printf '{"round":%s,"kind":"%s","ok":%s,"error":"%s","result":%s}\n' \
    "$1" "$2" "$3" "${4//\"/\'}" "${5:-null}" >>"$RAW"
}

run_one() { # ROUND KIND
  local round=$1 kind=$2 json="" err="" port=$PORT
  ((PORT == 0)) || port=$(pick_port "$PORT")
  if ! start_citadel "$port" "$CONFIG"; then
    record "$round" "$kind" false "server did not start" null
    keep_failure_logs "$LOGS" "r$round-$kind"
    return 0
  fi
  local pid=$SERVER_PID
  local common=(--host 127.0.0.1 --port "$SERVER_PORT" --connections "$CONNS"
    --connect-rate "$CONNECT_RATE" --threads 1 --server-pid "$pid" --quiet)
  local args=(hold "${common[@]}" --ping-interval 5 --duration 6)
  [[ $kind == logged-in ]] && args=(login --storm "${common[@]}" --duration 1)
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((CONNS / CONNECT_RATE + 90)) \
    "$BIN_DIR/citadel-bench" "${args[@]}"; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench ${args[0]} failed (exit $?)"
  fi
  stop_server "$pid"
  if [[ -n $err ]]; then
    log "  r$round $kind: FAILED: $err"
    record "$round" "$kind" false "$err" "${json:-null}"
    keep_failure_logs "$LOGS" "r$round-$kind"
    return 0
  fi
  record "$round" "$kind" true "" "$json"
  log "  r$round $kind: $(python3 "$BENCH_ROOT/bench/summarize_sessions.py" brief "$json")"
}

log "session memory: $ROUNDS rounds x (idle, logged in), $CONNS connections each"
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  if ((round % 2 == 1)); then
    run_one "$round" idle
    run_one "$round" logged-in
  else
    run_one "$round" logged-in
    run_one "$round" idle
  fi
done

verdict=0
{
  echo "# Memory per logged-in idle user, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- run: $ROUNDS rounds; $CONNS connections at $CONNECT_RATE/s per server; a fresh server (empty database) for each measurement"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_sessions.py" memory "$RAW"
} | tee "$REPORT" || verdict=$?
log "report written to $REPORT"
exit "$verdict"
