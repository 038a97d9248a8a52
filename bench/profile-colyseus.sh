#!/usr/bin/env bash
# Where the Colyseus peer's CPU goes (issue 15; docs/benchmarks.md, "What
# each server pays for its clients' receives"): the counterpart of
# `bench/profile-arena.sh ws perf`. One fresh bench/colyseus/server.js
# (--patch after-tick) pinned to SERVER_CPU under bots.js --players PLAYERS
# (raw client, one process) pinned to BENCH_CPU, both at NICE as in
# run-colyseus-arena.sh; 20 s warm-up and 20 s measured, and 7 s into the
# window `perf record -F PERF_FREQ (999) -g` on the server for 10 s.
# Run it under flock /tmp/citadel-bench.lock like every benchmark.
#   bench/profile-colyseus.sh [PLAYERS=1000]
# Output: OUT_DIR (bench/results)/colyseus-perf-HHMMSS.{json,err,perf.data};
# prints that prefix. Read it with perf report -i PREFIX.perf.data.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
source bench/lib-rooms.sh
P=${1:-1000}
[[ $P =~ ^[1-9][0-9]*$ ]] || die "PLAYERS must be a positive integer"
NODE=${NODE:-node}
COLYSEUS_DIR=bench/colyseus
[[ -d $COLYSEUS_DIR/node_modules/@colyseus/core ]] ||
  die "bench/colyseus has no node_modules; install the pinned packages first: (cd bench/colyseus && npm ci)"
command -v perf >/dev/null || die "'perf' is required"
OUT=${OUT_DIR:-bench/results}/colyseus-perf-$(date +%H%M%S)
bench_init
mkdir -p "${OUT_DIR:-bench/results}"
start_server colyseus "$BENCH_TMP/server.log" - "${PRIO[@]}" "$NODE" "$COLYSEUS_DIR/server.js" \
  --port 0 --patch after-tick || die "server.js did not start"
pid=$SERVER_PID
colyseus_ready "$SERVER_PORT" || { stop_server "$pid"; die "server.js did not answer HTTP on port $SERVER_PORT"; }
taskset -c "$BENCH_CPU" "${PRIO[@]}" "$NODE" "$COLYSEUS_DIR/bots.js" --host 127.0.0.1 --port "$SERVER_PORT" \
  --players "$P" --procs 1 --client raw --connect-rate 500 --warmup 20 --duration 20 \
  --server-pid "$pid" --quiet >$OUT.json 2>$OUT.err &
bpid=$!
BENCH_PIDS+=("$bpid")
# Joining takes PLAYERS / 500 s; then 20 s of warm-up and 7 s into the window.
sleep $((P / 500 + 27))
perf record -F "${PERF_FREQ:-999}" -g -o $OUT.perf.data -p "$pid" -- sleep 10 >/dev/null 2>&1 || true
wait $bpid || true
forget_pid $bpid
stop_server "$pid"
echo "$OUT"
