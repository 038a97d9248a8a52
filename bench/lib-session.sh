# shellcheck shell=bash disable=SC2034  # variables here are read by the sourcing scripts
# Helpers for the benchmarks that log in (run-fanout.sh, run-login.sh,
# run-session-memory.sh). Source it after lib.sh; do not run it.
#
# Like lib.sh, everything talks to 127.0.0.1 and stops only the processes the
# calling script started.

# write_session_config FILE: a citadel config for benchmarks that log users
# in. On top of lib.sh's (per-IP cap off, login deadline off, idle timeout
# off) the SQLite file and token secret go to the scratch directory, so every
# run starts from an empty database, and the per-user chat limit is lifted
# when this build knows the keys (the fan-out run sends faster than 5/s).
write_session_config() {
  write_citadel_config "$1" 0
  cat >>"$1" <<EOF
store:
  path: $BENCH_TMP/citadel.db
auth:
  token_secret_file: $BENCH_TMP/citadel.secret
EOF
  if "$BIN_DIR/citadel" --print-config 2>/dev/null | grep -q 'messages_per_second'; then
    cat >>"$1" <<EOF
chat:
  messages_per_second: 100000
  message_burst: 100000
EOF
  fi
}

# fresh_store: removes the database (and the crash-recovery file) of the
# previous server, so each server starts empty (the same accounts table size
# in every round, and no sessions or rooms of the last round brought back).
fresh_store() {
  rm -f "$BENCH_TMP"/citadel.db "$BENCH_TMP"/citadel.db-wal "$BENCH_TMP"/citadel.db-shm \
    "$BENCH_TMP"/citadel-recovery.db*
}

# start_citadel PORT CONFIG [ADMIN_PORT]: a fresh citadel pinned to SERVER_CPU
# with one I/O thread and no admin port (or one on 127.0.0.1:ADMIN_PORT);
# sets SERVER_PID and SERVER_PORT (lib.sh).
start_citadel() {
  local port=$1 config=$2 admin=${3:-0}
  fresh_store
  start_server citadel "$BENCH_TMP/server.log" "$BENCH_TMP/citadel.port" \
    "$BIN_DIR/citadel" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn \
    --admin-port "$admin" --config "$config" --port-file "$BENCH_TMP/citadel.port"
}

# run_bounded OUTFILE ERRFILE TIMEOUT_S CMD...: like lib.sh's run_pinned but
# without taskset, for programs that pin their own threads (c-fanout).
run_bounded() {
  local out=$1 err=$2 limit=$3 pid rc=0
  shift 3
  timeout --kill-after=5 "$limit" "$@" >"$out" 2>"$err" &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || rc=$?
  forget_pid "$pid"
  return "$rc"
}

# need_fds N: this shell (and so citadel-bench) may open N descriptors, and
# the ephemeral port range has room for N connections to one server port.
need_fds() {
  local n=$1 fd_limit port_lo port_hi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  fd_limit=$(ulimit -n)
  [[ $fd_limit == unlimited ]] || ((fd_limit >= n + 200)) ||
    die "open-file limit is $fd_limit; $n connections need at least $((n + 200))"
  read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
  ((port_hi - port_lo + 1 >= n + 500)) ||
    die "ephemeral port range $port_lo-$port_hi is too small for $n connections"
}

# keep_failure_logs DIR TAG: copies the scratch logs of a failed run.
keep_failure_logs() {
  mkdir -p "$1"
  local f
  for f in server.log bench.err bench.out; do
    cp "$BENCH_TMP/$f" "$1/$2.$f" 2>/dev/null || true
  done
  log "logs kept in $1"
}
