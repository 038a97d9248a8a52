#!/usr/bin/env bash
# Fan-out benchmark (issue 8): citadel's chat broadcast against the kernel's
# floor, in the same run.
#
#   yardstick  c-fanout: USERS loopback connections; per round one write() of
#              SIZE bytes to each, writer pinned to CPU $SERVER_CPU, reader
#              (epoll) to CPU $BENCH_CPU; time from the first write until the
#              last reader has its message.
#   citadel    a fresh server pinned to CPU $SERVER_CPU (one I/O thread);
#              citadel-bench chat pinned to CPU $BENCH_CPU logs USERS guests in
#              (all in the world channel), then SENDERS of them send one
#              message at a time (the next GAP_MS after the previous reached
#              every member); time from the send until the last member has it.
#
# Each round runs both, alternating which goes first. Both take WARMUP
# unmeasured broadcasts, then BROADCASTS measured ones. The report gives,
# per round and as medians over the rounds, the median and p99 time until the
# last member has the message, citadel / yardstick ratios (per round; over the
# rounds, the median of the per-round ratios: bench/paired.py), the server's CPU
# per delivered message (citadel-bench reads /proc/PID/stat while messages
# flow and divides by the receipts) and the yardstick writer's CPU per write.
#
# Environment (defaults): ROUNDS=3 USERS=10000 BROADCASTS=100 WARMUP=5
#   SENDERS=10 GAP_MS=10 SIZE=auto (c-fanout's message size: the chat push
#   frame's size, which citadel-bench reports; 176 bytes until it has)
#   PORT=17201 SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/fanout-<stamp>.md;
# raw JSON lines in $RESULTS_DIR/fanout-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-session.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-session.sh"

ROUNDS=${ROUNDS:-3}
USERS=${USERS:-10000}
BROADCASTS=${BROADCASTS:-100}
WARMUP=${WARMUP:-5}
SENDERS=${SENDERS:-10}
GAP_MS=${GAP_MS:-10}
SIZE=${SIZE:-auto}
PORT=${PORT:-17201}

for v in ROUNDS USERS BROADCASTS SENDERS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for v in WARMUP GAP_MS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
done
[[ $SIZE == auto || $SIZE =~ ^[0-9]+$ ]] || die "SIZE must be auto or a byte count"
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT != 0 && (PORT < 1024 || PORT > 65535))); then
  die "PORT must be 0 or in 1024..65535"
fi
for b in taskset timeout python3; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_bin c-fanout
require_release_build
need_fds "$USERS"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/fanout-$STAMP.jsonl
REPORT=$RESULTS_DIR/fanout-$STAMP.md
LOGS=$RESULTS_DIR/fanout-$STAMP-logs
CONFIG=$BENCH_TMP/citadel-fanout.yaml
write_session_config "$CONFIG"
: >"$RAW"
size=$SIZE
[[ $size == auto ]] && size=176

# record ROUND KIND OK ERROR JSON
record() {
  printf '{"round":%s,"kind":"%s","ok":%s,"error":"%s","users":%s,"size":%s,"result":%s}\n' \
    "$1" "$2" "$3" "${4//\"/\'}" "$USERS" "$size" "${5:-null}" >>"$RAW"
}

run_yardstick() {
  local round=$1 json="" err=""
  if run_bounded "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((60 + (BROADCASTS + WARMUP) * 12)) \
    "$BIN_DIR/c-fanout" --connections "$USERS" --rounds "$BROADCASTS" --warmup "$WARMUP" \
    --size "$size" --gap-ms "$GAP_MS" --writer-cpu "$SERVER_CPU" --reader-cpu "$BENCH_CPU"; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="c-fanout printed no JSON line"
  else
    err="c-fanout failed (exit $?)"
  fi
  if [[ -n $err ]]; then
    log "  r$round c-fanout: FAILED: $err"
    record "$round" c-fanout false "$err" null
    keep_failure_logs "$LOGS" "r$round-c-fanout"
  else
    record "$round" c-fanout true "" "$json"
    log "  r$round c-fanout: $(python3 "$BENCH_ROOT/bench/summarize_sessions.py" brief "$json")"
  fi
}

run_chat() {
  local round=$1 json="" err="" port=$PORT
  ((PORT == 0)) || port=$(pick_port "$PORT")
  if ! start_citadel "$port" "$CONFIG"; then
    record "$round" citadel false "server did not start" null
    keep_failure_logs "$LOGS" "r$round-citadel"
    return 0
  fi
  local pid=$SERVER_PID
  local messages=$((BROADCASTS + WARMUP))
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((120 + messages * 12)) \
    "$BIN_DIR/citadel-bench" chat --host 127.0.0.1 --port "$SERVER_PORT" --connections "$USERS" \
    --connect-rate 5000 --senders "$SENDERS" --rate 0 --messages "$messages" \
    --warmup-messages "$WARMUP" --gap-ms "$GAP_MS" --drain-timeout 10 --threads 1 \
    --server-pid "$pid" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench chat failed (exit $?)"
  fi
  if [[ -z $err ]] && ! kill -0 "$pid" 2>/dev/null; then err="server exited during the run"; fi
  stop_server "$pid"
  if [[ -n $err ]]; then
    log "  r$round citadel: FAILED: $err"
    record "$round" citadel false "$err" "${json:-null}"
    keep_failure_logs "$LOGS" "r$round-citadel"
    return 0
  fi
  record "$round" citadel true "" "$json"
  log "  r$round citadel: $(python3 "$BENCH_ROOT/bench/summarize_sessions.py" brief "$json")"
  # The yardstick sends what a member receives: the push frame's real size.
  if [[ $SIZE == auto ]]; then
    local got
    got=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("push_frame_bytes") or 0)' "$json")
    ((got > 0)) && size=$got
  fi
}

log "fan-out benchmark: $ROUNDS rounds x (c-fanout, citadel chat), $USERS members, $BROADCASTS broadcasts (+$WARMUP warm-up)"
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  if ((round % 2 == 1)); then
    run_chat "$round"
    run_yardstick "$round"
  else
    run_yardstick "$round"
    run_chat "$round"
  fi
done

verdict=0
{
  echo "# Fan-out benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- run: $ROUNDS rounds; $USERS members; $BROADCASTS measured broadcasts after $WARMUP warm-up; $SENDERS senders in turn; next broadcast ${GAP_MS} ms after the last member had the previous one"
  echo "- pinning: citadel (--threads 1) and the c-fanout writer on CPU $SERVER_CPU; citadel-bench (--threads 1) and the c-fanout reader on CPU $BENCH_CPU"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_sessions.py" fanout "$RAW"
} | tee "$REPORT" || verdict=$?
log "report written to $REPORT"
# Exit 1 when a run failed, a broadcast was lost, or the 1.3x bar was missed.
exit "$verdict"
