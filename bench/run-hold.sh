#!/usr/bin/env bash
# Hold benchmark: open CONNS idle connections to one server on 127.0.0.1,
# ping each every PING_INTERVAL seconds for DURATION seconds, and report how
# many connected and stayed, ping latency, and the server's memory per
# connection (citadel-bench reads the server's RSS through --server-pid).
#
# The server is pinned to CPU $SERVER_CPU, citadel-bench to CPU $BENCH_CPU.
# citadel runs with max_connections_per_ip 0 (every connection comes from
# 127.0.0.1) and an explicit idle timeout (30 s: the pings keep connections
# alive, so the idle timers are exercised without firing).
#
# TRANSPORT=ws, tls or wss holds the connections over that transport
# (citadel only; the server then gets TLS on with a self-signed certificate
# from the openssl command, for every transport alike). TLS handshakes cost
# the server a core's worth at a few thousand per second: lower CONNECT_RATE.
#
# Environment (defaults): CONNS=19000 DURATION=30 PING_INTERVAL=5
#   CONNECT_RATE=5000 IDLE_TIMEOUT_MS=30000 SERVER=citadel (or c-ref, go)
#   TRANSPORT=tcp (or ws, tls, wss)
#   PORT=17101 (0 = the server picks a free port) SERVER_CPU=0 BENCH_CPU=1
#   BIN_DIR=build/bin RESULTS_DIR=bench/results ALLOW_NON_RELEASE=0
# Output: a markdown summary on stdout and in $RESULTS_DIR/hold-<stamp>.md;
# the raw JSON line in $RESULTS_DIR/hold-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNS=${CONNS:-19000}
DURATION=${DURATION:-30}
PING_INTERVAL=${PING_INTERVAL:-5}
CONNECT_RATE=${CONNECT_RATE:-5000}
IDLE_TIMEOUT_MS=${IDLE_TIMEOUT_MS:-30000}
SERVER=${SERVER:-citadel}
TRANSPORT=${TRANSPORT:-tcp}
PORT=${PORT:-17101}

for v in CONNS DURATION PING_INTERVAL CONNECT_RATE; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $IDLE_TIMEOUT_MS =~ ^[0-9]+$ ]] || die "IDLE_TIMEOUT_MS must be a non-negative integer"
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT != 0 && (PORT < 1024 || PORT > 65535))); then
  die "PORT must be 0 or in 1024..65535"
fi
[[ $TRANSPORT =~ ^(tcp|ws|tls|wss)$ ]] || die "TRANSPORT must be tcp, ws, tls or wss"
[[ $TRANSPORT == tcp || $SERVER == citadel ]] || die "TRANSPORT=$TRANSPORT needs SERVER=citadel"
for b in taskset timeout python3; do command -v "$b" >/dev/null || die "'$b' is required"; done

require_bin citadel-bench
case $SERVER in
  citadel) require_bin citadel ;;
  c-ref) require_bin c-echo-server ;;
  go) ;;
  *) die "SERVER must be citadel, c-ref or go" ;;
esac
require_release_build

# Both processes hold CONNS sockets: each needs that many descriptors, and the
# client needs that many ephemeral ports towards one server port.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)
[[ $fd_limit == unlimited ]] || ((fd_limit >= CONNS + 200)) ||
  die "open-file limit is $fd_limit; CONNS=$CONNS needs at least $((CONNS + 200)) (lower CONNS)"
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
((port_hi - port_lo + 1 >= CONNS + 500)) ||
  die "ephemeral port range $port_lo-$port_hi is too small for CONNS=$CONNS"

bench_init
[[ $SERVER == go ]] && build_go_yardstick

mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/hold-$STAMP.jsonl
REPORT=$RESULTS_DIR/hold-$STAMP.md
CONFIG=$BENCH_TMP/citadel-hold.yaml
write_citadel_config "$CONFIG" "$IDLE_TIMEOUT_MS"
if [[ $TRANSPORT != tcp ]]; then
  make_test_certificate "$BENCH_TMP"
  append_tls_config "$CONFIG" "$BENCH_TMP/server.crt" "$BENCH_TMP/server.key"
fi

port=$PORT
((PORT == 0)) || port=$(pick_port "$PORT")
case $SERVER in
  citadel) cmd=("$BIN_DIR/citadel" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn --config "$CONFIG"
    --port-file "$BENCH_TMP/citadel.port") ;;
  c-ref) cmd=("$BIN_DIR/c-echo-server" --port "$port") ;;
  go) cmd=(env GOMAXPROCS=1 "$BIN_DIR/go-echo-server" --port "$port") ;;
esac

log "hold benchmark: $SERVER over $TRANSPORT, $CONNS connections at $CONNECT_RATE/s, ping every ${PING_INTERVAL}s for ${DURATION}s"
portfile=-
[[ $SERVER == citadel ]] && portfile=$BENCH_TMP/citadel.port
start_server "$SERVER" "$BENCH_TMP/server.log" "$portfile" "${cmd[@]}" || die "$SERVER did not start"
pid=$SERVER_PID

error=""
bench_json="null"
before=$(cpu_ticks "$pid")
# Connecting takes CONNS / CONNECT_RATE seconds before the hold starts.
limit=$((DURATION + CONNS / CONNECT_RATE + 60))
if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
  "$BIN_DIR/citadel-bench" hold --host 127.0.0.1 --port "$SERVER_PORT" --transport "$TRANSPORT" \
  --connections "$CONNS" \
  --ping-interval "$PING_INTERVAL" --duration "$DURATION" --connect-rate "$CONNECT_RATE" \
  --threads 1 --server-pid "$pid" --quiet; then
  bench_json=$(last_json_line "$BENCH_TMP/bench.out")
  [[ -n $bench_json ]] || { bench_json="null"; error="citadel-bench printed no JSON line"; }
else
  error="citadel-bench hold failed (exit $?)"
fi

alive=false
cpu=null
hwm=null
if kill -0 "$pid" 2>/dev/null && [[ $(proc_state "$pid") != Z ]]; then
  alive=true
  cpu=$(($(cpu_ticks "$pid") - before))
  hwm=$(status_kb "$pid" VmHWM)
  hwm=${hwm:-null}
fi
stop_server "$pid"

printf '{"server":"%s","transport":"%s","connections":%s,"ok":%s,"error":"%s","server_alive_after":%s,"server_cpu_ticks":%s,"clk_tck":%s,"server_hwm_kb":%s,"bench":%s}\n' \
  "$SERVER" "$TRANSPORT" "$CONNS" "$([[ -z $error ]] && echo true || echo false)" "${error//\"/\'}" "$alive" \
  "$cpu" "$CLK_TCK" "$hwm" "$bench_json" >"$RAW"

verdict=0
{
  echo "# Hold benchmark, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- run: $CONNS connections over $TRANSPORT at $CONNECT_RATE/s, ping every ${PING_INTERVAL}s, ${DURATION}s hold, idle timeout ${IDLE_TIMEOUT_MS} ms"
  echo "- pinning: server on CPU $SERVER_CPU (--threads 1), citadel-bench on CPU $BENCH_CPU (--threads 1)"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize.py" hold "$RAW"
} | tee "$REPORT" || verdict=$?
log "report written to $REPORT"

# PASS = every connection made and kept, the server still up afterwards.
if ((verdict != 0)); then
  dir=$RESULTS_DIR/hold-$STAMP-logs
  mkdir -p "$dir"
  cp "$BENCH_TMP/server.log" "$BENCH_TMP/bench.err" "$dir/" 2>/dev/null || true
  log "hold run FAILED${error:+: $error}; logs kept in $dir"
  exit 1
fi
