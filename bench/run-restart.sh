#!/usr/bin/env bash
# Restart under supervision (issue 16): PLAYERS arena players play; the
# server is killed with SIGKILL (by PID) and started again at once the way a
# supervisor would (same command, same config, same data directory, same
# ports); every player reconnects with backoff and jitter and sends Resume
# with its session token (citadel-bench arena --resume). Goal on the issue:
# serving again, and every player back in its room, within 2 s.
#
# Per round (a fresh data directory each):
#   1. citadel on CPU $SERVER_CPU (one I/O thread, admin port on), PLAYERS
#      join at CONNECT_RATE (16 a room, inputs at 20 Hz), WARMUP s;
#   2. KILL_AFTER s into the measured window: kill -9, reaped, then the same
#      command again; a probe connects to the game port every 10 ms and sends
#      PING: "listening" is its first connect, "serving" its first PONG, both
#      counted from the kill;
#   3. the window runs to its end (WINDOW s): a player is back at its first
#      ArenaState after AuthReply Ok (resumed) and RoomEvent Rejoined. Its gap
#      is the time from its last ArenaState before the kill to that one.
# Reported per round: kill -> listening / serving, players resumed and lost
# (Resume refused, by result code, or not back RESUME_GIVE_UP s after the
# drop), gap p50/p99/max.
#
# MODE=drop instead keeps the server up and has citadel-bench drop every
# connection itself KILL_AFTER s into the window (--drop-after): the same
# reconnect, Resume, Rejoined and snapshot path within the session grace,
# which today's server already serves; the baseline for the gaps.
#
# Until the server recovers sessions and rooms across a restart (the
# recovery.* keys), every Resume after the restart is refused with
# SessionGone: the report then says so (all lost). RECOVERY=1 writes the
# recovery keys into the config (a build that does not know them refuses to
# start, and the script says so).
#
# Environment (defaults): MODE=kill (or drop) PLAYERS=1000 ROUNDS=3 WINDOW=20 WARMUP=3
#   KILL_AFTER=5 CONNECT_RATE=1000 RESUME_GIVE_UP=15 RECONNECT_BASE_MS=100
#   RECONNECT_MAX_MS=1000 RECOVERY=0 (1: write recovery.enabled: true,
#   recovery.snapshot_every_ticks: $SNAPSHOT_EVERY_TICKS (20) and
#   recovery.session_flush_ms: $SESSION_FLUSH_MS (100)) BENCH_THREADS=1
#   EXECUTOR_THREADS=0 ADMIN_PORT=17491 PORT=0 (0: a free port, kept across
#   the restart) NICE=0 SERVER_CPU=0 BENCH_CPU=1 BIN_DIR=build/bin
#   RESULTS_DIR=bench/results ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/restart-<mode>-<stamp>.md;
# one raw JSON line per round in $RESULTS_DIR/restart-<mode>-<stamp>.jsonl.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"

MODE=${MODE:-kill}
PLAYERS=${PLAYERS:-1000}
ROUNDS=${ROUNDS:-3}
WINDOW=${WINDOW:-20}
WARMUP=${WARMUP:-3}
KILL_AFTER=${KILL_AFTER:-5}
CONNECT_RATE=${CONNECT_RATE:-1000}
RESUME_GIVE_UP=${RESUME_GIVE_UP:-15}
RECONNECT_BASE_MS=${RECONNECT_BASE_MS:-100}
RECONNECT_MAX_MS=${RECONNECT_MAX_MS:-1000}
RECOVERY=${RECOVERY:-0}
SNAPSHOT_EVERY_TICKS=${SNAPSHOT_EVERY_TICKS:-20}
SESSION_FLUSH_MS=${SESSION_FLUSH_MS:-100}
BENCH_THREADS=${BENCH_THREADS:-1}
PORT=${PORT:-0}

for v in PLAYERS ROUNDS WINDOW KILL_AFTER CONNECT_RATE RESUME_GIVE_UP RECONNECT_BASE_MS \
  RECONNECT_MAX_MS BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for v in WARMUP SNAPSHOT_EVERY_TICKS SESSION_FLUSH_MS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
done
((KILL_AFTER < WINDOW)) || die "KILL_AFTER must be inside the window (< WINDOW)"
[[ $PORT =~ ^[0-9]+$ ]] || die "PORT must be a port number or 0"
[[ $ADMIN_PORT =~ ^[1-9][0-9]*$ ]] || die "ADMIN_PORT must be a port number"
[[ $RECOVERY == 0 || $RECOVERY == 1 ]] || die "RECOVERY must be 0 or 1"
[[ $MODE == kill || $MODE == drop ]] || die "MODE must be kill or drop"
for b in taskset timeout python3 curl; do command -v "$b" >/dev/null || die "'$b' is required"; done
require_bin citadel
require_bin citadel-bench
require_release_build
need_room_fds "$PLAYERS"
if ((RECOVERY)); then
  "$BIN_DIR/citadel" --print-config 2>/dev/null | grep -q 'snapshot_every_ticks' ||
    die "RECOVERY=1, but this citadel ($BIN_DIR/citadel) has no recovery.* keys (crash recovery, issue 16, is not in this build); run without RECOVERY=1"
fi

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/restart-$MODE-$STAMP.jsonl
REPORT=$RESULTS_DIR/restart-$MODE-$STAMP.md
LOGS=$RESULTS_DIR/restart-$MODE-$STAMP-logs
: >"$RAW"

# write_restart_config FILE DIR: the rooms bench config with the database and
# the token secret in DIR (kept across the restart), and the recovery keys
# when RECOVERY=1.
write_restart_config() {
  local file=$1 dir=$2
  write_citadel_config "$file" 0
  cat >>"$file" <<EOF
store:
  path: $dir/citadel.db
auth:
  token_secret_file: $dir/citadel.secret
rooms:
  executor_threads: $EXECUTOR_THREADS
EOF
  if ((RECOVERY)); then
    cat >>"$file" <<EOF
recovery:
  enabled: true
  snapshot_every_ticks: $SNAPSHOT_EVERY_TICKS
  session_flush_ms: $SESSION_FLUSH_MS
EOF
  fi
}

# The probe: from KILL_AT (Unix s), connect to the game port every 10 ms
# until a connection is accepted, then send PING ("CT", cmd 0x0001, length 0)
# until PONG (cmd 0x0002) comes back. Prints "<listening s> <serving s>"
# after KILL_AT, or "null null" after 30 s.
PROBE='
import socket, sys, time
port, kill_at = int(sys.argv[1]), float(sys.argv[2])
deadline = time.time() + 30
listening = None
while time.time() < deadline:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        time.sleep(0.01)
        continue
    if listening is None:
        listening = time.time() - kill_at
    try:
        s.settimeout(1)
        s.sendall(b"CT\x00\x01\x00\x00\x00\x00")
        got = b""
        while len(got) < 8:
            chunk = s.recv(8 - len(got))
            if not chunk:
                break
            got += chunk
        if got[:4] == b"CT\x00\x02":
            print(f"{listening:.4f} {time.time() - kill_at:.4f}")
            sys.exit(0)
    except OSError:
        pass
    finally:
        s.close()
    time.sleep(0.01)
print("null null")
'

# citadel_cmd PORT ADMIN CONFIG DIR: the server's command line (the same before
# and after the kill, as a supervisor would run it).
citadel_cmd() {
  CMD=("${PRIO[@]}" "$BIN_DIR/citadel" --host 127.0.0.1 --port "$1" --threads 1 --log-level warn
    --admin-port "$2" --config "$3" --port-file "$4/citadel.port")
}

restart_round() {
  local round=$1
  local dir=$BENCH_TMP/round-$round err="" json="" limit wfile bench_pid
  local port admin start kill_at listen_s=null serve_s=null probe_pid old_pid
  mkdir -p "$dir"
  write_restart_config "$dir/citadel.yaml" "$dir"
  admin=$(pick_port "$ADMIN_PORT")
  citadel_cmd "$(pick_port "$PORT")" "$admin" "$dir/citadel.yaml" "$dir"
  if ! start_server citadel "$dir/server-1.log" "$dir/citadel.port" "${CMD[@]}"; then
    record_round "$round" false "server did not start" null null null
    return 0
  fi
  port=$SERVER_PORT
  citadel_cmd "$port" "$admin" "$dir/citadel.yaml" "$dir"  # the restart keeps the port
  wfile=$dir/window.txt
  DROP=()
  [[ $MODE == drop ]] && DROP=(--drop-after "$KILL_AFTER")
  limit=$((WINDOW + WARMUP + PLAYERS / CONNECT_RATE + 120))
  timeout --kill-after=5 "$limit" taskset -c "$BENCH_CPU" "${PRIO[@]}" "$BIN_DIR/citadel-bench" arena \
    --host 127.0.0.1 --port "$port" --players "$PLAYERS" --duration "$WINDOW" --warmup "$WARMUP" \
    --connect-rate "$CONNECT_RATE" --threads "$BENCH_THREADS" --resume \
    --resume-give-up "$RESUME_GIVE_UP" --reconnect-base-ms "$RECONNECT_BASE_MS" \
    --reconnect-max-ms "$RECONNECT_MAX_MS" --window-file "$wfile" "${DROP[@]}" --quiet \
    >"$dir/bench.out" 2>"$dir/bench.err" &
  bench_pid=$!
  BENCH_PIDS+=("$bench_pid")
  local deadline=$((SECONDS + limit))
  until [[ -s $wfile ]] || ((SECONDS >= deadline)) || ! kill -0 "$bench_pid" 2>/dev/null; do
    sleep 0.1
  done
  if [[ $MODE == drop ]]; then
    [[ -s $wfile ]] || err="citadel-bench never opened its window"
  elif [[ -s $wfile ]]; then
    read -r start _ <"$wfile"
    sleep "$(awk -v s="$start" -v k="$KILL_AFTER" -v n="$(date +%s.%N)" \
      'BEGIN { d = s + k - n; printf "%.3f", (d > 0 ? d : 0) }')"
    old_pid=$SERVER_PID
    kill_at=$(date +%s.%N)
    kill -KILL "$old_pid"
    wait_exit "$old_pid" 5 || true
    forget_pid "$old_pid"
    python3 -c "$PROBE" "$port" "$kill_at" >"$dir/probe.out" 2>&1 &
    probe_pid=$!
    BENCH_PIDS+=("$probe_pid")
    if ! start_server citadel "$dir/server-2.log" "$dir/citadel.port" "${CMD[@]}"; then
      err="the server did not start again after kill -9"
    fi
    wait "$probe_pid" || true
    forget_pid "$probe_pid"
    read -r listen_s serve_s <"$dir/probe.out" || true
    log "  round $round: kill -9 at +${KILL_AFTER}s; listening again after ${listen_s:-?} s, serving (PING answered) after ${serve_s:-?} s"
  else
    err="citadel-bench never opened its window"
  fi
  if wait "$bench_pid"; then
    json=$(last_json_line "$dir/bench.out")
    [[ -n $json ]] || err=${err:-"citadel-bench printed no JSON line"}
  else
    err=${err:-"citadel-bench arena failed (exit $?)"}
  fi
  forget_pid "$bench_pid"
  stop_server "$SERVER_PID"
  record_round "$round" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "${listen_s:-null}" "${serve_s:-null}" "${json:-null}"
  if [[ -n $err ]] || [[ $json != *'"resume_lost":0,'* ]]; then
    mkdir -p "$LOGS"
    cp "$dir"/server-*.log "$dir/bench.err" "$LOGS/" 2>/dev/null || true
    for f in "$LOGS"/server-*.log "$LOGS/bench.err"; do
      [[ -f $f ]] && mv "$f" "${f%/*}/r$round.${f##*/}"
    done
  fi
  log "  $(python3 "$BENCH_ROOT/bench/summarize_liveops.py" brief "$(tail -n 1 "$RAW")")"
}

# record_round ROUND OK ERROR LISTEN_S SERVE_S BENCH_JSON
record_round() {
  printf '{"part":"restart","mode":"%s","round":%s,"ok":%s,"error":"%s","players":%s,"kill_after_s":%s,"recovery_keys":%s,"listen_s":%s,"restart_s":%s,"bench":%s}\n' \
    "$MODE" "$1" "$2" "${3//\"/\'}" "$PLAYERS" "$KILL_AFTER" "$([[ $RECOVERY == 1 ]] && echo true || echo false)" \
    "$4" "$5" "$6" >>"$RAW"
}

log "restart ($MODE): $PLAYERS players, $ROUNDS rounds; kill -9 (or, MODE=drop, every connection dropped by the bench) ${KILL_AFTER}s into a ${WINDOW}s window, restarted at once; recovery keys $([[ $RECOVERY == 1 ]] && echo "written (snapshot_every_ticks $SNAPSHOT_EVERY_TICKS, session_flush_ms $SESSION_FLUSH_MS)" || echo "not written (server defaults)"); load average $(cut -d' ' -f1 /proc/loadavg)"
for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round/$ROUNDS"
  restart_round "$round"
done

{
  echo "# Restart under supervision, $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  if [[ $MODE == drop ]]; then
    echo "- MODE=drop: the server stays up; citadel-bench drops every connection itself ${KILL_AFTER}s into the window (--drop-after), then reconnects and resumes"
  fi
  echo "- server: citadel --threads 1, rooms.executor_threads $EXECUTOR_THREADS, pinned to CPU $SERVER_CPU; $([[ $MODE == kill ]] && echo "killed with SIGKILL ${KILL_AFTER}s into the window and started again at once, same command, config and data directory" || echo "not restarted"); citadel-bench arena --resume --threads $BENCH_THREADS pinned to CPU $BENCH_CPU"
  echo "- $PLAYERS players join at $CONNECT_RATE/s; ${WARMUP}s warm-up, ${WINDOW}s window; reconnect backoff ${RECONNECT_BASE_MS} ms doubling to ${RECONNECT_MAX_MS} ms, full jitter; a player not back ${RESUME_GIVE_UP}s after the drop is lost; nice $NICE"
  echo "- recovery keys: $([[ $RECOVERY == 1 ]] && echo "recovery.enabled true, snapshot_every_ticks $SNAPSHOT_EVERY_TICKS, session_flush_ms $SESSION_FLUSH_MS" || echo "not in the config (the server's defaults)")"
  echo "- raw: $(basename "$RAW")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_liveops.py" restart "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
