# shellcheck shell=bash
# A redis-server for the benchmarks that need one (run-leaderboard.sh,
# run-leaderboard-service.sh). Sourced after lib.sh; needs BENCH_TMP,
# BENCH_PIDS and REDIS_CPU.

# start_redis: a fresh redis-server on a free loopback port, nothing kept on
# disk; sets REDIS_PID and REDIS_PORT. Returns 1 if it does not answer PING.
start_redis() {
  local dir=$BENCH_TMP/redis
  rm -rf "$dir" && mkdir -p "$dir"
  REDIS_PORT=$(pick_port 17479)
  taskset -c "$REDIS_CPU" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" \
    --save '' --appendonly no >"$BENCH_TMP/redis.log" 2>&1 &
  REDIS_PID=$!
  BENCH_PIDS+=("$REDIS_PID")
  local deadline=$((SECONDS + 10))
  until [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; do
    if ! kill -0 "$REDIS_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      log "redis-server did not answer PING; last lines of its log:"
      tail -n 20 "$BENCH_TMP/redis.log" >&2 || true
      stop_server "$REDIS_PID"
      return 1
    fi
    sleep 0.05
  done
}

