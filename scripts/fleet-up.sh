#!/usr/bin/env bash
# A Citadel fleet on loopback, for a developer (docs/operations.md, "Running a
# fleet"): etcd, Redis and PostgreSQL (Debian's binaries, data in the fleet's
# directory), then 2 game nodes and 2 gateways (build/bin/citadel, each with
# its own config, admin port and log), waiting until every node is healthy and
# every gateway has its links to every game node.
#
#   scripts/fleet-up.sh [up]      start the fleet, print a table of its nodes
#   scripts/fleet-up.sh status    what runs, by the PIDs recorded at `up`
#   scripts/fleet-up.sh stop      stop exactly what `up` started, by those PIDs
#
# Environment:
#   CITADEL_FLEET_DIR      where everything lives (default /tmp/citadel-fleet):
#                          configs, logs, data, pids/, the token secret
#   CITADEL_FLEET_THREADS  I/O threads per node (default 2); a gateway opens
#                          one link per thread to every game node
#   CITADEL_FLEET_PORT_BASE  fixed ports from this one on (etcd client, etcd
#                          peer, Redis, PostgreSQL, then per node game, admin);
#                          unset: free loopback ports, picked at start
#   CITADEL_FLEET_TIMEOUT  seconds to wait for each step (default 60)
#   CITADEL_BIN_DIR        the binaries (default build/bin)
#
# It installs nothing: etcd-server, redis-server and postgresql-15 come from
# scripts/install-deps.sh. It builds only when build/bin/citadel or
# citadel-cli is missing (scripts/build.sh release, without the TypeScript
# SDK). As root, PostgreSQL (which refuses root) runs as `nobody`. Every
# process is started in its own session, stdin from /dev/null, output to its
# log; `stop` signals only the PIDs recorded in pids/, and only while
# /proc/PID/exe is still the binary that was started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${CITADEL_FLEET_DIR:-/tmp/citadel-fleet}
# Absolute: every node runs in a directory of its own.
dir=$(realpath -m -- "$dir")
threads=${CITADEL_FLEET_THREADS:-2}
timeout=${CITADEL_FLEET_TIMEOUT:-60}
bin=${CITADEL_BIN_DIR:-$root/build/bin}
port_base=${CITADEL_FLEET_PORT_BASE:-}
cluster=citadel-dev
game_nodes=(game-1 game-2)
gateways=(gw-1 gw-2)
# Stopped in this order: clients of a service before the service.
stop_order=(gw-1 gw-2 game-1 game-2 redis postgres etcd)

die() {
  echo "fleet-up: $*" >&2
  exit 1
}
say() { echo "fleet-up: $*"; }

pidfile() { echo "$dir/pids/$1.pid"; }

# The PID recorded for a name, if that process still runs the binary it was
# started as (a PID reused by another program is not ours: never signalled).
live_pid() {
  local f pid exe want
  f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  read -r pid want <"$f" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  # A binary rebuilt (or upgraded) while it runs reads "PATH (deleted)".
  [[ $exe == "$want" || $exe == "$want (deleted)" ]] || return 1
  # A zombie (exited, not yet reaped by whoever adopted it) is gone.
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  echo "$pid"
}

any_running() {
  local n
  for n in "${stop_order[@]}"; do
    live_pid "$n" >/dev/null && return 0
  done
  return 1
}

# Starts "$@" in a session of its own (so a Ctrl-C in the shell that ran
# `up` does not reach it), stdin /dev/null, stdout and stderr to $log, and
# records its PID with the binary's resolved path. setsid execs (a background
# job of a script is not a process group leader), so $! is the daemon's PID;
# so does setpriv.
spawn() {
  local name=$1 log=$2 cwd=$3
  shift 3
  local exe
  exe=$(readlink -f "$(command -v "$1")")
  (cd "$cwd" && exec setsid "$@" </dev/null >>"$log" 2>&1) &
  echo "$! $exe" >"$(pidfile "$name")"
}

# Runs a command as `nobody` when we are root (PostgreSQL refuses root).
as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}

wait_for() { # what log seconds command...
  local what=$1 log=$2 limit=$3 name=$4
  shift 4
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [[ -n $name ]] && ! live_pid "$name" >/dev/null; then
      echo "fleet-up: $what: the process exited; its log, $log, ends with:" >&2
      tail -n 20 "$log" >&2 || true
      fail_and_stop
    fi
    if ((SECONDS >= deadline)); then
      echo "fleet-up: $what: not within ${limit} s; read $log (last lines below)" >&2
      tail -n 20 "$log" >&2 || true
      fail_and_stop
    fi
    sleep 0.2
  done
}

fail_and_stop() {
  echo "fleet-up: stopping what was started (scripts/fleet-up.sh stop); logs stay in $dir" >&2
  do_stop >&2 || true
  exit 1
}

# N free TCP ports on 127.0.0.1, all bound at once so they differ.
# N ports free now, below the kernel's ephemeral range: ports are picked
# before the processes that bind them start, and one picked inside that
# range could meanwhile become the local port of some outgoing connection
# (a node started earlier talking to etcd), failing that bind.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_low = int(f.read().split()[0])
except OSError:
    ephemeral_low = 32768
low, high = 10000, max(10001, min(ephemeral_low, 65536))
socks, seen = [], set()
while len(socks) < int(sys.argv[1]):
    port = random.randrange(low, high)
    if port in seen:
        continue
    seen.add(port)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }
healthy() { [[ $(http_code "http://127.0.0.1:$1/health") == 200 ]]; }
etcd_healthy() { curl -s -m 2 "http://127.0.0.1:$1/health" | grep -q '"health":"true"'; }
redis_ready() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }
pg_ready() { "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$1" -U citadel -d postgres; }
metric() { # admin_port name -> value (integer part), or empty
  curl -s -m 2 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { printf "%d", $2 }'
}
links_up() { [[ $(metric "$1" citadel_fleet_links_open) == "$2" ]]; }
# How many nodes a node's table holds (GET /fleet/nodes: one "id" per node).
sees_nodes() { [[ $(curl -s -m 2 "http://127.0.0.1:$1/fleet/nodes" | grep -o '"id":"' | wc -l) == "$2" ]]; }

find_pgbin() {
  local d
  if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then
    echo /usr/lib/postgresql/15/bin
    return
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/postgres ]] && echo "$d" && return
  done
  return 1
}

need() { # tool package
  command -v "$1" >/dev/null || die "$1 not found: install $2 (scripts/install-deps.sh installs it)"
}

node_config() { # id role game_port admin_port
  local id=$1 role=$2 nodedir=$dir/nodes/$1
  cat <<YAML
# $id: a ${role} node of the loopback fleet made by scripts/fleet-up.sh
server:
  host: 127.0.0.1
  port: $3
  threads: $threads
admin:
  host: 127.0.0.1
  port: $4
limits:
  max_connections_per_ip: 0
shutdown:
  drain_timeout_ms: 2000
fleet:
  etcd: http://127.0.0.1:$etcd_port
  cluster: $cluster
  node_id: $id
  role: $role
  link_port: 0
  advertise_host: 127.0.0.1
auth:
  token_secret_file: $dir/token.secret
redis:
  url: redis://127.0.0.1:$redis_port/0
crash:
  directory: $nodedir/crashes
recovery:
  path: $nodedir/recovery.db
YAML
  if [[ $role == gateway ]]; then
    cat <<YAML
store:
  backend: postgres
  postgres:
    url: postgresql://citadel@127.0.0.1:$pg_port/citadel
YAML
  else
    cat <<YAML
store:
  path: $nodedir/citadel.db
YAML
  fi
}

do_up() {
  if any_running; then
    echo "fleet-up: a fleet is already running from $dir:" >&2
    do_status >&2
    echo "fleet-up: stop it first (scripts/fleet-up.sh stop), or set CITADEL_FLEET_DIR" >&2
    exit 1
  fi
  need etcd etcd-server
  need redis-server redis-server
  need redis-cli redis-server
  need curl curl
  need python3 python3
  need setsid util-linux
  need setpriv util-linux
  pgbin=$(find_pgbin) || die "PostgreSQL's binaries not found under /usr/lib/postgresql/*/bin: install postgresql-15 (scripts/install-deps.sh installs it)"

  if [[ ! -x $bin/citadel || ! -x $bin/citadel-cli ]]; then
    [[ -z ${CITADEL_BIN_DIR:-} ]] || die "$bin/citadel or citadel-cli missing (CITADEL_BIN_DIR=$bin)"
    say "$bin/citadel or citadel-cli missing: building them (scripts/build.sh release)"
    (cd "$root" && CITADEL_SKIP_TS_SDK=1 CITADEL_BUILD_TARGET="citadel citadel-cli" scripts/build.sh release)
  fi

  # A fresh directory: data of a previous run (stopped) is not reused. Only
  # a directory this script made (it holds .citadel-fleet) is emptied.
  if [[ -e $dir && -n $(ls -A "$dir" 2>/dev/null) && ! -f $dir/.citadel-fleet ]]; then
    die "$dir exists and was not made by fleet-up.sh: set CITADEL_FLEET_DIR to another directory"
  fi
  if [[ -f $dir/.citadel-fleet ]]; then rm -rf "${dir:?}"/*; fi
  mkdir -p "$dir/pids" "$dir/logs" "$dir/nodes" "$dir/etcd" "$dir/redis"
  touch "$dir/.citadel-fleet"
  # PostgreSQL runs as nobody when we are root: it must reach its directory.
  chmod 755 "$dir"
  if [[ $(id -u) -eq 0 ]] && ! as_user test -x "$dir"; then
    die "PostgreSQL runs as nobody, who cannot reach $dir (a parent directory is closed to it): set CITADEL_FLEET_DIR elsewhere, e.g. under /tmp"
  fi
  # Interrupted half-way (Ctrl-C): stop what was started so far.
  trap 'echo "fleet-up: interrupted" >&2; fail_and_stop' INT TERM

  local n=$((4 + 2 * (${#game_nodes[@]} + ${#gateways[@]})))
  local ports
  if [[ -n $port_base ]]; then
    if ! [[ $port_base =~ ^[0-9]+$ ]] || ((port_base < 1 || port_base + n > 65536)); then
      die "CITADEL_FLEET_PORT_BASE=$port_base: expected a port with $n more above it"
    fi
    read -ra ports <<<"$(seq -s ' ' "$port_base" $((port_base + n - 1)))"
  else
    read -ra ports <<<"$(free_ports "$n")"
  fi
  etcd_port=${ports[0]} etcd_peer=${ports[1]} redis_port=${ports[2]} pg_port=${ports[3]}

  # The token secret every node shares: 32 random bytes.
  (umask 077 && head -c 32 /dev/urandom >"$dir/token.secret")

  # etcd: one member, data in $dir/etcd.
  say "starting etcd on 127.0.0.1:$etcd_port"
  spawn etcd "$dir/logs/etcd.log" "$dir/etcd" etcd --name citadel-dev \
    --data-dir "$dir/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "citadel-dev=http://127.0.0.1:$etcd_peer" \
    --initial-cluster-state new --logger zap --log-outputs stderr --log-level warn

  # Redis: no persistence (a dev fleet), its dir in $dir/redis.
  say "starting Redis on 127.0.0.1:$redis_port"
  spawn redis "$dir/logs/redis.log" "$dir/redis" redis-server --port "$redis_port" \
    --bind 127.0.0.1 --dir "$dir/redis" --save '' --appendonly no --daemonize no \
    --protected-mode no --logfile ''

  # PostgreSQL: a cluster of its own in $dir/postgres, owned by `nobody` when
  # we are root, trust on loopback, its socket in its own dir.
  say "starting PostgreSQL on 127.0.0.1:$pg_port"
  mkdir -p "$dir/postgres"
  touch "$dir/logs/postgres.log"
  if [[ $(id -u) -eq 0 ]]; then chown nobody:nogroup "$dir/postgres" "$dir/logs/postgres.log"; fi
  (cd "$dir/postgres" && as_user "$pgbin/initdb" -D "$dir/postgres/data" -U citadel \
    --auth=trust --encoding=UTF8 --no-locale --no-sync >"$dir/logs/initdb.log" 2>&1) ||
    {
      tail -n 20 "$dir/logs/initdb.log" >&2
      die "initdb failed: read $dir/logs/initdb.log"
    }
  if [[ $(id -u) -eq 0 ]]; then
    spawn postgres "$dir/logs/postgres.log" "$dir/postgres" setpriv --reuid=nobody \
      --regid=nogroup --clear-groups -- "$pgbin/postgres" -D "$dir/postgres/data" -p "$pg_port" \
      -c listen_addresses=127.0.0.1 -c "unix_socket_directories=$dir/postgres" \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off
    # setpriv execs postgres: the PID is postgres's; record its binary.
    echo "$(awk '{print $1}' "$(pidfile postgres)") $(readlink -f "$pgbin/postgres")" >"$(pidfile postgres)"
  else
    spawn postgres "$dir/logs/postgres.log" "$dir/postgres" "$pgbin/postgres" \
      -D "$dir/postgres/data" -p "$pg_port" -c listen_addresses=127.0.0.1 \
      -c "unix_socket_directories=$dir/postgres" \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off
  fi

  wait_for "etcd to answer /health" "$dir/logs/etcd.log" "$timeout" etcd etcd_healthy "$etcd_port"
  wait_for "Redis to answer PING" "$dir/logs/redis.log" "$timeout" redis redis_ready "$redis_port"
  wait_for "PostgreSQL to accept connections" "$dir/logs/postgres.log" "$timeout" postgres \
    pg_ready "$pg_port"
  "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U citadel citadel >>"$dir/logs/postgres.log" 2>&1 ||
    {
      echo "fleet-up: createdb citadel failed: read $dir/logs/postgres.log" >&2
      fail_and_stop
    }

  # The nodes: game nodes first, so gateways find them in the table at once.
  local i=4 id role
  : >"$dir/nodes.tsv"
  for id in "${game_nodes[@]}" "${gateways[@]}"; do
    role=gateway
    [[ " ${game_nodes[*]} " == *" $id "* ]] && role=game
    local game_port=${ports[$i]} admin_port=${ports[$((i + 1))]}
    i=$((i + 2))
    mkdir -p "$dir/nodes/$id"
    node_config "$id" "$role" "$game_port" "$admin_port" >"$dir/nodes/$id/citadel.yaml"
    "$bin/citadel" --print-config -c "$dir/nodes/$id/citadel.yaml" >/dev/null 2>"$dir/logs/$id.log" ||
      {
        cat "$dir/logs/$id.log" >&2
        echo "fleet-up: $dir/nodes/$id/citadel.yaml is refused (above)" >&2
        fail_and_stop
      }
    say "starting $role node $id (game port $game_port, admin port $admin_port)"
    spawn "$id" "$dir/logs/$id.log" "$dir/nodes/$id" "$bin/citadel" \
      -c "$dir/nodes/$id/citadel.yaml" --port-file "$dir/nodes/$id/port"
    printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$role" "$game_port" "$admin_port" "$dir/logs/$id.log" \
      >>"$dir/nodes.tsv"
  done

  local admin log
  while IFS=$'\t' read -r id role _ admin log; do
    wait_for "$id to answer /health with 200" "$log" "$timeout" "$id" healthy "$admin"
  done <"$dir/nodes.tsv"
  # Every node's table holds every node (a node registered a moment ago
  # reaches the others' tables by a watch event).
  local all=$((${#game_nodes[@]} + ${#gateways[@]}))
  while IFS=$'\t' read -r id role _ admin log; do
    wait_for "$id to list the $all nodes in GET /fleet/nodes" "$log" "$timeout" "$id" \
      sees_nodes "$admin" "$all"
  done <"$dir/nodes.tsv"
  local want=$((threads * ${#game_nodes[@]}))
  while IFS=$'\t' read -r id role _ admin log; do
    [[ $role == gateway ]] || continue
    wait_for "$id to open $want links (citadel_fleet_links_open: $threads threads x ${#game_nodes[@]} game nodes)" \
      "$log" "$timeout" "$id" links_up "$admin" "$want"
  done <"$dir/nodes.tsv"

  cat >"$dir/services.tsv" <<EOF
etcd	http://127.0.0.1:$etcd_port	$dir/logs/etcd.log
redis	redis://127.0.0.1:$redis_port/0	$dir/logs/redis.log
postgres	postgresql://citadel@127.0.0.1:$pg_port/citadel	$dir/logs/postgres.log
EOF
  say "the fleet is up (cluster $cluster: every node healthy and listing all $all, gateways linked to every game node)"
  echo
  print_table
  local gw_port
  gw_port=$(awk -F'\t' '$2 == "gateway" { print $3; exit }' "$dir/nodes.tsv")
  local gw_admin
  gw_admin=$(awk -F'\t' '$2 == "gateway" { print $4; exit }' "$dir/nodes.tsv")
  cat <<EOF

Connect (a guest on a gateway; then e.g. 'join arena', 'say hi', 'help'):
  $bin/citadel-cli --connect 127.0.0.1:$gw_port
The fleet as a gateway sees it:
  $bin/citadel-cli --admin 127.0.0.1:$gw_admin fleet nodes
  curl -s http://127.0.0.1:$gw_admin/metrics | grep citadel_fleet_links_open
Status and stop (only the PIDs in $dir/pids):
  CITADEL_FLEET_DIR=$dir $0 status
  CITADEL_FLEET_DIR=$dir $0 stop
EOF
}

print_table() {
  printf '%-9s %-8s %-10s %-10s %s\n' node role "game port" "admin port" log
  local id role game admin log
  while IFS=$'\t' read -r id role game admin log; do
    printf '%-9s %-8s %-10s %-10s %s\n' "$id" "$role" "$game" "$admin" "$log"
  done <"$dir/nodes.tsv"
  if [[ -f $dir/services.tsv ]]; then
    echo
    printf '%-9s %-48s %s\n' service address log
    while IFS=$'\t' read -r id addr log; do
      printf '%-9s %-48s %s\n' "$id" "$addr" "$log"
    done <"$dir/services.tsv"
  fi
}

do_status() {
  if [[ ! -d $dir/pids ]]; then
    echo "fleet-up: no fleet recorded in $dir"
    return 3
  fi
  [[ -f $dir/nodes.tsv ]] && print_table && echo
  local n pid up=0 code
  printf '%-9s %-8s %s\n' process pid state
  for n in "${stop_order[@]}"; do
    [[ -f $(pidfile "$n") ]] || continue
    if pid=$(live_pid "$n"); then
      up=$((up + 1))
      code=""
      if [[ -f $dir/nodes.tsv ]]; then
        local admin
        admin=$(awk -F'\t' -v n="$n" '$1 == n { print $4 }' "$dir/nodes.tsv")
        [[ -n $admin ]] && code=" (/health $(http_code "http://127.0.0.1:$admin/health"))"
      fi
      printf '%-9s %-8s %s\n' "$n" "$pid" "running$code"
    else
      printf '%-9s %-8s %s\n' "$n" "$(awk '{print $1}' "$(pidfile "$n")")" "not running"
    fi
  done
  ((up > 0)) || return 3
}

# Signals one recorded process and waits (bounded) for it to go; SIGKILL
# after the wait. Never anything but the PID recorded for that name.
stop_one() { # name signal seconds
  local pid
  pid=$(live_pid "$1") || return 0
  kill -s "$2" "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + $3))
  while live_pid "$1" >/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "fleet-up: $1 (pid $pid) still running ${3} s after SIG$2: SIGKILL" >&2
      kill -s KILL "$pid" 2>/dev/null || true
      sleep 0.2
      break
    fi
    sleep 0.1
  done
}

do_stop() {
  [[ -d $dir/pids ]] || {
    echo "fleet-up: no fleet recorded in $dir"
    return 0
  }
  local n pid
  # The nodes drain (shutdown.drain_timeout_ms 2000) in parallel: signal all, then wait.
  for n in "${gateways[@]}" "${game_nodes[@]}"; do
    if pid=$(live_pid "$n"); then
      echo "fleet-up: stopping $n (pid $pid, SIGTERM: drain)"
      kill -s TERM "$pid" 2>/dev/null || true
    fi
  done
  for n in "${gateways[@]}" "${game_nodes[@]}"; do stop_one "$n" TERM 15; done
  for n in redis postgres etcd; do
    if pid=$(live_pid "$n"); then
      echo "fleet-up: stopping $n (pid $pid)"
      # PostgreSQL: SIGINT is its fast shutdown (clients cut, checkpoint).
      if [[ $n == postgres ]]; then stop_one "$n" INT 20; else stop_one "$n" TERM 15; fi
    fi
  done
  echo "fleet-up: stopped; logs and data stay in $dir"
}

case "${1:-up}" in
  up | start) do_up ;;
  stop | down) do_stop ;;
  status) do_status ;;
  -h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (up, status, stop)" ;;
esac
