# shellcheck shell=bash disable=SC2034  # variables here are read by the sourcing scripts
# Shared helpers for bench/run-*.sh. Source it; do not run it.
#
# Everything here talks to 127.0.0.1 only, and stops only the processes the
# calling script started (their PIDs are kept in BENCH_PIDS).

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN_DIR=${BIN_DIR:-$BENCH_ROOT/build/bin}
BUILD_DIR=${BUILD_DIR:-$(dirname "$BIN_DIR")}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_ROOT/bench/results}
SERVER_CPU=${SERVER_CPU:-0}  # CPU the server under test is pinned to
BENCH_CPU=${BENCH_CPU:-1}    # CPU the load generator is pinned to
CLK_TCK=$(getconf CLK_TCK)

BENCH_PIDS=()   # every background process we started, in start order
BENCH_TMP=""    # scratch directory, removed on exit

die() {
  echo "error: $*" >&2
  exit 1
}

log() {
  echo "[$(date +%H:%M:%S)] $*" >&2
}

# Installs the EXIT trap that stops our own processes (by PID, SIGTERM then
# SIGKILL) and removes the scratch directory. INT/TERM exit through it too.
bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/citadel-bench.XXXXXX")
  LOAD_AT_START=$(cut -d' ' -f1 /proc/loadavg)
  # Both CPUs are in use by the benchmark; anything else running skews it.
  if awk -v l="$LOAD_AT_START" 'BEGIN { exit !(l > 0.5) }'; then
    log "warning: load average is $LOAD_AT_START before starting; other work on the machine will skew the figures"
  fi
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${BENCH_PIDS[@]}"; do
    wait_exit "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
  done
  [[ -n $BENCH_TMP ]] && rm -rf "$BENCH_TMP"
  return 0
}

# wait_exit PID SECONDS: true once PID is gone (reaped if it is our child).
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    # A zombie still answers kill -0; reap it if it has exited.
    if [[ $(proc_state "$pid") == Z ]]; then
      wait "$pid" 2>/dev/null || true
      return 0
    fi
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
  return 0
}

# proc_state PID: the one-letter state from /proc/PID/stat (R, S, Z, ...).
proc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  echo "${stat%% *}"
}

# Drops PID from BENCH_PIDS once it is known to be gone.
forget_pid() {
  local pid keep=()
  for pid in "${BENCH_PIDS[@]}"; do
    [[ $pid == "$1" ]] || keep+=("$pid")
  done
  BENCH_PIDS=("${keep[@]}")
}

require_bin() {
  [[ -x $BIN_DIR/$1 ]] || die "$BIN_DIR/$1 not found. Build the tree in Release first:
    cmake -S $BENCH_ROOT -B $BENCH_ROOT/build -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build $BENCH_ROOT/build
  (or point BIN_DIR at a directory holding citadel, c-echo-server and citadel-bench)"
}

# Refuses Debug or sanitizer builds: their numbers mean nothing.
# ALLOW_NON_RELEASE=1 skips the check (e.g. for a smoke test of the scripts).
require_release_build() {
  local cache=$BUILD_DIR/CMakeCache.txt type sanitize
  [[ ${ALLOW_NON_RELEASE:-0} == 1 ]] && return 0
  [[ -f $cache ]] || { log "warning: no $cache; cannot check the build type"; return 0; }
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
  sanitize=$(sed -n 's/^CITADEL_SANITIZE:BOOL=//p' "$cache")
  [[ $type == Release || $type == RelWithDebInfo ]] ||
    die "$BUILD_DIR is a '$type' build; benchmark a Release build (or set ALLOW_NON_RELEASE=1)"
  [[ $sanitize != ON ]] ||
    die "$BUILD_DIR has CITADEL_SANITIZE=ON; benchmark a build without sanitizers (or set ALLOW_NON_RELEASE=1)"
}

build_type() {
  sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || echo unknown
}

# Builds the Go yardstick into BIN_DIR from the standard library only.
build_go_yardstick() {
  command -v go >/dev/null || die "'go' not found; install golang-go or leave 'go' out of SERVERS"
  log "building go-echo-server"
  (cd "$BENCH_ROOT/bench/yardsticks/go_echo_server" &&
    GOFLAGS=-mod=mod GOPROXY=off go build -o "$BIN_DIR/go-echo-server" .) ||
    die "go build of bench/yardsticks/go_echo_server failed"
}

port_in_use() {
  if command -v ss >/dev/null; then
    [[ -n $(ss -Hltn "sport = :$1") ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# pick_port BASE: BASE if nothing listens there, else the next free one above
# it in steps of 10 (so servers with distinct bases stay distinct).
# BASE 0 passes through: the server then binds any free port and we read the
# real one from its "listening on" line.
pick_port() {
  local port=$1 tries=0
  ((port == 0)) && { echo 0; return 0; }
  while port_in_use "$port"; do
    ((++tries < 20)) || die "no free port found from $1 upwards (step 10)"
    port=$((port + 10))
  done
  echo "$port"
}

# start_server NAME LOGFILE PORTFILE CMD...: starts CMD pinned to SERVER_CPU,
# waits until it is listening, and sets SERVER_PID and SERVER_PORT. Ready
# means a "listening on 127.0.0.1:PORT" line in its output or, when PORTFILE
# is not "-", a port number in PORTFILE (citadel logs that line at info level
# only, so at --log-level warn it is told to write --port-file instead).
# Fails (return 1) if the server exits or is not ready within 15 s.
start_server() {
  local name=$1 logfile=$2 portfile=$3
  shift 3
  [[ $portfile == - ]] || rm -f "$portfile"
  taskset -c "$SERVER_CPU" "$@" >"$logfile" 2>&1 &
  SERVER_PID=$!
  BENCH_PIDS+=("$SERVER_PID")
  local deadline=$((SECONDS + 15)) port=""
  while :; do
    # (2>/dev/null: the shell may not have created the log file yet)
    port=$(grep -m1 -o 'listening on 127\.0\.0\.1:[0-9]\+' "$logfile" 2>/dev/null | sed 's/.*://' || true)
    if [[ -z $port && $portfile != - && -s $portfile ]]; then
      port=$(grep -m1 -o '^[0-9]\+$' "$portfile" || true)
    fi
    [[ -n $port ]] && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      log "$name did not start listening; last lines of its output:"
      tail -n 20 "$logfile" >&2 || true
      stop_server "$SERVER_PID"
      return 1
    fi
    sleep 0.05
  done
  SERVER_PORT=$port
  return 0
}

# colyseus_ready PORT: waits until the Colyseus peer (bench/colyseus/server.js)
# on PORT serves: its matchmaker answers a CORS preflight (204). Fails
# (return 1) after 5 s.
colyseus_ready() {
  local tries=0
  until curl -s -o /dev/null --max-time 1 -X OPTIONS "http://127.0.0.1:$1/matchmake/"; do
    ((++tries < 50)) || return 1
    sleep 0.1
  done
}

# stop_server PID: SIGTERM, up to 10 s to exit, then SIGKILL.
stop_server() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_exit "$pid" 10; then
    log "pid $pid ignored SIGTERM for 10 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || true
  fi
  forget_pid "$pid"
}

# cpu_ticks PID: user + system CPU time of the whole process (all threads),
# in clock ticks (CLK_TCK per second), from /proc/PID/stat fields 14 and 15.
cpu_ticks() {
  local stat
  stat=$(<"/proc/$1/stat") || return 1
  stat=${stat##*) }  # the command name may contain spaces and parentheses
  # shellcheck disable=SC2086
  set -- $stat       # now $1 is field 3 (state), so utime is ${12}, stime ${13}
  echo $((${12} + ${13}))
}

# status_kb PID FIELD: a /proc/PID/status field such as VmRSS or VmHWM, in KiB.
status_kb() {
  awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || true
}

# run_pinned OUTFILE ERRFILE TIMEOUT_S CMD...: runs CMD pinned to BENCH_CPU in
# the background (so our traps can stop it) and waits. Returns CMD's status.
run_pinned() {
  local out=$1 err=$2 limit=$3 pid rc=0
  shift 3
  timeout --kill-after=5 "$limit" taskset -c "$BENCH_CPU" "$@" >"$out" 2>"$err" &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget_pid "$pid"
  return "$rc"
}

# The last line of FILE that looks like a JSON object, or nothing.
last_json_line() {
  grep '^[[:space:]]*{' "$1" | tail -n 1 || true
}

machine_info_md() {
  local cpu kernel
  cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
  kernel=$(uname -srm)
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $kernel"
  echo "- commit: $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo 'none (uncommitted tree)')$(
    [[ -n $(git -C "$BENCH_ROOT" status --porcelain 2>/dev/null | head -n 1) ]] && echo ' + local changes')"
  echo "- build: $(build_type) ($BIN_DIR)"
  echo "- load average (1 min) at start / end: ${LOAD_AT_START:-?} / $(cut -d' ' -f1 /proc/loadavg)"
}

# Writes a citadel config that lifts the limits a benchmark would trip over.
# write_citadel_config FILE IDLE_TIMEOUT_MS
write_citadel_config() {
  cat >"$1" <<EOF
# Written by bench/$(basename "$0"): one client address opens every
# connection, so the per-IP cap is off; the load never logs in, so the
# login deadline is off.
limits:
  max_connections_per_ip: 0
  idle_timeout_ms: $2
  login_timeout_ms: 0
EOF
}

# make_test_certificate DIR: a self-signed EC P-256 certificate for localhost
# and 127.0.0.1 (openssl command), valid one day: DIR/server.crt, DIR/server.key.
make_test_certificate() {
  command -v openssl >/dev/null || die "'openssl' is required for the TLS transports"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$1/server.key" -out "$1/server.crt" >/dev/null 2>&1 ||
    die "openssl could not make a test certificate"
}

# append_tls_config FILE CERT KEY: turns TLS on (same port; tcp and ws stay).
append_tls_config() {
  cat >>"$1" <<EOF2
tls:
  enabled: true
  certificate_file: $2
  private_key_file: $3
EOF2
}
