# shellcheck shell=bash disable=SC2034  # variables here are read by the sourcing scripts
# A real PostgreSQL for bench/run-*.sh (after lib.sh): Debian's postgresql-15
# binaries, a cluster made once per script run (initdb) and copied afresh
# for every server, listening on 127.0.0.1 on a free port with its socket in
# the scratch directory. Durable, as a deployment runs it: PostgreSQL's
# defaults (fsync, synchronous_commit, full_page_writes on), like
# store-object-bench's. As root the server runs as `nobody` (PostgreSQL
# refuses root). Stopped by PID.

PG_BIN=${PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
PG_USER=citadel
PG_PID=""
PG_PORT=""

# The prefix that runs a command as the cluster's owner: nobody when we are
# root. setpriv execs it, so a background job's $! is the command's own PID.
PG_AS_OWNER=()
((EUID != 0)) || PG_AS_OWNER=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)

# pg_init: the template cluster, $BENCH_TMP/pg-template (once per script run).
pg_init() {
  [[ -x $PG_BIN/initdb ]] || die "PostgreSQL binaries not found (Debian: postgresql-15; or set PG_BIN)"
  chmod 711 "$BENCH_TMP"  # the server user must reach its directory
  local dir=$BENCH_TMP/pg-template
  mkdir -p "$dir"
  ((EUID != 0)) || chown nobody:nogroup "$dir"
  "${PG_AS_OWNER[@]}" "$PG_BIN/initdb" -D "$dir" -U "$PG_USER" --auth=trust --encoding=UTF8 \
    --no-locale >"$BENCH_TMP/initdb.log" 2>&1 || {
    tail -n 20 "$BENCH_TMP/initdb.log" >&2
    die "initdb failed"
  }
}

# start_postgres CPU: a fresh copy of the template cluster on a free port,
# pinned to CPU; sets PG_PID and PG_PORT. Returns 1 if it does not accept
# connections within 30 s.
start_postgres() {
  local cpu=$1 dir=$BENCH_TMP/pg
  rm -rf "$dir" && cp -a "$BENCH_TMP/pg-template" "$dir"
  PG_PORT=$(pick_port 17432)
  "${PG_AS_OWNER[@]}" taskset -c "$cpu" "$PG_BIN/postgres" -D "$dir" -p "$PG_PORT" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$dir" -c max_connections=60 \
    >"$BENCH_TMP/postgres.log" 2>&1 &
  PG_PID=$!
  BENCH_PIDS+=("$PG_PID")
  local deadline=$((SECONDS + 30))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres; do
    if ! kill -0 "$PG_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      log "postgres did not accept connections; last lines of its log:"
      tail -n 20 "$BENCH_TMP/postgres.log" >&2 || true
      stop_postgres
      return 1
    fi
    sleep 0.05
  done
}

# pg_url: the running server's database "postgres".
pg_url() {
  echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres"
}

# stop_postgres: a fast shutdown (SIGINT) by PID, then SIGKILL after 20 s.
stop_postgres() {
  [[ -n $PG_PID ]] || return 0
  kill -INT "$PG_PID" 2>/dev/null || true
  wait_exit "$PG_PID" 20 || kill -KILL "$PG_PID" 2>/dev/null || true
  forget_pid "$PG_PID"
  PG_PID=""
}
