#!/usr/bin/env bash
# Leaderboard submits at the service's port (issue 17's Redis bar): the
# in-process backend (the reference) and the Redis backend, each driven by
# leaderboard-service-bench on one thread at a set rate (an open loop: the
# submits due in each TICK_US are one submit_batch, as the service batches a
# loop turn; each is timed from its scheduled time to its completion).
#
# Why not over the wire: at 125,000 submits/s from players who each have one
# in flight, the clients' reads and writes alone (6-11 us of kernel time a
# read plus a write on this loopback) would fill the server's core; the wire
# figures are in run-leaderboard.sh. Here the bench stands for the server's
# loop: one core (SERVER_CPU), and Redis has the other (REDIS_CPU), nothing
# else of ours on it.
#
# Each round runs both backends back to back (order alternated), the board
# first filled with PLAYERS records, then WARMUP s unmeasured and DURATION s
# measured at RATE submits/s of random players with random scores (operator
# best). Redis is a fresh redis-server per round (loopback, free port, no
# persistence), stopped by PID; its CPU over the run is read from /proc.
#
# Environment (defaults): ROUNDS=3 PLAYERS=100000 RATE=125000 TICK_US=250
#   DURATION=10 WARMUP=2 SERVER_CPU=0 REDIS_CPU=1 BIN_DIR=build/bin
#   RESULTS_DIR=bench/results ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in
# $RESULTS_DIR/leaderboard-service-<stamp>.md, raw JSON lines beside it.
# Exit 1 if the bar (Redis: RATE >= 125,000 sustained at p99 <= 1.7 ms) is missed.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-redis.sh"

ROUNDS=${ROUNDS:-3}
PLAYERS=${PLAYERS:-100000}
RATE=${RATE:-125000}
TICK_US=${TICK_US:-250}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REDIS_CPU=${REDIS_CPU:-1}
# The bench stands for the server: lib.sh's run_pinned pins to BENCH_CPU.
BENCH_CPU=$SERVER_CPU
((SERVER_CPU != REDIS_CPU)) || die "SERVER_CPU and REDIS_CPU must differ" 

for v in ROUNDS PLAYERS RATE TICK_US DURATION; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
for b in taskset timeout python3 redis-server redis-cli; do
  command -v "$b" >/dev/null || die "'$b' is required (Debian: redis-server, redis-tools)"
done
require_bin leaderboard-service-bench
require_release_build

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/leaderboard-service-$STAMP.jsonl
REPORT=$RESULTS_DIR/leaderboard-service-$STAMP.md
: >"$RAW"

# run_mode ROUND MODE: one bench run; appends {"round","mode","result",...}.
run_mode() {
  local round=$1 mode=$2 json="" err="" extra="" redis_t0=""
  local args=(--backend "$mode" --players "$PLAYERS" --rate "$RATE" --tick-us "$TICK_US"
    --seconds "$DURATION" --warmup "$WARMUP")
  if [[ $mode == redis ]]; then
    start_redis || { log "  r$round redis: FAILED: no redis-server"; return 0; }
    args+=(--redis-url "redis://127.0.0.1:$REDIS_PORT")
    redis_t0=$(cpu_ticks "$REDIS_PID")
  fi
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((DURATION + WARMUP + 120)) \
    "$BIN_DIR/leaderboard-service-bench" "${args[@]}"; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="no JSON line"
  else
    err="leaderboard-service-bench failed (exit $?): $(tail -n 1 "$BENCH_TMP/bench.err")"
  fi
  if [[ -n $redis_t0 ]]; then
    local redis_t1
    redis_t1=$(cpu_ticks "$REDIS_PID")
    extra=",\"redis_cpu_s\":$(awk -v t=$((redis_t1 - redis_t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')"
    stop_server "$REDIS_PID"
  fi
  printf '{"round":%s,"mode":"%s","ok":%s,"error":"%s","result":%s%s}\n' "$round" "$mode" \
    "$([[ -z $err ]] && echo true || echo false)" "${err//\"/\'}" "${json:-null}" "$extra" >>"$RAW"
  log "  r$round $mode: ${err:-$(python3 "$BENCH_ROOT/bench/summarize_leaderboard_service.py" brief "$json")}"
}

log "leaderboard service benchmark: $ROUNDS rounds of [inproc redis], $PLAYERS players, $RATE submits/s"
for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then order=(inproc redis); else order=(redis inproc); fi
  for mode in "${order[@]}"; do run_mode "$round" "$mode"; done
done

verdict=0
{
  echo "# Leaderboard submits at the service's port, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- load: open loop, $RATE submits/s (operator best, random players and scores) on a board of $PLAYERS records, the submits due every ${TICK_US} us as one batch; ${WARMUP}s warm-up + ${DURATION}s measured per backend and round"
  echo "- pinning: leaderboard-service-bench on CPU $BENCH_CPU, redis-server $(redis-server --version | grep -o 'v=[^ ]*') on CPU $REDIS_CPU"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_leaderboard_service.py" report "$RAW"
} | tee "$REPORT" || verdict=$?
log "report written to $REPORT"
exit "$verdict"
