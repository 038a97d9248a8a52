#!/usr/bin/env bash
# Where the arena server's CPU goes (issue 15; docs/benchmarks.md, "Where
# Citadel's CPU goes"): one fresh citadel (one I/O thread, rooms on the loop,
# the rooms benches' config; WAKE_COALESCE_US and NICE as in lib-rooms.sh)
# under citadel-bench arena --players PLAYERS over TRANSPORT (tcp or ws), 8 s
# warm-up and 20 s measured, its inputs paced as in run-colyseus-arena.sh
# (INPUT_STEP_US, default 1000; NICE applies to it too); 2 s into the window,
# for 10 s, MODE attaches:
#   cpu     nothing (the bench's JSON line has the server's CPU)
#   strace  strace -c -f on the server
#   perf    perf record -F 999 -g on the server (perf report -i OUT.perf.data);
#           PERF_FREQ and PERF_CALLGRAPH change the rate and the unwinding
#           (PERF_CALLGRAPH="--call-graph dwarf,16384" sees through the
#           server's frames, which -g's frame pointers do not)
#   stat    perf stat --per-thread: task clock, context switches, syscalls by name
#   nstat   the machine's TCP counters (nstat) over the 10 s
#   ss      the server's sockets' segment counters (ss -tin) at the start and
#           end of the 10 s: segments out, data segments out (the rest are
#           pure ACKs), segments in
# Run it under flock /tmp/citadel-bench.lock like every benchmark.
#   bench/profile-arena.sh TRANSPORT MODE [PLAYERS=1000]
# Output: OUT_DIR (bench/results)/profile-TRANSPORT-MODE-HHMMSS.{json,err,...};
# prints that prefix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
source bench/lib-rooms.sh
T=$1 MODE=$2 P=${3:-1000}
INPUT_STEP_US=${INPUT_STEP_US:-1000}
[[ $INPUT_STEP_US =~ ^[0-9]+$ ]] || die "INPUT_STEP_US must be a non-negative integer (microseconds)"
OUT=${OUT_DIR:-bench/results}/profile-$T-$MODE-$(date +%H%M%S)
bench_init
mkdir -p "${OUT_DIR:-bench/results}"
need_room_fds "$P"
cfg=$BENCH_TMP/c.yaml
write_rooms_config "$cfg"
start_rooms_server "$(pick_port 0)" "$cfg"
pid=$SERVER_PID
rm -f $OUT.window
taskset -c "$BENCH_CPU" "${PRIO[@]}" build/bin/citadel-bench arena --host 127.0.0.1 --port "$SERVER_PORT" \
  --transport "$T" --players "$P" --duration 20 --warmup 8 --connect-rate 500 --threads 1 \
  --input-step-us "$INPUT_STEP_US" --server-pid "$pid" --quiet \
  --window-file $OUT.window > $OUT.json 2>$OUT.err &
bpid=$!
BENCH_PIDS+=("$bpid")
while [[ ! -s $OUT.window ]] && kill -0 $bpid 2>/dev/null; do sleep 0.2; done
sleep 2
case $MODE in
  strace) t0=$(cpu_ticks $pid); timeout -s INT 10 strace -c -f -q -o $OUT.strace -p $pid || true ;;
  perf) perf record -F ${PERF_FREQ:-999} ${PERF_CALLGRAPH:--g} -o $OUT.perf.data -p $pid -- sleep 10 2>/dev/null >/dev/null || true ;;
  stat) perf stat -e task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_recvfrom,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_futex,syscalls:sys_enter_sendmsg,syscalls:sys_enter_clock_nanosleep --per-thread -p $pid -- sleep 10 2> $OUT.stat || true ;;
  cpu) : ;;
  nstat) nstat -n; sleep 10; nstat > $OUT.nstat ;;
  ss) ss -tinH state established "( sport = :$SERVER_PORT )" > $OUT.ss0; sleep 10
      ss -tinH state established "( sport = :$SERVER_PORT )" > $OUT.ss1 ;;
esac
wait $bpid || true
forget_pid $bpid
curl -s "$METRICS_URL" > $OUT.metrics || true
stop_server $pid
echo "$OUT"
uptime
