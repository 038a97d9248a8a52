# shellcheck shell=bash disable=SC2034  # variables here are read by the sourcing scripts
# Helpers for the fleet benchmarks (run-fleet.sh): etcd on loopback and
# Citadel nodes in a role (all, gateway, game). Source it after lib.sh and
# lib-rooms.sh (PRIO, room_metrics); do not run it. Like lib.sh, everything
# talks to 127.0.0.1 and stops only the processes the calling script started,
# by PID.
#
# etcd is Debian's etcd-server binary, one member on free loopback ports, as
# tests/support/etcd starts it (10 ms heartbeat, 100 ms election). Its data
# goes to /dev/shm when that is a writable tmpfs (ETCD_DATA_ROOT), so the
# session records every login writes cost no disk flush: the benchmarks
# measure Citadel, not the VM's disk.

ETCD_DATA_ROOT=${ETCD_DATA_ROOT:-$([[ -d /dev/shm && -w /dev/shm ]] && echo /dev/shm || echo "")}
ETCD_PID=""
ETCD_URL=""
ETCD_DIR=""
FLEET_SECRET=""

NODE_NAMES=()           # every node started, in start order
declare -A NODE_PID=()  # name -> pid
declare -A NODE_PORT=() # name -> game port
declare -A NODE_ADMIN=() # name -> admin port

# free_ports N: N free TCP ports on 127.0.0.1, bound at once so they differ,
# drawn below the ephemeral range: citadel-bench binds its thousands of
# client sockets to ports of that range (source_ports.h), whose TIME_WAIT
# leftovers once took a node's admin port ("Address already in use").
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
socks = []
while len(socks) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(max(1024, low - 12000), low)))
        socks.append(s)
    except OSError:
        s.close()
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start_etcd CPU: one etcd member on free loopback ports, pinned to CPU (with
# the benchmark's PRIO, so a loaded CPU does not starve the leases); sets
# ETCD_PID, ETCD_URL. Returns 1 if /health does not answer within 15 s.
start_etcd() {
  local cpu=$1 client peer
  read -r client peer <<<"$(free_ports 2)"
  ETCD_DIR=$(mktemp -d "${ETCD_DATA_ROOT:-$BENCH_TMP}/citadel-bench-etcd.XXXXXX")
  taskset -c "$cpu" "${PRIO[@]}" etcd --name bench --data-dir "$ETCD_DIR/data" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --initial-cluster-state new \
    --heartbeat-interval 10 --election-timeout 100 \
    --logger zap --log-outputs stderr --log-level warn >"$BENCH_TMP/etcd.log" 2>&1 </dev/null &
  ETCD_PID=$!
  BENCH_PIDS+=("$ETCD_PID")
  ETCD_URL="http://127.0.0.1:$client"
  local deadline=$((SECONDS + 15))
  until curl -s -m 1 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'; do
    if ! kill -0 "$ETCD_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      log "etcd did not become healthy; last lines of its log:"
      tail -n 20 "$BENCH_TMP/etcd.log" >&2 || true
      stop_etcd
      return 1
    fi
    sleep 0.1
  done
}

stop_etcd() {
  [[ -n $ETCD_PID ]] && stop_server "$ETCD_PID"
  ETCD_PID=""
  [[ -n $ETCD_DIR ]] && rm -rf "$ETCD_DIR"
  ETCD_DIR=""
}

# write_node_config FILE ROLE ID CLUSTER: the rooms benchmarks' config (no
# per-IP cap, no login deadline or idle timeout, batched sends, rooms on the
# I/O loop) with the node's own SQLite and recovery files in the scratch
# directory, the shared token secret, and, unless ROLE is all, the fleet keys.
# The caller appends what else it needs (store.backend, redis, chat limits).
write_node_config() {
  local file=$1 role=$2 id=$3 cluster=$4
  [[ -n $FLEET_SECRET ]] || {
    FLEET_SECRET=$BENCH_TMP/fleet.secret
    (umask 077 && head -c 32 /dev/urandom >"$FLEET_SECRET")
  }
  write_citadel_config "$file" 0
  cat >>"$file" <<EOF
server:
  batched_sends: true
  wake_coalesce_us: ${WAKE_COALESCE_US:-0}
rooms:
  executor_threads: $EXECUTOR_THREADS
auth:
  token_secret_file: $FLEET_SECRET
recovery:
  path: $BENCH_TMP/nodes/$id-recovery.db
EOF
  [[ $role == all ]] && return 0
  cat >>"$file" <<EOF
fleet:
  etcd: $ETCD_URL
  cluster: $cluster
  node_id: $id
  role: $role
  link_port: 0
  advertise_host: 127.0.0.1
  lease_ttl_ms: ${FLEET_LEASE_TTL_MS:-2000}
EOF
}

# sqlite_store_config FILE ID: the node's own empty SQLite accounts file.
sqlite_store_config() {
  cat >>"$1" <<EOF
store:
  path: $BENCH_TMP/nodes/$2.db
EOF
}

# start_node NAME CPU CONFIG: citadel --threads 1 pinned to CPU (PRIO), on a
# free game port and admin port; records NODE_PID/NODE_PORT/NODE_ADMIN[NAME].
# Returns 1 if the node exits or does not listen within 15 s.
start_node() {
  local name=$1 cpu=$2 config=$3 admin pid port="" portfile
  mkdir -p "$BENCH_TMP/nodes"
  rm -f "$BENCH_TMP/nodes/$name".db* "$BENCH_TMP/nodes/$name"-recovery.db*
  portfile=$BENCH_TMP/nodes/$name.port
  rm -f "$portfile"
  admin=$(free_ports 1)
  taskset -c "$cpu" "${PRIO[@]}" "$BIN_DIR/citadel" --host 127.0.0.1 --port 0 --threads 1 \
    --log-level "${NODE_LOG_LEVEL:-info}" --admin-port "$admin" --config "$config" \
    --port-file "$portfile" >"$BENCH_TMP/nodes/$name.log" 2>&1 </dev/null &
  pid=$!
  BENCH_PIDS+=("$pid")
  local deadline=$((SECONDS + 15))
  while :; do
    [[ -s $portfile ]] && port=$(grep -m1 -o '^[0-9]\+$' "$portfile" || true)
    [[ -n $port ]] && break
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      log "$name did not start listening; last lines of its log:"
      tail -n 20 "$BENCH_TMP/nodes/$name.log" >&2 || true
      stop_server "$pid"
      return 1
    fi
    sleep 0.05
  done
  NODE_NAMES+=("$name")
  NODE_PID[$name]=$pid
  NODE_PORT[$name]=$port
  NODE_ADMIN[$name]=$admin
}

# node_metric NAME METRIC: the metric's value (integer part) from the node's
# /metrics, or empty.
node_metric() {
  curl -s -m 2 "http://127.0.0.1:${NODE_ADMIN[$1]}/metrics" 2>/dev/null |
    awk -v n="$2" '$1 == n { printf "%d", $2 }'
}

# wait_node_metric NAME METRIC VALUE SECONDS: until the metric reads VALUE.
wait_node_metric() {
  local deadline=$((SECONDS + $4))
  until [[ $(node_metric "$1" "$2") == "$3" ]]; do
    if ! kill -0 "${NODE_PID[$1]}" 2>/dev/null || ((SECONDS >= deadline)); then
      log "$1: $2 is '$(node_metric "$1" "$2")', not $3, after $4 s; last lines of its log:"
      tail -n 20 "$BENCH_TMP/nodes/$1.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# wait_sees_nodes NAME N SECONDS: until the node's GET /fleet/nodes lists N
# nodes (a node registered a moment ago reaches the others by a watch event).
wait_sees_nodes() {
  local deadline=$((SECONDS + $3)) seen
  while :; do
    seen=$(curl -s -m 2 "http://127.0.0.1:${NODE_ADMIN[$1]}/fleet/nodes" 2>/dev/null | grep -o '"id":"' | wc -l)
    ((seen == $2)) && return 0
    if ! kill -0 "${NODE_PID[$1]}" 2>/dev/null || ((SECONDS >= deadline)); then
      log "$1 lists $seen nodes, not $2, after $3 s; last lines of its log:"
      tail -n 20 "$BENCH_TMP/nodes/$1.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# node_alive NAME: true while the node's process runs (not a zombie).
node_alive() {
  local pid=${NODE_PID[$1]}
  kill -0 "$pid" 2>/dev/null && [[ $(proc_state "$pid") != Z ]]
}

# stop_nodes: every node started, gateways first (SIGTERM, bounded drain).
stop_nodes() {
  local name pid
  for name in "${NODE_NAMES[@]}"; do kill -TERM "${NODE_PID[$name]}" 2>/dev/null || true; done
  for name in "${NODE_NAMES[@]}"; do
    pid=${NODE_PID[$name]}
    stop_server "$pid"
  done
  NODE_NAMES=()
  NODE_PID=()
  NODE_PORT=()
  NODE_ADMIN=()
}

# keep_node_logs DIR TAG: copies the nodes' logs and the bench's output of a
# failed run.
keep_node_logs() {
  mkdir -p "$1"
  local f
  for f in "$BENCH_TMP"/nodes/*.log "$BENCH_TMP/bench.err" "$BENCH_TMP/bench.out" "$BENCH_TMP/etcd.log"; do
    [[ -f $f ]] && cp "$f" "$1/$2.$(basename "$f")"
  done
  log "logs kept in $1"
}

# fleet_room_metrics NAME...: room_metrics (lib-rooms.sh) summed over the
# nodes' /metrics, as one JSON object, or null.
fleet_room_metrics() {
  local urls=() name
  for name in "$@"; do urls+=("http://127.0.0.1:${NODE_ADMIN[$name]}/metrics"); done
  curl -s --max-time 5 "${urls[@]}" 2>/dev/null | awk '
    $1 == "citadel_room_ticks_total" { t += $2; seen = 1 }
    $1 == "citadel_room_ticks_skipped_total" { s += $2 }
    $1 == "citadel_room_tick_overruns_total" { o += $2 }
    $1 == "citadel_room_inputs_dropped_total" { d += $2 }
    $1 == "citadel_rooms_open" { r += $2 }
    END {
      if (!seen) { print "null"; exit }
      printf "{\"ticks\":%d,\"skipped\":%d,\"overruns\":%d,\"dropped\":%d,\"rooms\":%d}\n", t, s, o, d, r
    }'
}

# fleet_sampler_start FILE SECONDS NAME...: fleet_room_metrics of the nodes
# every second into FILE ("<unix time> <json>"), in the background, for at
# most SECONDS; sets SAMPLER_PID (stopped by metrics_sampler_stop).
fleet_sampler_start() {
  local file=$1 limit=$2
  shift 2
  : >"$file"
  (
    end=$((SECONDS + limit))
    while ((SECONDS < end)); do
      echo "$(date +%s.%N) $(fleet_room_metrics "$@")" >>"$file"
      sleep 1
    done
  ) &
  SAMPLER_PID=$!
  BENCH_PIDS+=("$SAMPLER_PID")
}

# node_load_json NAME...: per node {"name":{"rooms":R,"room_players":P,
# "remote_players":Q,"connections":C,"lease_losses":L}} from their /metrics
# (what each game node holds, to show how placement split the players; and
# how often a node lost its etcd membership during the run).
node_load_json() {
  local name out="" body
  for name in "$@"; do
    body=$(curl -s -m 2 "http://127.0.0.1:${NODE_ADMIN[$name]}/metrics" 2>/dev/null || true)
    out+=$(awk -v n="$name" '
      $1 == "citadel_rooms_open" { r = $2 }
      $1 == "citadel_room_players" { p = $2 }
      $1 == "citadel_fleet_remote_players" { q = $2 }
      $1 == "citadel_connections_active" { c = $2 }
      $1 == "citadel_fleet_lease_losses_total" { l = $2 }
      END { printf "\"%s\":{\"rooms\":%d,\"room_players\":%d,\"remote_players\":%d,\"connections\":%d,\"lease_losses\":%d},", n, r, p, q, c, l }' <<<"$body")
  done
  echo "{${out%,}}"
}
