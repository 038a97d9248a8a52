#!/usr/bin/env bash
# Transport benchmark: Citadel's echo over raw TCP (the reference), WebSocket,
# TLS and WebSocket inside TLS, in the same run and on the same server
# binary and config, beside the C epoll yardstick over plain TCP; then the
# idle memory of a connection on each transport.
#
#   echo case A  64-byte ECHO,  64 connections, depth 16
#   echo case B  1 KiB ECHO,   256 connections, depth 1
#   memory       HOLD_CONNS idle connections per transport (citadel-bench hold)
#
# Echo, as bench/run-echo.sh: each (round, case, subject) gets a fresh server
# pinned to CPU $SERVER_CPU and citadel-bench (--transport T) pinned to CPU
# $BENCH_CPU; a warm-up run, then the measured run with the server's CPU time
# sampled around it. Subjects are rotated within each round. Every figure of
# a transport is compared with citadel-tcp of the same round and case
# (median of the per-round ratios, bench/paired.py), and with c-ref likewise.
# In the first SYSCALL_ROUNDS rounds, one more run of SYSCALL_S seconds on the
# same server counts the server's syscalls (perf stat on its PID: every
# syscall, and recv/read, sendmsg/write, io_uring_enter, epoll waits), per
# request (connects and handshakes left out).
#
# Memory, as bench/run-hold.sh: per round and transport a fresh server and
# `citadel-bench hold --connections HOLD_CONNS --server-pid PID`: VmRSS growth
# per connection; each transport against tcp of the same round (median of the
# per-round differences).
#
# The server (citadel --threads 1) has TLS on with a self-signed certificate
# made by the openssl command, the admin port off, and the limits a benchmark
# trips over lifted (no per-IP cap, no idle or login deadline).
#
# Environment (defaults): PARTS="echo memory" ROUNDS=3 DURATION=10 WARMUP=2
#   CASES="A B" SUBJECTS="tcp ws tls wss c-ref" SYSCALL_ROUNDS=1 SYSCALL_S=3
#   HOLD_CONNS=10000 HOLD_RATE=2000 HOLD_S=5 HOLD_TRANSPORTS="tcp ws tls wss"
#   PORT=0 (servers pick free ports) NICE=0 (e.g. -20: see bench/README.md)
#   SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
# Output: a markdown report on stdout and in $RESULTS_DIR/transports-<stamp>.md;
# one raw JSON line per run in $RESULTS_DIR/transports-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PARTS=${PARTS:-"echo memory"}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CASES=${CASES:-"A B"}
SUBJECTS=${SUBJECTS:-"tcp ws tls wss c-ref"}
SYSCALL_ROUNDS=${SYSCALL_ROUNDS:-1}
SYSCALL_S=${SYSCALL_S:-3}
HOLD_CONNS=${HOLD_CONNS:-10000}
HOLD_RATE=${HOLD_RATE:-2000}
HOLD_S=${HOLD_S:-5}
HOLD_TRANSPORTS=${HOLD_TRANSPORTS:-"tcp ws tls wss"}
PORT=${PORT:-0}
NICE=${NICE:-0}

for v in ROUNDS DURATION SYSCALL_S HOLD_CONNS HOLD_RATE HOLD_S; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer (seconds)"
[[ $SYSCALL_ROUNDS =~ ^[0-9]+$ ]] || die "SYSCALL_ROUNDS must be a non-negative integer"
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
declare -A CASE_ARGS=([A]="64 64 16" [B]="1024 256 1")
for c in $CASES; do [[ -n ${CASE_ARGS[$c]:-} ]] || die "unknown case '$c' (cases: A B)"; done
for s in $SUBJECTS; do
  [[ $s =~ ^(tcp|ws|tls|wss|c-ref)$ ]] || die "unknown subject '$s' (tcp ws tls wss c-ref)"
done
for t in $HOLD_TRANSPORTS; do
  [[ $t =~ ^(tcp|ws|tls|wss)$ ]] || die "unknown hold transport '$t' (tcp ws tls wss)"
done
for b in taskset timeout python3 openssl; do command -v "$b" >/dev/null || die "'$b' is required"; done
if ((SYSCALL_ROUNDS > 0)); then
  command -v perf >/dev/null || die "'perf' is required to count syscalls (or SYSCALL_ROUNDS=0)"
fi

require_bin citadel-bench
require_bin citadel
[[ " $SUBJECTS " == *" c-ref "* ]] && require_bin c-echo-server
require_release_build
(($(nproc) >= 2)) || log "warning: fewer than 2 CPUs; server and load generator will share a core"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/transports-$STAMP.jsonl
REPORT=$RESULTS_DIR/transports-$STAMP.md
CONFIG=$BENCH_TMP/citadel-transports.yaml
PORT_FILE=$BENCH_TMP/citadel.port
make_test_certificate "$BENCH_TMP"
write_citadel_config "$CONFIG" 0
append_tls_config "$CONFIG" "$BENCH_TMP/server.crt" "$BENCH_TMP/server.key"
: >"$RAW"

# nice_prefix: with NICE set, each process gets a session (and autogroup) of
# its own at that nice level, as bench/lib-rooms.sh does.
nice_prefix() {
  ((NICE != 0)) && echo "setsid nice -n $NICE"
  return 0
}

# start_subject SUBJECT: a fresh server for SUBJECT (citadel for every
# transport, c-echo-server for c-ref); sets SERVER_PID and SERVER_PORT.
start_subject() {
  local port=$PORT cmd
  ((PORT == 0)) || port=$(pick_port "$PORT")
  if [[ $1 == c-ref ]]; then
    read -r -a cmd <<<"$(nice_prefix) $BIN_DIR/c-echo-server --port $port"
    start_server c-ref "$BENCH_TMP/server.log" - "${cmd[@]}"
  else
    read -r -a cmd <<<"$(nice_prefix) $BIN_DIR/citadel --host 127.0.0.1 --port $port --threads 1 \
      --log-level warn --admin-port 0 --config $CONFIG --port-file $PORT_FILE"
    start_server citadel "$BENCH_TMP/server.log" "$PORT_FILE" "${cmd[@]}"
  fi
}

transport_of() { [[ $1 == c-ref ]] && echo tcp || echo "$1"; }

keep_logs() {
  local dir=$RESULTS_DIR/transports-$STAMP-logs
  mkdir -p "$dir"
  cp "$BENCH_TMP"/server.log "$dir/$1.server.log" 2>/dev/null || true
  cp "$BENCH_TMP"/bench.err "$dir/$1.bench.err" 2>/dev/null || true
  cp "$BENCH_TMP"/warmup.err "$dir/$1.warmup.err" 2>/dev/null || true
  log "logs kept in $dir"
}

# count_syscalls PID SECONDS BENCH_ARGS...: an echo run (1 s warm-up, then
# SECONDS + 1 s measured) with perf stat on the server's PID for SECONDS from
# 0.5 s into the measured part, so connects and handshakes stay outside the
# count; requests in that window = the run's req/s x SECONDS. Prints
# {"events":{...},"window_s":S,"bench":...}.
SYSCALL_EVENTS="raw_syscalls:sys_enter,syscalls:sys_enter_recvfrom,syscalls:sys_enter_read,\
syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_write,\
syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_epoll_pwait2,syscalls:sys_enter_epoll_wait"
count_syscalls() {
  local pid=$1 secs=$2 bench_pid rc=0 events json
  shift 2
  timeout --kill-after=5 $((secs + 40)) taskset -c "$BENCH_CPU" \
    "$BIN_DIR/citadel-bench" echo "$@" --warmup 1 --duration $((secs + 1)) \
    >"$BENCH_TMP/sys.out" 2>"$BENCH_TMP/sys.err" &
  bench_pid=$!
  BENCH_PIDS+=("$bench_pid")
  sleep 1.5
  perf stat -x, -e "$SYSCALL_EVENTS" -p "$pid" -o "$BENCH_TMP/perf.csv" -- sleep "$secs" \
    >/dev/null 2>&1 || rc=1
  wait "$bench_pid" || rc=1
  forget_pid "$bench_pid"
  ((rc == 0)) || return 1
  events=$(awk -F, '$1 ~ /^[0-9]+$/ {gsub(/^syscalls:sys_enter_|^raw_syscalls:sys_enter$/, "", $3);
    name = ($3 == "" ? "all" : $3); printf "%s\"%s\":%s", sep, name, $1; sep = ","}' "$BENCH_TMP/perf.csv")
  json=$(last_json_line "$BENCH_TMP/sys.out")
  [[ -n $json && -n $events ]] || return 1
  echo "{\"events\":{$events},\"window_s\":$secs,\"bench\":$json}"
}

# echo_run ROUND CASE SUBJECT: fresh server, warm-up, measured run, and in the
# first SYSCALL_ROUNDS rounds the syscall count.
echo_run() {
  local round=$1 cas=$2 subj=$3 payload conns depth before after tag err="" bench_json="" sys="null"
  read -r payload conns depth <<<"${CASE_ARGS[$cas]}"
  tag="r$round-$cas-$subj"
  if ! start_subject "$subj"; then
    echo "{\"part\":\"echo\",\"round\":$round,\"case\":\"$cas\",\"subject\":\"$subj\",\"ok\":false,\"error\":\"server did not start\"}" >>"$RAW"
    keep_logs "$tag"
    return 0
  fi
  local pid=$SERVER_PID
  local common=(--host 127.0.0.1 --port "$SERVER_PORT" --transport "$(transport_of "$subj")"
    --connections "$conns" --depth "$depth" --payload "$payload" --threads 1 --quiet)
  if ((WARMUP > 0)) && ! run_pinned "$BENCH_TMP/warmup.out" "$BENCH_TMP/warmup.err" $((WARMUP + 30)) \
    $(nice_prefix) "$BIN_DIR/citadel-bench" echo "${common[@]}" --duration "$WARMUP" --warmup 0; then
    err="warm-up run failed"
  fi
  # A crashed server can linger as a zombie whose /proc/PID/stat still reads.
  if [[ -z $err ]] && { ! kill -0 "$pid" 2>/dev/null || [[ $(proc_state "$pid") == Z ]]; }; then
    err="server exited during warm-up"
  fi
  [[ -n $err ]] || before=$(cpu_ticks "$pid") || err="server exited during warm-up"
  if [[ -z $err ]]; then
    if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((DURATION + 30)) \
      $(nice_prefix) "$BIN_DIR/citadel-bench" echo "${common[@]}" --duration "$DURATION" --warmup 0; then
      bench_json=$(last_json_line "$BENCH_TMP/bench.out")
      [[ -n $bench_json ]] || err="citadel-bench printed no JSON line"
    else
      err="measured run failed (exit $?)"
    fi
  fi
  [[ -n $err ]] || after=$(cpu_ticks "$pid") || err="server exited during the measured run"
  if [[ -z $err ]] && ((round <= SYSCALL_ROUNDS)); then
    sys=$(count_syscalls "$pid" "$SYSCALL_S" "${common[@]}") || { sys="null"; log "  $tag: syscall count failed"; }
  fi
  stop_server "$pid"
  if [[ -n $err ]]; then
    log "  $tag: FAILED: $err"
    echo "{\"part\":\"echo\",\"round\":$round,\"case\":\"$cas\",\"subject\":\"$subj\",\"ok\":false,\"error\":\"${err//\"/\'}\"}" >>"$RAW"
    keep_logs "$tag"
    return 0
  fi
  printf '{"part":"echo","round":%s,"case":"%s","payload":%s,"connections":%s,"depth":%s,"subject":"%s","ok":true,"server_cpu_ticks":%s,"clk_tck":%s,"bench":%s,"syscalls":%s}\n' \
    "$round" "$cas" "$payload" "$conns" "$depth" "$subj" $((after - before)) "$CLK_TCK" "$bench_json" "$sys" >>"$RAW"
  log "  $tag: $(python3 "$BENCH_ROOT/bench/summarize.py" brief "$bench_json" $((after - before)) "$CLK_TCK")"
}

# hold_run ROUND TRANSPORT: fresh server, HOLD_CONNS idle connections.
hold_run() {
  local round=$1 t=$2 tag="r$1-hold-$2" json=""
  if ! start_subject "$t"; then
    echo "{\"part\":\"memory\",\"round\":$round,\"transport\":\"$t\",\"ok\":false,\"error\":\"server did not start\"}" >>"$RAW"
    return 0
  fi
  local pid=$SERVER_PID
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" $((HOLD_S + HOLD_CONNS / HOLD_RATE + 90)) \
    "$BIN_DIR/citadel-bench" hold --host 127.0.0.1 --port "$SERVER_PORT" --transport "$t" \
    --connections "$HOLD_CONNS" --connect-rate "$HOLD_RATE" --ping-interval 2 --duration "$HOLD_S" \
    --threads 1 --server-pid "$pid" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
  fi
  stop_server "$pid"
  if [[ -z $json ]]; then
    log "  $tag: FAILED"
    echo "{\"part\":\"memory\",\"round\":$round,\"transport\":\"$t\",\"ok\":false,\"error\":\"hold run failed\"}" >>"$RAW"
    keep_logs "$tag"
    return 0
  fi
  echo "{\"part\":\"memory\",\"round\":$round,\"transport\":\"$t\",\"ok\":true,\"bench\":$json}" >>"$RAW"
  log "  $tag: $(python3 -c 'import json, sys
b = json.loads(sys.argv[1])
print(b["connected"], "connected,", b.get("rss_per_conn_bytes"), "bytes RSS per connection")' "$json")"
}

if [[ " $PARTS " == *" echo "* ]]; then
  read -r -a subjects <<<"$SUBJECTS"
  n=${#subjects[@]}
  log "transport echo: $ROUNDS rounds x $(wc -w <<<"$CASES") cases x $n subjects, ${WARMUP}s warm-up + ${DURATION}s each"
  for ((round = 1; round <= ROUNDS; round++)); do
    log "echo round $round/$ROUNDS"
    for cas in $CASES; do
      for ((i = 0; i < n; i++)); do echo_run "$round" "$cas" "${subjects[(i + round - 1) % n]}"; done
    done
  done
fi
if [[ " $PARTS " == *" memory "* ]]; then
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  read -r -a holds <<<"$HOLD_TRANSPORTS"
  n=${#holds[@]}
  log "transport memory: $ROUNDS rounds x $n transports, $HOLD_CONNS connections at $HOLD_RATE/s"
  for ((round = 1; round <= ROUNDS; round++)); do
    log "memory round $round/$ROUNDS"
    for ((i = 0; i < n; i++)); do hold_run "$round" "${holds[(i + round - 1) % n]}"; done
  done
fi

{
  echo "# Transport benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- echo: $ROUNDS rounds; per run ${WARMUP}s warm-up (separate run) + ${DURATION}s measured; syscalls counted in the first $SYSCALL_ROUNDS round(s) over a ${SYSCALL_S}s run"
  echo "- memory: $HOLD_CONNS idle connections per transport at $HOLD_RATE/s, held ${HOLD_S}s"
  echo "- pinning: server on CPU $SERVER_CPU (--threads 1, TLS on), citadel-bench on CPU $BENCH_CPU (--threads 1); NICE=$NICE"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_transports.py" "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
