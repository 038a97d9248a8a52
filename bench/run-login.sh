#!/usr/bin/env bash
# Login benchmark (issue 8): guest logins per second, and a login storm.
#
#   logins  a fresh server pinned to CPU $SERVER_CPU (one I/O thread, empty
#           database); citadel-bench login pinned to CPU $BENCH_CPU: CONNS
#           persistent connections, each looping GuestLogin with a device id
#           never seen before (so every login creates an account) -> AuthReply
#           -> Logout + the next GuestLogin in one write. WARMUP s unmeasured,
#           then DURATION s measured. Bar: at least 20,000 logins/s.
#   storm   a fresh server; citadel-bench login --storm: STORM_CONNS new
#           connections opened at STORM_RATE/s, each logs in once and holds
#           HOLD s. Bar: all of them logged in within 10 s of the first connect.
#
# Both run ROUNDS times, interleaved (logins, storm, logins, storm, ...).
#
# Environment (defaults): ROUNDS=3 CONNS=256 DURATION=10 WARMUP=2
#   STORM_CONNS=10000 STORM_RATE=10000 HOLD=2 PARTS="logins storm"
#   PORT=17301 SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/login-<stamp>.md; raw
# JSON lines in $RESULTS_DIR/login-<stamp>.jsonl. Exit 1 if a bar is missed.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-session.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-session.sh"

ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-256}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
STORM_CONNS=${STORM_CONNS:-10000}
STORM_RATE=${STORM_RATE:-10000}
HOLD=${HOLD:-2}
PARTS=${PARTS:-"logins storm"}
PORT=${PORT:-17301}

for v in ROUNDS CONNS DURATION STORM_CONNS STORM_RATE HOLD; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
for p in $PARTS; do [[ $p == logins || $p == storm ]] || die "unknown part '$p' (logins, storm)"; done
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT != 0 && (PORT < 1024 || PORT > 65535))); then
  die "PORT must be 0 or in 1024..65535"
fi
for b in taskset timeout python3; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_release_build
need_fds "$((STORM_CONNS > CONNS ? STORM_CONNS : CONNS))"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/login-$STAMP.jsonl
REPORT=$RESULTS_DIR/login-$STAMP.md
LOGS=$RESULTS_DIR/login-$STAMP-logs
CONFIG=$BENCH_TMP/citadel-login.yaml
write_session_config "$CONFIG"
: >"$RAW"

# record ROUND KIND OK ERROR JSON
record() {
  printf '{"round":%s,"kind":"%s","ok":%s,"error":"%s","result":%s}\n' \
    "$1" "$2" "$3" "${4//\"/\'}" "${5:-null}" >>"$RAW"
}

# run_part ROUND KIND LIMIT_S BENCH_ARGS...: one fresh server, one citadel-bench run.
run_part() {
  local round=$1 kind=$2 limit=$3 json="" err="" port=$PORT
  shift 3
  ((PORT == 0)) || port=$(pick_port "$PORT")
  if ! start_citadel "$port" "$CONFIG"; then
    record "$round" "$kind" false "server did not start" null
    keep_failure_logs "$LOGS" "r$round-$kind"
    return 0
  fi
  local pid=$SERVER_PID
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
    "$BIN_DIR/citadel-bench" login --host 127.0.0.1 --port "$SERVER_PORT" --threads 1 \
    --server-pid "$pid" --quiet "$@"; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench login failed (exit $?)"
  fi
  if [[ -z $err ]] && ! kill -0 "$pid" 2>/dev/null; then err="server exited during the run"; fi
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

log "login benchmark: $ROUNDS rounds of [$PARTS]"
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  for part in $PARTS; do
    case $part in
      logins)
        run_part "$round" login $((DURATION + WARMUP + 90)) \
          --connections "$CONNS" --duration "$DURATION" --warmup "$WARMUP" --connect-rate 5000
        ;;
      storm)
        run_part "$round" storm $((HOLD + 90)) \
          --storm --connections "$STORM_CONNS" --connect-rate "$STORM_RATE" --duration "$HOLD"
        ;;
    esac
  done
done

verdict=0
{
  echo "# Login benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- logins: $CONNS persistent connections, ${WARMUP}s warm-up + ${DURATION}s measured, Logout+GuestLogin pipelined, every login a new account (empty SQLite database per round)"
  echo "- storm: $STORM_CONNS new connections at up to $STORM_RATE/s, one GuestLogin each, held ${HOLD}s"
  echo "- pinning: citadel (--threads 1, all its threads) on CPU $SERVER_CPU, citadel-bench (--threads 1) on CPU $BENCH_CPU"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_sessions.py" login "$RAW"
} | tee "$REPORT" || verdict=$?
log "report written to $REPORT"
exit "$verdict"
