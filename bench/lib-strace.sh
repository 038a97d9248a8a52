# shellcheck shell=bash disable=SC2034  # variables here are read by the sourcing scripts
# System call counts for bench/run-*.sh (after lib.sh): strace -c -f attached
# to a running process for a whole bench run.

STRACE_PIDS=()

# strace_start OUT PID...: counts the system calls of the PIDs (all threads,
# and the children they fork from now on) into one table until strace_stop.
strace_start() {
  local out=$1 pid args=()
  shift
  for pid in "$@"; do args+=(-p "$pid"); done
  strace -c -f -q -o "$out" "${args[@]}" 2>/dev/null &
  STRACE_PIDS+=("$!")
  BENCH_PIDS+=("$!")
}

# strace_stop: detaches every strace started by strace_start (SIGINT makes it
# write its table) and waits for them.
strace_stop() {
  local pid
  for pid in "${STRACE_PIDS[@]}"; do
    kill -INT "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
    forget_pid "$pid"
  done
  STRACE_PIDS=()
}

# strace_total FILE: the "total" calls figure of an strace -c table.
strace_total() {
  awk '$NF == "total" { print $4 }' "$1" 2>/dev/null | tail -n 1
}

# strace_top FILE N: the N most called system calls, "name calls, ..." (JSON-safe).
strace_top() {
  awk '$NF != "total" && $1 ~ /^[0-9.]+$/ && NF >= 5 { print $4, $NF }' "$1" 2>/dev/null |
    sort -k1,1nr | head -n "$2" | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1 }'
}
