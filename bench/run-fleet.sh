#!/usr/bin/env bash
# Fleet benchmarks (issue 18): what the gateway hop costs, arena capacity of
# 1 gateway + 2 game nodes against one `all` node, and world chat fanned out
# over 2 gateways against one. Real etcd (and, for chat, Redis and
# PostgreSQL) on loopback, started here and stopped by PID; every run gets
# fresh Citadel nodes (citadel --threads 1) on a new etcd cluster prefix.
# Every Citadel node, etcd, Redis and PostgreSQL is pinned to CPU
# $SERVER_CPU (GATEWAY_CPU, GW2_CPU, INFRA_CPU move them), citadel-bench to
# CPU $BENCH_CPU: on a 2-core machine the servers share one core, so every
# figure is per core of the servers' CPU.
#
#   hop       ROUNDS x HOP_PLAYERS x HOP_PATHS, the paths' order rotated by
#             round: arena players (16 a room, inputs at 20 Hz) on
#             - direct:  a game node's own game port (fleet.role game: its
#                        game port still serves clients, src/app/fleet_role.cc),
#                        the reference;
#             - gateway: a gateway (fleet.role gateway) in front of that same
#                        game node, every room command and input forwarded
#                        over the node link and every state delivered back;
#             - all:     (optional) one `all` node, no fleet at all.
#             Reported per round and as medians of the per-round figures
#             (bench/paired.py): gateway - direct for p50/p99/mean
#             input-to-ack (goal: p99 <= +1 ms), gateway / direct for the
#             CPU of all Citadel processes per input+state (goal <= 1.3x).
#             STRACE=1 adds one run per path (outside the figures) with
#             strace -c on the nodes for STRACE_S s: syscalls per input+state.
#   scaleout  players from SCALE_START in steps of SCALE_STEP up to
#             SCALE_MAX; each step runs `all` (one node) and `fleet` (one
#             gateway + two game nodes), order alternating by step, HOLD s
#             after WARMUP s; a configuration drops out at its first step
#             that misses the bar (summarize_rooms.py's: everyone in, p99
#             input-to-ack < P99_MS, no disconnects, every room at 20 Hz, no
#             skipped ticks). Players per core of CPU used, at each step.
#   chat      ROUNDS x CHAT_CONFIGS, order rotated by round: CHAT_USERS guests
#             log in (all in the world channel) and SENDERS of them send
#             CHAT_MESSAGES world messages one at a time (the next GAP_MS
#             after the previous reached every member), over
#             - one: one gateway holding every member;
#             - two: two gateways, members split evenly (citadel-bench
#                    --also-port), each message crossing to the other
#                    gateway through the Redis stream;
#             - all: (optional) one `all` node without a fleet (run-fanout.sh's
#                    server).
#             Gateways share a fresh PostgreSQL (accounts) and Redis (chat
#             stream) per run. Time from a send until the last member has
#             it, and CPU per delivered message; two / one per round.
#
# Environment (defaults): PARTS="hop scaleout chat" ROUNDS=3
#   HOP_PLAYERS="1000 2000" HOP_PATHS="direct gateway" (add "all")
#   WINDOW=20 WARMUP=5 CONNECT_RATE=1000 P99_MS=60
#   SCALE_START=1500 SCALE_STEP=500 SCALE_MAX=4000 HOLD=20 SCALE_CONFIGS="all fleet"
#   CHAT_USERS=10000 CHAT_CONFIGS="one two" (add "all") CHAT_MESSAGES=100
#   CHAT_WARMUP=5 SENDERS=10 GAP_MS=10 CHAT_CONNECT_RATE=2000
#   STRACE=0 STRACE_S=5 NICE=0 (-20 on a shared machine, as root)
#   FLEET_LEASE_TTL_MS=2000 (fleet.lease_ttl_ms of every fleet node)
#   SERVER_CPU=0 GATEWAY_CPU=$SERVER_CPU GW2_CPU=$GATEWAY_CPU INFRA_CPU=$SERVER_CPU
#   BENCH_CPU=1 BENCH_THREADS=1 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   ALLOW_NON_RELEASE=0
# Output: a markdown report on stdout and in $RESULTS_DIR/fleet-<stamp>.md;
# one raw JSON line per run in $RESULTS_DIR/fleet-<stamp>.jsonl
# (summarize_fleet.py turns them into the tables).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-rooms.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-rooms.sh"
# shellcheck source=bench/lib-fleet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-fleet.sh"
# shellcheck source=bench/lib-postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-postgres.sh"
# shellcheck source=bench/lib-redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-redis.sh"
# shellcheck source=bench/lib-strace.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-strace.sh"

PARTS=${PARTS:-"hop scaleout chat"}
ROUNDS=${ROUNDS:-3}
HOP_PLAYERS=${HOP_PLAYERS:-"1000 2000"}
HOP_PATHS=${HOP_PATHS:-"direct gateway"}
WINDOW=${WINDOW:-20}
WARMUP=${WARMUP:-5}
CONNECT_RATE=${CONNECT_RATE:-1000}
P99_MS=${P99_MS:-60}
SCALE_START=${SCALE_START:-1500}
SCALE_STEP=${SCALE_STEP:-500}
SCALE_MAX=${SCALE_MAX:-4000}
SCALE_CONFIGS=${SCALE_CONFIGS:-"all fleet"}
HOLD=${HOLD:-20}
CHAT_USERS=${CHAT_USERS:-10000}
CHAT_CONFIGS=${CHAT_CONFIGS:-"one two"}
CHAT_MESSAGES=${CHAT_MESSAGES:-100}
CHAT_WARMUP=${CHAT_WARMUP:-5}
SENDERS=${SENDERS:-10}
GAP_MS=${GAP_MS:-10}
CHAT_CONNECT_RATE=${CHAT_CONNECT_RATE:-2000}
STRACE=${STRACE:-0}
STRACE_S=${STRACE_S:-5}
BENCH_THREADS=${BENCH_THREADS:-1}
GATEWAY_CPU=${GATEWAY_CPU:-$SERVER_CPU}
GW2_CPU=${GW2_CPU:-$GATEWAY_CPU}
INFRA_CPU=${INFRA_CPU:-$SERVER_CPU}
REDIS_CPU=$INFRA_CPU

for v in ROUNDS WINDOW CONNECT_RATE P99_MS SCALE_START SCALE_STEP SCALE_MAX HOLD CHAT_USERS \
  CHAT_MESSAGES SENDERS CHAT_CONNECT_RATE STRACE_S BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for v in WARMUP CHAT_WARMUP GAP_MS STRACE GATEWAY_CPU GW2_CPU INFRA_CPU; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
done
for n in $HOP_PLAYERS; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "HOP_PLAYERS: '$n' is not a number"; done
for p in $PARTS; do
  [[ $p == hop || $p == scaleout || $p == chat ]] || die "unknown part '$p' (hop, scaleout, chat)"
done
for p in $HOP_PATHS; do
  [[ $p == direct || $p == gateway || $p == all ]] || die "HOP_PATHS: unknown '$p' (direct, gateway, all)"
done
for c in $SCALE_CONFIGS; do
  [[ $c == all || $c == fleet ]] || die "SCALE_CONFIGS: unknown '$c' (all, fleet)"
done
for c in $CHAT_CONFIGS; do
  [[ $c == one || $c == two || $c == all ]] || die "CHAT_CONFIGS: unknown '$c' (one, two, all)"
done
for b in taskset timeout python3 curl etcd; do command -v "$b" >/dev/null || die "'$b' is required"; done
if [[ " $PARTS " == *" chat "* ]]; then
  for b in redis-server redis-cli; do command -v "$b" >/dev/null || die "'$b' is required (chat)"; done
fi
((STRACE == 0)) || command -v strace >/dev/null || die "STRACE=1 needs strace"
require_bin citadel
require_bin citadel-bench
require_release_build
# (Not piped into grep -q: with pipefail, grep's early exit can fail the pipe.)
[[ $("$BIN_DIR/citadel-bench" arena --help 2>&1 || true) == *--also-pid* ]] ||
  die "$BIN_DIR/citadel-bench has no --also-pid / --also-port: rebuild it"
most=$CHAT_USERS
for n in $HOP_PLAYERS $SCALE_MAX; do ((n > most)) && most=$n; done
need_room_fds "$most"

bench_init
mkdir -p "$RESULTS_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$RESULTS_DIR/fleet-$STAMP.jsonl
REPORT=$RESULTS_DIR/fleet-$STAMP.md
LOGS=$RESULTS_DIR/fleet-$STAMP-logs
: >"$RAW"
RUN_N=0
SUMMARIZE=(python3 "$BENCH_ROOT/bench/summarize_fleet.py")

# json_str S: S as a JSON string.
json_str() {
  python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"
}

# procs_json NAME:ROLE...: [{"name":..,"role":..},...] in --server-pid /
# --also-pid order.
procs_json() {
  local out="" item
  for item in "$@"; do out+="{\"name\":\"${item%%:*}\",\"role\":\"${item#*:}\"},"; done
  echo "[${out%,}]"
}

# start_topology KIND: fresh nodes on a new cluster prefix.
#   all      one `all` node (no fleet keys)
#   direct   one game node; clients on its own game port
#   gateway  one game node and one gateway in front of it
#   fleet    two game nodes and one gateway
# Sets ENTRY (the node clients connect to), PROCS (name:role of every process
# whose CPU counts, the entry first, etcd last) and GAME_NODES (nodes with rooms).
start_topology() {
  local kind=$1 cluster config games=() name
  RUN_N=$((RUN_N + 1))
  cluster=bench-$STAMP-$RUN_N
  mkdir -p "$BENCH_TMP/nodes"
  PROCS=()
  GAME_NODES=()
  case $kind in
    all)
      config=$BENCH_TMP/nodes/all-1.yaml
      write_node_config "$config" all all-1 "$cluster"
      sqlite_store_config "$config" all-1
      start_node all-1 "$SERVER_CPU" "$config" || return 1
      ENTRY=all-1
      PROCS=(all-1:all)
      GAME_NODES=(all-1)
      ;;
    direct | gateway | fleet)
      games=(game-1)
      [[ $kind == fleet ]] && games=(game-1 game-2)
      for name in "${games[@]}"; do
        config=$BENCH_TMP/nodes/$name.yaml
        write_node_config "$config" game "$name" "$cluster"
        sqlite_store_config "$config" "$name"
        start_node "$name" "$SERVER_CPU" "$config" || return 1
        GAME_NODES+=("$name")
      done
      if [[ $kind == direct ]]; then
        ENTRY=game-1
        PROCS=(game-1:game)
      else
        config=$BENCH_TMP/nodes/gw-1.yaml
        write_node_config "$config" gateway gw-1 "$cluster"
        sqlite_store_config "$config" gw-1
        start_node gw-1 "$GATEWAY_CPU" "$config" || return 1
        # One link per gateway I/O thread (1) per game node, welcomed.
        wait_node_metric gw-1 citadel_fleet_links_open "${#games[@]}" 15 || return 1
        ENTRY=gw-1
        PROCS=(gw-1:gateway)
        for name in "${games[@]}"; do PROCS+=("$name:game"); done
      fi
      ;;
  esac
  PROCS+=(etcd:etcd)
}

# pid_of NAME: a node's PID, or etcd's, Redis's, PostgreSQL's.
pid_of() {
  case $1 in
    etcd) echo "$ETCD_PID" ;;
    redis) echo "$REDIS_PID" ;;
    pg*) echo "${PG_PROCS[${1#pg}]}" ;;
    *) echo "${NODE_PID[$1]}" ;;
  esac
}

# pid_args: --server-pid for the first of PROCS, --also-pid for the rest.
pid_args() {
  local item first=1
  PID_ARGS=()
  for item in "${PROCS[@]}"; do
    if ((first)); then
      PID_ARGS+=(--server-pid "$(pid_of "${item%%:*}")")
      first=0
    else
      PID_ARGS+=(--also-pid "$(pid_of "${item%%:*}")")
    fi
  done
}

# record PART ROUND KEY VALUE OK ERROR EXTRA_FIELDS BENCH_JSON: one raw line.
record() {
  printf '{"part":"%s","round":%s,"%s":%s,"ok":%s,"error":%s,%s,"bench":%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "$(json_str "$6")" "$7" "${8:-null}" >>"$RAW"
}

# arena_fleet_run PART ROUND CONFIG PLAYERS DURATION: fresh nodes of the
# configuration's topology, one citadel-bench arena run against the entry
# node, nodes stopped. One raw line.
arena_fleet_run() {
  local part=$1 round=$2 config=$3 players=$4 duration=$5 err="" json="" limit started
  if ! start_topology "$config"; then
    record "$part" "$round" config "\"$config\"" false "nodes did not start" \
      "\"players\":$players" null
    keep_node_logs "$LOGS" "$part-r$round-$config-$players"
    stop_nodes
    return 0
  fi
  pid_args
  limit=$((duration + WARMUP + players / CONNECT_RATE + 120))
  fleet_sampler_start "$BENCH_TMP/samples" "$limit" "${GAME_NODES[@]}"
  started=$(date +%s.%N)
  if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
    "${PRIO[@]}" "$BIN_DIR/citadel-bench" arena --host 127.0.0.1 --port "${NODE_PORT[$ENTRY]}" \
    --players "$players" --duration "$duration" --warmup "$WARMUP" --connect-rate "$CONNECT_RATE" \
    --threads "$BENCH_THREADS" "${PID_ARGS[@]}" --quiet; then
    json=$(last_json_line "$BENCH_TMP/bench.out")
    [[ -n $json ]] || err="citadel-bench printed no JSON line"
  else
    err="citadel-bench arena failed (exit $?)"
  fi
  metrics_sampler_stop
  local name load
  for name in "${NODE_NAMES[@]}"; do
    node_alive "$name" || err=${err:-"$name exited during the run"}
  done
  load=$(node_load_json "${NODE_NAMES[@]}")
  stop_nodes
  record "$part" "$round" config "\"$config\"" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "\"players\":$players,\"procs\":$(procs_json "${PROCS[@]}"),\"p99_ms_bar\":$P99_MS,\"warmup_s\":$WARMUP,\"bench_started_at\":$started,\"metrics_samples\":$(samples_json "$BENCH_TMP/samples"),\"load\":$load" \
    "${json:-null}"
  if [[ -n $err ]]; then
    log "  FAILED: $err"
    keep_node_logs "$LOGS" "$part-r$round-$config-$players"
  elif [[ $json != *'"disconnects":0,'* || $json != *'"errors":0,'* ]]; then
    keep_node_logs "$LOGS" "$part-r$round-$config-$players"  # players dropped or refused: why is in the logs
  fi
}

# strace_run PLAYERS PATH: one hop run with strace -c on the Citadel nodes
# for STRACE_S s inside the window (outside the figures: strace slows them).
strace_run() {
  local players=$1 path=$2 err="" json="" wfile=$BENCH_TMP/window.txt bench_pid start fwd0="" fwd1=""
  start_topology "$path" || { stop_nodes; return 0; }
  pid_args
  rm -f "$wfile"
  timeout --kill-after=5 $((WINDOW + WARMUP + 120)) taskset -c "$BENCH_CPU" "${PRIO[@]}" \
    "$BIN_DIR/citadel-bench" arena --host 127.0.0.1 --port "${NODE_PORT[$ENTRY]}" \
    --players "$players" --duration "$WINDOW" --warmup "$WARMUP" --connect-rate "$CONNECT_RATE" \
    --threads "$BENCH_THREADS" "${PID_ARGS[@]}" --window-file "$wfile" --quiet \
    >"$BENCH_TMP/bench.out" 2>"$BENCH_TMP/bench.err" &
  bench_pid=$!
  BENCH_PIDS+=("$bench_pid")
  local deadline=$((SECONDS + 90))
  until [[ -s $wfile ]] || ((SECONDS >= deadline)) || ! kill -0 "$bench_pid" 2>/dev/null; do sleep 0.1; done
  if [[ -s $wfile ]]; then
    read -r start _ <"$wfile"
    sleep "$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { d = s + 1 - n; printf "%.3f", (d > 0 ? d : 0) }')"
    local pids=() item name
    for item in "${PROCS[@]}"; do
      name=${item%%:*}
      [[ $name == etcd ]] || pids+=("$(pid_of "$name")")
    done
    [[ $ENTRY == gw-1 ]] && fwd0=$(node_metric gw-1 citadel_fleet_forwarded_frames_total)
    strace_start "$BENCH_TMP/strace.txt" "${pids[@]}"
    sleep "$STRACE_S"
    strace_stop
    STRACE_TOTAL=$(strace_total "$BENCH_TMP/strace.txt")
    [[ $ENTRY == gw-1 ]] && fwd1=$(node_metric gw-1 citadel_fleet_forwarded_frames_total)
  else
    err="no measured window"
  fi
  wait "$bench_pid" || err=${err:-"citadel-bench arena failed"}
  forget_pid "$bench_pid"
  json=$(last_json_line "$BENCH_TMP/bench.out")
  stop_nodes
  local forwarded=null
  [[ -n $fwd0 && -n $fwd1 ]] && forwarded=$((fwd1 - fwd0))
  record strace 0 path "\"$path\"" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "\"players\":$players,\"strace_s\":$STRACE_S,\"syscalls\":${STRACE_TOTAL:-null},\"forwarded_frames\":$forwarded,\"top\":$(json_str "$(strace_top "$BENCH_TMP/strace.txt" 8)")" \
    "${json:-null}"
}

# chat_run ROUND CONFIG: fresh PostgreSQL, Redis and gateways (or one `all`
# node), one citadel-bench chat run, all stopped. One raw line.
chat_run() {
  local round=$1 config=$2 err="" json="" cluster gws=() name file url also=() limit
  RUN_N=$((RUN_N + 1))
  cluster=bench-$STAMP-$RUN_N
  PROCS=()
  if [[ $config == all ]]; then
    file=$BENCH_TMP/nodes/all-1.yaml
    mkdir -p "$BENCH_TMP/nodes"
    write_node_config "$file" all all-1 "$cluster"
    sqlite_store_config "$file" all-1
    chat_limits_config "$file"
    if ! start_node all-1 "$SERVER_CPU" "$file"; then
      record chat "$round" config "\"$config\"" false "node did not start" "\"users\":$CHAT_USERS" null
      stop_nodes
      return 0
    fi
    gws=(all-1)
    PROCS=(all-1:all etcd:etcd)
  else
    gws=(gw-1)
    [[ $config == two ]] && gws=(gw-1 gw-2)
    if ! start_postgres "$INFRA_CPU" || ! start_redis; then
      record chat "$round" config "\"$config\"" false "postgres or redis did not start" "\"users\":$CHAT_USERS" null
      stop_postgres
      [[ -n ${REDIS_PID:-} ]] && stop_server "$REDIS_PID"
      return 0
    fi
    url=$(pg_url)
    local cpu=$GATEWAY_CPU
    for name in "${gws[@]}"; do
      file=$BENCH_TMP/nodes/$name.yaml
      mkdir -p "$BENCH_TMP/nodes"
      write_node_config "$file" gateway "$name" "$cluster"
      cat >>"$file" <<EOF
store:
  backend: postgres
  postgres:
    url: $url
redis:
  url: redis://127.0.0.1:$REDIS_PORT/0
EOF
      chat_limits_config "$file"
      if ! start_node "$name" "$cpu" "$file"; then
        err="$name did not start"
        break
      fi
      cpu=$GW2_CPU
    done
    # Each gateway sees the others in its table (and so reads the chat
    # stream from before anyone logs in).
    for name in "${gws[@]}"; do
      [[ -n $err ]] && break
      wait_sees_nodes "$name" "${#gws[@]}" 15 || err="$name did not see every gateway"
    done
    for name in "${gws[@]}"; do PROCS+=("$name:gateway"); done
    PROCS+=(redis:redis)
    # PostgreSQL's CPU is its backends' (a process each): those open once
    # the gateways are up (their pools), and the postmaster.
    mapfile -t PG_PROCS < <(
      echo "$PG_PID"
      pgrep -P "$PG_PID" || true
    )
    local i
    for i in "${!PG_PROCS[@]}"; do PROCS+=("pg$i:postgres"); done
    PROCS+=(etcd:etcd)
  fi
  if [[ -z $err ]]; then
    for name in "${gws[@]:1}"; do also+=(--also-port "${NODE_PORT[$name]}"); done
    pid_args
    local messages=$((CHAT_MESSAGES + CHAT_WARMUP))
    limit=$((120 + CHAT_USERS / CHAT_CONNECT_RATE + messages * 12))
    if run_pinned "$BENCH_TMP/bench.out" "$BENCH_TMP/bench.err" "$limit" \
      "${PRIO[@]}" "$BIN_DIR/citadel-bench" chat --host 127.0.0.1 --port "${NODE_PORT[${gws[0]}]}" \
      "${also[@]}" --connections "$CHAT_USERS" --connect-rate "$CHAT_CONNECT_RATE" \
      --senders "$SENDERS" --rate 0 --messages "$messages" --warmup-messages "$CHAT_WARMUP" \
      --gap-ms "$GAP_MS" --drain-timeout 10 --threads "$BENCH_THREADS" "${PID_ARGS[@]}" --quiet; then
      json=$(last_json_line "$BENCH_TMP/bench.out")
      [[ -n $json ]] || err="citadel-bench printed no JSON line"
    else
      err="citadel-bench chat failed (exit $?)"
    fi
    for name in "${gws[@]}"; do node_alive "$name" || err=${err:-"$name exited during the run"}; done
  fi
  local relay="{}" load="{}"
  [[ $config == two && -z $err ]] && relay=$(chat_relay_json "${gws[@]}")
  [[ ${#NODE_NAMES[@]} -gt 0 ]] && load=$(node_load_json "${NODE_NAMES[@]}")
  stop_nodes
  if [[ $config != all ]]; then
    stop_postgres
    stop_server "$REDIS_PID"
    REDIS_PID=""
  fi
  record chat "$round" config "\"$config\"" "$([[ -z $err ]] && echo true || echo false)" "$err" \
    "\"users\":$CHAT_USERS,\"gateways\":${#gws[@]},\"procs\":$(procs_json "${PROCS[@]}"),\"relay\":$relay,\"load\":$load" \
    "${json:-null}"
  [[ -z $err ]] || { log "  FAILED: $err"; keep_node_logs "$LOGS" "chat-r$round-$config"; }
}

# chat_limits_config FILE: lifts the per-user chat rate (the senders send
# far more than 5/s) and leaves the rest at its defaults.
chat_limits_config() {
  cat >>"$1" <<EOF
chat:
  messages_per_second: 100000
  message_burst: 100000
EOF
}

# chat_relay_json NAME...: each gateway's fleet chat counters (published,
# received, delivered) after the run.
chat_relay_json() {
  local name out=""
  for name in "$@"; do
    out+="\"$name\":{\"published\":$(node_metric "$name" citadel_fleet_chat_published_total),\"received\":$(node_metric "$name" citadel_fleet_chat_received_total),\"delivered\":$(node_metric "$name" citadel_fleet_chat_delivered_total)},"
  done
  echo "{${out%,}}"
}

# rotate N WORDS...: the words rotated left by N (the order of a round).
rotate() {
  local n=$1
  shift
  local words=("$@") count=$#
  local i
  for ((i = 0; i < count; i++)); do printf '%s ' "${words[$(((i + n) % count))]}"; done
}

log "fleet benchmark: parts '$PARTS', load average $(cut -d' ' -f1 /proc/loadavg)"
start_etcd "$INFRA_CPU" || die "etcd did not start"
log "etcd on $ETCD_URL (data in ${ETCD_DATA_ROOT:-$BENCH_TMP})"

if [[ " $PARTS " == *" hop "* ]]; then
  read -ra paths <<<"$HOP_PATHS"
  for ((round = 1; round <= ROUNDS; round++)); do
    for players in $HOP_PLAYERS; do
      for path in $(rotate $((round - 1)) "${paths[@]}"); do
        log "hop round $round/$ROUNDS: $players players, $path"
        arena_fleet_run hop "$round" "$path" "$players" "$WINDOW"
        log "  $("${SUMMARIZE[@]}" brief "$(tail -n 1 "$RAW")")"
      done
    done
  done
  if ((STRACE)); then
    for players in $HOP_PLAYERS; do
      for path in "${paths[@]}"; do
        log "hop strace: $players players, $path, strace -c for ${STRACE_S}s inside the window"
        strace_run "$players" "$path"
        STRACE_TOTAL=""
      done
    done
  fi
fi

if [[ " $PARTS " == *" scaleout "* ]]; then
  read -ra configs <<<"$SCALE_CONFIGS"
  declare -A failed=()
  step=0
  for ((n = SCALE_START; n <= SCALE_MAX; n += SCALE_STEP)); do
    left=0
    for c in $(rotate "$step" "${configs[@]}"); do
      [[ -n ${failed[$c]:-} ]] && continue
      left=1
      log "scale-out: $n players, $c"
      arena_fleet_run scaleout "$step" "$c" "$n" "$HOLD"
      line=$(tail -n 1 "$RAW")
      if "${SUMMARIZE[@]}" verdict "$line"; then
        log "  PASS $("${SUMMARIZE[@]}" brief "$line")"
      else
        log "  FAIL $("${SUMMARIZE[@]}" brief "$line")"
        failed[$c]=1
      fi
    done
    ((left)) || break
    step=$((step + 1))
  done
fi

if [[ " $PARTS " == *" chat "* ]]; then
  read -ra configs <<<"$CHAT_CONFIGS"
  [[ " $CHAT_CONFIGS " == *" one "* || " $CHAT_CONFIGS " == *" two "* ]] && pg_init
  for ((round = 1; round <= ROUNDS; round++)); do
    for c in $(rotate $((round - 1)) "${configs[@]}"); do
      log "chat round $round/$ROUNDS: $CHAT_USERS members, $c"
      chat_run "$round" "$c"
      log "  $("${SUMMARIZE[@]}" brief "$(tail -n 1 "$RAW")")"
    done
  done
fi

stop_etcd
{
  echo "# Fleet benchmark (issue 18), $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- every Citadel node: citadel --threads 1, rooms on the I/O loop; nodes on CPU $SERVER_CPU (gateway $GATEWAY_CPU, second gateway $GW2_CPU), etcd/Redis/PostgreSQL on CPU $INFRA_CPU, citadel-bench --threads $BENCH_THREADS on CPU $BENCH_CPU; nice $NICE"
  echo "- arena: players join at $CONNECT_RATE/s, inputs at 20 Hz, warm-up ${WARMUP}s, hop window ${WINDOW}s, scale-out hold ${HOLD}s; chat: $CHAT_USERS members, $CHAT_MESSAGES messages (+$CHAT_WARMUP warm-up) from $SENDERS senders, ${GAP_MS} ms apart"
  echo "- etcd data in ${ETCD_DATA_ROOT:-the scratch directory}; raw: $(basename "$RAW")"
  echo
  "${SUMMARIZE[@]}" report "$RAW"
} | tee "$REPORT"
log "report written to $REPORT"
