# shellcheck shell=bash disable=SC2034  # variables here are read by the sourcing scripts
# Helpers for the room benchmarks (run-arena.sh, run-lockstep.sh). Source it
# after lib.sh; do not run it. Like lib.sh, everything talks to 127.0.0.1
# and stops only the processes the calling script started.

EXECUTOR_THREADS=${EXECUTOR_THREADS:-0}  # rooms.executor_threads: 0 = rooms on the I/O loop
ADMIN_PORT=${ADMIN_PORT:-17491}          # /metrics (room tick counters); 0 = no admin port
# NICE=-10 gives the server and citadel-bench that priority, so that
# unpinned work of others on a shared machine (compiles) cannot take most of
# their CPUs; 0 (default) changes nothing. With autogroup scheduling
# (/proc/sys/kernel/sched_autogroup_enabled) the CPU is shared between
# sessions first and a plain `nice` only counts within one session, so each
# process gets a session of its own (setsid: same PID, no fork, since it is
# no process group leader) whose autogroup gets the nice level. Negative
# values need root.
NICE=${NICE:-0}
[[ $NICE =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
PRIO=()
if ((NICE != 0)); then
  # shellcheck disable=SC2016  # expanded by the inner sh
  PRIO=(setsid sh -c 'echo "$0" >/proc/self/autogroup 2>/dev/null || renice -n "$0" -p $$ >/dev/null; exec "$@"' "$NICE")
fi

# write_rooms_config FILE: the bench config (lib.sh: per-IP cap, login
# deadline and idle timeout off) plus a scratch SQLite file and token secret,
# so every server starts from an empty database, and the room executor.
# WAKE_COALESCE_US (default 0, off) sets server.wake_coalesce_us; TICK_SLOT_US,
# when set, rooms.tick_slot_us (a build older than that key refuses it).
write_rooms_config() {
  write_citadel_config "$1" 0
  cat >>"$1" <<EOF
server:
  batched_sends: $([[ ${SENDS:-batched} == sendmsg ]] && echo false || echo true)
  wake_coalesce_us: ${WAKE_COALESCE_US:-0}
store:
  path: $BENCH_TMP/citadel.db
auth:
  token_secret_file: $BENCH_TMP/citadel.secret
rooms:
  executor_threads: $EXECUTOR_THREADS
EOF
  [[ -z ${TICK_SLOT_US:-} ]] || echo "  tick_slot_us: $TICK_SLOT_US" >>"$1"
}

# start_rooms_server PORT CONFIG: a fresh citadel (empty database) pinned to
# SERVER_CPU with one I/O thread; sets SERVER_PID, SERVER_PORT and
# METRICS_URL (empty without an admin port).
start_rooms_server() {
  local port=$1 config=$2 admin=0
  rm -f "$BENCH_TMP"/citadel.db "$BENCH_TMP"/citadel.db-wal "$BENCH_TMP"/citadel.db-shm \
    "$BENCH_TMP"/citadel-recovery.db*
  ((ADMIN_PORT == 0)) || admin=$(pick_port "$ADMIN_PORT")
  start_server citadel "$BENCH_TMP/server.log" "$BENCH_TMP/citadel.port" \
    "${PRIO[@]}" "$BIN_DIR/citadel" --host 127.0.0.1 --port "$port" --threads 1 --log-level warn \
    --admin-port "$admin" --config "$config" --port-file "$BENCH_TMP/citadel.port" || return 1
  METRICS_URL=""
  ((admin == 0)) || METRICS_URL="http://127.0.0.1:$admin/metrics"
}

# room_metrics: the server's room counters from /metrics as one JSON object
# {"ticks","skipped","overruns","dropped","rooms"}, or null when there is no
# admin port or the build does not export them yet.
room_metrics() {
  [[ -n ${METRICS_URL:-} ]] || { echo null; return 0; }
  curl -s --max-time 5 "$METRICS_URL" 2>/dev/null | awk '
    $1 == "citadel_room_ticks_total" { t = $2 }
    $1 == "citadel_room_ticks_skipped_total" { s = $2 }
    $1 == "citadel_room_tick_overruns_total" { o = $2 }
    $1 == "citadel_room_inputs_dropped_total" { d = $2 }
    $1 == "citadel_rooms_open" { r = $2 }
    END {
      if (t == "") { print "null"; exit }
      printf "{\"ticks\":%s,\"skipped\":%s,\"overruns\":%s,\"dropped\":%s,\"rooms\":%s}\n",
        t, (s == "" ? "null" : s), (o == "" ? "null" : o), (d == "" ? "null" : d), (r == "" ? "null" : r)
    }'
}

# metrics_sampler_start FILE SECONDS: scrapes the room counters every second
# into FILE ("<unix time> <json>" per line) in the background, for at most
# SECONDS; sets SAMPLER_PID. The window the bench measured is known only
# afterwards (its JSON line gives connect_s and the warm-up), so the script
# picks the samples inside it then: the connect phase and the teardown of
# thousands of connections at the end stay out of the tick figures.
metrics_sampler_start() {
  local file=$1 limit=$2
  SAMPLER_PID=""
  [[ -n ${METRICS_URL:-} ]] || return 0
  : >"$file"
  (
    end=$((SECONDS + limit))
    while ((SECONDS < end)); do
      echo "$(date +%s.%N) $(room_metrics)" >>"$file"
      sleep 1
    done
  ) &
  SAMPLER_PID=$!
  BENCH_PIDS+=("$SAMPLER_PID")
}

metrics_sampler_stop() {
  [[ -n ${SAMPLER_PID:-} ]] || return 0
  kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  wait_exit "$SAMPLER_PID" 5 || kill -KILL "$SAMPLER_PID" 2>/dev/null || true
  forget_pid "$SAMPLER_PID"
  SAMPLER_PID=""
}

# samples_json FILE: the sampler's lines as a JSON array [[time, {...}], ...].
samples_json() {
  [[ -s $1 ]] || { echo null; return 0; }
  awk 'BEGIN { printf "[" } $2 != "null" { printf "%s[%s,%s]", (n++ ? "," : ""), $1, $2 } END { printf "]" }' "$1"
}

# need_room_fds N: this shell (and so citadel-bench) may open N descriptors,
# and the ephemeral port range has room for N connections to one port.
need_room_fds() {
  local n=$1 fd_limit port_lo port_hi
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  fd_limit=$(ulimit -n)
  [[ $fd_limit == unlimited ]] || ((fd_limit >= n + 200)) ||
    die "open-file limit is $fd_limit; $n players need at least $((n + 200)) (use several bench processes)"
  read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
  ((port_hi - port_lo + 1 >= n + 500)) ||
    die "ephemeral port range $port_lo-$port_hi is too small for $n connections"
}

# keep_room_logs DIR TAG: copies the scratch logs of a failed run.
keep_room_logs() {
  mkdir -p "$1"
  local f
  for f in server.log bench.err bench.out; do
    cp "$BENCH_TMP/$f" "$1/$2.$f" 2>/dev/null || true
  done
  log "logs kept in $1"
}
