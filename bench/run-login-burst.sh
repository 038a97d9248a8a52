#!/usr/bin/env bash
# A burst of logins against a node's etcd lease (issue 18): does writing
# every login's session record in etcd hold the node's lease renewals back
# until the lease is lost (which fences a game node's rooms)?
#
# Each round runs fleet-login-burst-bench (tests/fleet/login_burst_bench.cc)
# twice, order alternating by round, each against a fresh etcd:
#   - grouped:   the records as a node writes them (up to 64 in one etcd
#                transaction, two away at once, at most 32 etcd calls in
#                flight);
#   - per-login: one put per login, all at once (how nodes wrote them
#                before: the reference).
# USERS logins at RATE a second on a TTL s lease; a probe on its own client
# renews a lease every 100 ms and times etcd's answers. etcd on ETCD_CPU,
# the bench on BENCH_CPU (by default both on CPU 0, as etcd shared a CPU
# with the nodes in the scale-out runs where leases were lost); etcd's data
# on disk (ETCD_DATA_ROOT, default the scratch dir under TMPDIR) so every
# write is fsynced as in production.
#
# Environment (defaults): ROUNDS=3 USERS=4000 RATE=1000 TTL=2 ETCD_CPU=0
#   BENCH_CPU=0 NICE=0 BIN_DIR=build/bin RESULTS_DIR=bench/results
#   CHECK=0 (1: exit 1 unless every grouped run answered every login, wrote
#   every record and kept its lease; ctest runs it small as
#   bench_login_burst_smoke)
# Output: a markdown report on stdout and in $RESULTS_DIR/login-burst-<stamp>.md,
# one JSON line per run in $RESULTS_DIR/login-burst-<stamp>.jsonl.
set -euo pipefail
# Before lib.sh, whose own default puts the load generator on CPU 1.
ETCD_CPU=${ETCD_CPU:-0}
BENCH_CPU=${BENCH_CPU:-0}

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=bench/lib-fleet.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-fleet.sh"

ROUNDS=${ROUNDS:-3}
USERS=${USERS:-4000}
RATE=${RATE:-1000}
TTL=${TTL:-2}
NICE=${NICE:-0}
CHECK=${CHECK:-0}
PRIO=()
((NICE != 0)) && PRIO=(nice -n "$NICE")

require_bin fleet-login-burst-bench
require_release_build
command -v etcd >/dev/null || die "etcd not found (scripts/install-deps.sh installs etcd-server)"
bench_init
mkdir -p "$RESULTS_DIR"
stamp=$(date -u +%Y%m%d-%H%M%S)
raw="$RESULTS_DIR/login-burst-$stamp.jsonl"
: >"$raw"
log "login burst: $ROUNDS rounds, $USERS logins at $RATE/s, lease TTL $TTL s"

for ((round = 1; round <= ROUNDS; round++)); do
  modes=(grouped per-login)
  ((round % 2 == 0)) && modes=(per-login grouped)
  for mode in "${modes[@]}"; do
    start_etcd "$ETCD_CPU" || die "etcd did not start"
    etcd_before=$(cpu_ticks "$ETCD_PID")
    out="$BENCH_TMP/$mode-$round.out"
    err="$BENCH_TMP/$mode-$round.err"
    run_pinned "$out" "$err" $((USERS / RATE + 90)) "${PRIO[@]}" \
      "$BIN_DIR/fleet-login-burst-bench" --etcd-port "${ETCD_URL##*:}" --mode "$mode" \
      --users "$USERS" --rate "$RATE" --ttl "$TTL" --cluster "r$round" ||
      { tail -n 20 "$err" >&2; die "fleet-login-burst-bench failed ($mode, round $round)"; }
    etcd_s=$(awk -v t=$(($(cpu_ticks "$ETCD_PID") - etcd_before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    line=$(last_json_line "$out")
    [[ -n $line ]] || die "no result ($mode, round $round)"
    line="${line%\}},\"round\":$round,\"etcd_cpu_s\":$etcd_s}"
    echo "$line" >>"$raw"
    log "  round $round $mode: $line"
    stop_etcd
  done
done

report="$RESULTS_DIR/login-burst-$stamp.md"
{
  echo "# Login burst against a node's etcd lease (issue 18), $(date -u +%Y-%m-%d)"
  echo
  machine_info_md
  echo "- $USERS logins at $RATE/s, lease TTL $TTL s; etcd on CPU $ETCD_CPU (data on disk), the bench on CPU $BENCH_CPU; raw: $(basename "$raw")"
  echo
  python3 "$BENCH_ROOT/bench/summarize_login_burst.py" "$raw"
} | tee "$report"
log "report written to $report"

if [[ $CHECK == 1 ]]; then
  python3 - "$raw" <<'PY' || die "CHECK: a grouped run lost logins, records or its lease"
import json, sys
bad = [r for r in map(json.loads, open(sys.argv[1])) if r["mode"] == "grouped" and
       (r["answered"] != r["users"] or r["records_written"] < r["users"] or
        r["write_failures"] != 0 or r["lease_lost"])]
for r in bad:
    print("CHECK failed:", json.dumps(r), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  log "CHECK: every grouped run answered every login, wrote every record and kept its lease"
fi
