#!/usr/bin/env python3
"""Turns the raw JSON lines of bench/run-fleet.sh into markdown (issue 18).

  summarize_fleet.py report RAW.jsonl   every part's tables and summaries
  summarize_fleet.py brief LINE         one progress line for one run
  summarize_fleet.py verdict LINE       exit 0 if an arena run meets the
                                        capacity bar (summarize_rooms.py's)

Standard library only. A raw line is {"part": "hop" | "scaleout" | "chat" |
"strace", "round", "config" (or "path"), "ok", "error", "procs": [{"name",
"role"}...], "bench": <citadel-bench's JSON line>, ...}. The procs are in
the order citadel-bench was given them: the first's CPU is the bench's
server_cpu_s, the others' its also_cpu_s, in order. Citadel's processes are
those of role all, gateway and game; etcd, redis and postgres are reported
beside them, never in them.

Every comparison is paired per round (paired.py): the gateway path against
the direct path of the same round (hop: p99 as a difference, CPU as a
ratio), fleet against all at the same step (scale-out), two gateways against
one in the same round (chat); the figure is the median over the rounds.
"""
import json
import sys

import paired
import summarize_rooms

CITADEL_ROLES = ("all", "gateway", "game")
INFRA_ROLES = ("etcd", "redis", "postgres")
HOP_P99_GOAL_MS = 1.0   # added p99 input-to-ack through the gateway
HOP_CPU_GOAL = 1.3      # CPU per input+state through the gateway / direct


# The arena summary's helpers: the raw lines' reader and the cell format.
load = summarize_rooms.load
fmt = summarize_rooms.fmt
ms = summarize_rooms.ms


def config_of(run):
    return run.get("config") or run.get("path")


def proc_cpu(run):
    """[(name, role, cpu seconds or None)] in the bench's order."""
    b = run.get("bench") or {}
    procs = run.get("procs") or []
    values = [b.get("server_cpu_s")] + list(b.get("also_cpu_s") or [])
    out = []
    for i, p in enumerate(procs):
        out.append((p["name"], p["role"], values[i] if i < len(values) else None))
    return out


def cpu_of_roles(run, roles):
    """Summed CPU seconds of the processes with these roles; None if any of
    them has no figure (or there is none)."""
    cpus = [c for _, role, c in proc_cpu(run) if role in roles]
    if not cpus or any(c is None for c in cpus):
        return None
    return sum(cpus)


def citadel_cpu(run):
    return cpu_of_roles(run, CITADEL_ROLES)


def cpu_by_name(run):
    return {name: c for name, _, c in proc_cpu(run)}


# --- arena runs (hop, scale-out) ---------------------------------------------

def window_s(run):
    b = run.get("bench") or {}
    return b.get("duration_s") or None


def citadel_cores(run):
    """Cores of Citadel CPU over the measured window."""
    c, d = citadel_cpu(run), window_s(run)
    return None if c is None or not d else c / d


def us_per_input(run, roles=CITADEL_ROLES):
    """CPU microseconds per input+state (one input in, one state out, per
    player and tick) over the window: the processes' CPU / inputs sent."""
    b = run.get("bench") or {}
    c, n = cpu_of_roles(run, roles), b.get("inputs_sent")
    return None if c is None or not n else c * 1e6 / n


def players_per_core(run):
    cores = citadel_cores(run)
    return None if not cores else run["players"] / cores


def bench_pct(run):
    return summarize_rooms.bench_pct(run.get("bench") or {})


def ok(run):
    return bool(run.get("ok")) and bool(run.get("bench"))


def clean(run):
    """An arena run every player of which was in and stayed: the others'
    latency and CPU are not the same load, so they stay out of the pairing."""
    b = run.get("bench") or {}
    return (ok(run) and b.get("joined") == run.get("players") and not b.get("disconnects")
            and not b.get("errors"))


def by_round(runs, config, figure, keep=ok):
    """{round: figure(run)} for the runs of one configuration that `keep`."""
    return {r["round"]: figure(r) for r in runs if config_of(r) == config and keep(r)}


def lease_losses(run):
    """Times the nodes lost their etcd membership during the run (None: not recorded)."""
    load = run.get("load")
    if not load:
        return None
    values = [v.get("lease_losses") for v in load.values() if v.get("lease_losses") is not None]
    return sum(values) if values else None


def procs_cell(run):
    parts = []
    for name, role, c in proc_cpu(run):
        if role in CITADEL_ROLES:
            parts.append(f"{name} {fmt(c, '.2f')}")
    return ", ".join(parts) or "–"


def hop_section(runs):
    rows = [r for r in runs if r["part"] == "hop"]
    if not rows:
        return
    print("## The gateway hop (arena players through a gateway vs on the game node's own port)\n")
    print("| round | players | path | joined | room Hz min | p50 ms | p99 ms | mean ms | max ms "
          "| disconnects | Citadel CPU s (per process) | cores | µs CPU per input+state "
          "| etcd CPU s | bench CPU % |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: (r["players"], r["round"], config_of(r))):
        b = r.get("bench")
        if not ok(r):
            print(f"| {r['round']} | {r['players']:,} | {config_of(r)} | FAILED: {r.get('error')} "
                  "|||||||||||| |")
            continue
        print(f"| {r['round']} | {r['players']:,} | {config_of(r)} | {b['joined']:,} "
              f"| {b['room_hz_min']:.2f} | {fmt(ms(b['p50_us']), '.2f')} | {fmt(ms(b['p99_us']), '.2f')} "
              f"| {fmt(ms(b['mean_us']), '.2f')} | {fmt(ms(b['max_us']), '.1f')} | {b['disconnects']} "
              f"| {procs_cell(r)} | {fmt(citadel_cores(r), '.3f')} | {fmt(us_per_input(r), '.1f')} "
              f"| {fmt(cpu_of_roles(r, ('etcd',)), '.2f')} | {fmt(bench_pct(r), '.0f')} |")
    print()
    for n in sorted({r["players"] for r in rows}):
        at = [r for r in rows if r["players"] == n]
        hop_summary(n, at)
    dirty = [r for r in rows if ok(r) and not clean(r)]
    if dirty:
        print("Left out of the pairing (players missing or dropped, or errors): "
              + "; ".join(f"round {r['round']} {r['players']:,} {config_of(r)}: joined "
                          f"{r['bench']['joined']:,}, {r['bench']['disconnects']} disconnects, "
                          f"{r['bench']['errors']} errors" for r in dirty) + "\n")
    print()


def p99(run):
    return ms(run["bench"]["p99_us"])


def p50(run):
    return ms(run["bench"]["p50_us"])


def mean(run):
    return ms(run["bench"]["mean_us"])


def hop_figures(runs):
    """The paired figures of one population: added p50/p99/mean ms and the
    CPU ratio, gateway against direct (each a median over rounds, with the
    per-round values), and all against direct where measured."""
    out = {}
    runs = [r for r in runs if clean(r)]
    for name, figure in (("p50", p50), ("p99", p99), ("mean", mean)):
        gw, direct = by_round(runs, "gateway", figure), by_round(runs, "direct", figure)
        out[f"added_{name}_ms"] = paired.median_difference(gw, direct)
        out[f"added_{name}_rounds"] = paired.round_differences(gw, direct)
    gw, direct = by_round(runs, "gateway", us_per_input), by_round(runs, "direct", us_per_input)
    out["cpu_ratio"] = paired.median_ratio(gw, direct)
    out["cpu_ratio_rounds"] = paired.round_ratios(gw, direct)
    # The gateway's own share, against the whole direct path.
    gw_only = by_round(runs, "gateway", lambda r: us_per_input(r, ("gateway",)))
    out["gateway_share"] = paired.median_ratio(gw_only, direct)
    every = by_round(runs, "all", us_per_input)
    out["direct_vs_all"] = paired.median_ratio(direct, every)
    out["gateway_vs_all"] = paired.median_ratio(gw, every)
    out["all_p99_vs_direct_ms"] = paired.median_difference(by_round(runs, "all", p99),
                                                           by_round(runs, "direct", p99))
    return out


def rounds_text(pairs, spec):
    return ", ".join(format(v, spec) for _, v in pairs)


def goal(value, limit):
    if value is None:
        return "no figure"
    return "met" if value <= limit else "**missed**"


def hop_summary(players, runs):
    f = hop_figures(runs)
    print(f"**{players:,} players** (gateway − direct, the same round; median over "
          f"{len(f['added_p99_rounds'])} rounds):\n")
    print(f"- added p99 input-to-ack: **{fmt(f['added_p99_ms'], '+.2f')} ms** "
          f"(rounds: {rounds_text(f['added_p99_rounds'], '+.2f')}); goal ≤ +{HOP_P99_GOAL_MS:g} ms: "
          f"{goal(f['added_p99_ms'], HOP_P99_GOAL_MS)}")
    print(f"- added p50: {fmt(f['added_p50_ms'], '+.2f')} ms "
          f"({rounds_text(f['added_p50_rounds'], '+.2f')}); added mean: "
          f"{fmt(f['added_mean_ms'], '+.2f')} ms ({rounds_text(f['added_mean_rounds'], '+.2f')})")
    print(f"- CPU of all Citadel processes per input+state, gateway / direct: "
          f"**{fmt(f['cpu_ratio'], '.2f')}×** (rounds: {rounds_text(f['cpu_ratio_rounds'], '.2f')}); "
          f"goal ≤ {HOP_CPU_GOAL:g}×: {goal(f['cpu_ratio'], HOP_CPU_GOAL)}; the gateway alone "
          f"{fmt(f['gateway_share'], '.2f')}× the direct path's whole CPU")
    if f["direct_vs_all"] is not None:
        print(f"- the direct path against one `all` node (no fleet): CPU {fmt(f['direct_vs_all'], '.2f')}×, "
              f"p99 {fmt(f['all_p99_vs_direct_ms'] and -f['all_p99_vs_direct_ms'], '+.2f')} ms; "
              f"the gateway path {fmt(f['gateway_vs_all'], '.2f')}× the `all` node's CPU")
    print()


def strace_section(runs):
    rows = [r for r in runs if r["part"] == "strace"]
    if not rows:
        return
    print("## System calls per input+state (strace -c -f on the Citadel nodes, outside the figures above)\n")
    print("| players | path | seconds | syscalls | inputs+states in the span | syscalls per input+state "
          "| forwarded frames (gateway) | most called |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        inputs = strace_inputs(r)
        per = None if not r.get("syscalls") or not inputs else r["syscalls"] / inputs
        print(f"| {r['players']:,} | {config_of(r)} | {r['strace_s']} | {fmt(r.get('syscalls'), ',')} "
              f"| {fmt(inputs, ',.0f')} | {fmt(per, '.2f')} | {fmt(r.get('forwarded_frames'), ',')} "
              f"| {r.get('top') or '–'} |")
    print()


def strace_inputs(run):
    """Inputs sent during the strace span: players x input Hz x seconds."""
    b = run.get("bench") or {}
    hz = b.get("input_hz") or 20
    return run["players"] * hz * run["strace_s"]


# --- scale-out ----------------------------------------------------------------

def scaleout_section(runs):
    rows = [r for r in runs if r["part"] == "scaleout"]
    if not rows:
        return
    print("## Scale-out: 1 gateway + 2 game nodes (`fleet`) vs one `all` node, every server on one core\n")
    print("| players | config | verdict | room Hz min | skipped ticks | p50 ms | p99 ms "
          "| Citadel CPU s (per process) | cores used | players per core | game nodes: players "
          "| lease losses | bench CPU % |")
    print("|---:|---|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|")
    for r in sorted(rows, key=lambda r: (r["players"], config_of(r))):
        why = summarize_rooms.failures(r)
        b = r.get("bench")
        if not b:
            print(f"| {r['players']:,} | {config_of(r)} | FAIL: {why[0]} ||||||||||| |")
            continue
        split = ", ".join(f"{k} {v.get('room_players', 0):,}" for k, v in (r.get("load") or {}).items()
                          if k.startswith("game") or k.startswith("all"))
        print(f"| {r['players']:,} | {config_of(r)} | {'PASS' if not why else 'FAIL: ' + '; '.join(why)} "
              f"| {b['room_hz_min']:.2f} | {fmt(summarize_rooms.skipped_ticks(r), '.0f')} "
              f"| {fmt(ms(b['p50_us']), '.2f')} | {fmt(ms(b['p99_us']), '.2f')} | {procs_cell(r)} "
              f"| {fmt(citadel_cores(r), '.3f')} | {fmt(players_per_core(r), ',.0f')} | {split or '–'} "
              f"| {fmt(lease_losses(r), 'd')} | {fmt(bench_pct(r), '.0f')} |")
    print()
    f = scaleout_figures(rows)
    for c in sorted(f["capacity"]):
        cap = f["capacity"][c]
        print(f"- `{c}`: largest passing step **{fmt(cap['players'], ',')}** players "
              f"({fmt(cap['cores'], '.2f')} cores of Citadel CPU: "
              f"{fmt(cap['players_per_core'], ',.0f')} players per core)"
              + (f"; first failing step {cap['failed_at']:,}: {cap['why']}" if cap.get("failed_at") else ""))
    if f["ratio_rounds"]:
        print(f"- players per core, `fleet` / `all` at the same step (both passing): "
              f"**{fmt(f['ratio'], '.2f')}×** (steps: "
              f"{', '.join(f'{n:,}: {v:.2f}' for n, v in f['ratio_rounds'])})")
    print()


def scaleout_figures(rows):
    capacity = {}
    for c in sorted({config_of(r) for r in rows}):
        mine = sorted((r for r in rows if config_of(r) == c), key=lambda r: r["players"])
        best, failed = None, None
        for r in mine:
            why = summarize_rooms.failures(r)
            if why:
                failed = (r["players"], "; ".join(why))
                break
            best = r
        capacity[c] = {
            "players": best["players"] if best else None,
            "cores": citadel_cores(best) if best else None,
            "players_per_core": players_per_core(best) if best else None,
            "failed_at": failed[0] if failed else None,
            "why": failed[1] if failed else None,
        }
    passing = [r for r in rows if not summarize_rooms.failures(r)]
    fleet = {r["players"]: players_per_core(r) for r in passing if config_of(r) == "fleet"}
    single = {r["players"]: players_per_core(r) for r in passing if config_of(r) == "all"}
    return {
        "capacity": capacity,
        "ratio": paired.median_ratio(fleet, single),
        "ratio_rounds": paired.round_ratios(fleet, single),
    }


# --- chat ---------------------------------------------------------------------

def receipts(run):
    b = run.get("bench") or {}
    return b.get("receipts") or None


def us_per_receipt(run, roles):
    c, n = cpu_of_roles(run, roles), receipts(run)
    return None if c is None or not n else c * 1e6 / n


def last_p50(run):
    return ms(run["bench"]["last_p50_us"])


def last_p99(run):
    return ms(run["bench"]["last_p99_us"])


def chat_ok(run):
    b = run.get("bench")
    return ok(run) and b.get("messages_incomplete", 1) == 0 and b.get("messages_complete", 0) > 0


def chat_section(runs):
    rows = [r for r in runs if r["part"] == "chat"]
    if not rows:
        return
    print("## World chat fan-out: members split over 2 gateways vs all on one\n")
    print("| round | config | members | complete / measured | last member p50 ms | p99 ms "
          "| any member p50 ms | Citadel CPU s (per process) | µs Citadel CPU per receipt "
          "| Redis µs / receipt | PostgreSQL µs / receipt | etcd CPU s | lease losses "
          "| bench CPU µs / receipt |")
    print("|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in sorted(rows, key=lambda r: (r["round"], config_of(r))):
        b = r.get("bench")
        if not ok(r):
            print(f"| {r['round']} | {config_of(r)} | FAILED: {r.get('error')} ||||||||||| |")
            continue
        print(f"| {r['round']} | {config_of(r)} | {b['logged_in']:,} "
              f"| {b['messages_complete']}/{b['messages_measured']} | {fmt(last_p50(r), '.2f')} "
              f"| {fmt(last_p99(r), '.2f')} | {fmt(ms(b['p50_us']), '.2f')} | {procs_cell(r)} "
              f"| {fmt(us_per_receipt(r, CITADEL_ROLES), '.3f')} "
              f"| {fmt(us_per_receipt(r, ('redis',)), '.3f')} "
              f"| {fmt(us_per_receipt(r, ('postgres',)), '.3f')} "
              f"| {fmt(cpu_of_roles(r, ('etcd',)), '.2f')} | {fmt(lease_losses(r), 'd')} "
              f"| {fmt(b.get('bench_cpu_us_per_receipt'), '.3f')} |")
    print()
    f = chat_figures(rows)
    for label, key, spec in (("time until the last member has a message, p50", "p50", ".2f"),
                             ("the same, p99", "p99", ".2f"),
                             ("Citadel CPU per receipt", "cpu", ".2f"),
                             ("Citadel + Redis CPU per receipt", "cpu_redis", ".2f")):
        if f[key] is None:
            continue
        print(f"- two gateways / one, {label}: **{fmt(f[key], spec)}×** "
              f"(rounds: {rounds_text(f[key + '_rounds'], spec)})")
    if f["one_vs_all_cpu"] is not None:
        print(f"- one gateway (fleet) / one `all` node, Citadel CPU per receipt: "
              f"{fmt(f['one_vs_all_cpu'], '.2f')}×; last member p50 {fmt(f['one_vs_all_p50'], '.2f')}×")
    incomplete = [r for r in rows if ok(r) and not chat_ok(r)]
    for r in incomplete:
        b = r["bench"]
        print(f"- round {r['round']} {config_of(r)}: {b['messages_incomplete']} messages did not "
              f"reach every member")
    print()


def chat_figures(rows):
    good = [r for r in rows if chat_ok(r)]
    out = {}
    for key, figure in (("p50", last_p50), ("p99", last_p99),
                        ("cpu", lambda r: us_per_receipt(r, CITADEL_ROLES)),
                        ("cpu_redis", lambda r: us_per_receipt(r, CITADEL_ROLES + ("redis",)))):
        two, one = by_round(good, "two", figure), by_round(good, "one", figure)
        out[key] = paired.median_ratio(two, one)
        out[key + "_rounds"] = paired.round_ratios(two, one)
    one_cpu = by_round(good, "one", lambda r: us_per_receipt(r, CITADEL_ROLES))
    all_cpu = by_round(good, "all", lambda r: us_per_receipt(r, CITADEL_ROLES))
    out["one_vs_all_cpu"] = paired.median_ratio(one_cpu, all_cpu)
    out["one_vs_all_p50"] = paired.median_ratio(by_round(good, "one", last_p50),
                                                by_round(good, "all", last_p50))
    return out


# --- entry points -------------------------------------------------------------

def brief(run):
    b = run.get("bench")
    name = f"{run['part']} {config_of(run)}"
    if not b:
        return f"{name}: FAILED ({run.get('error')})"
    if run["part"] == "chat":
        return (f"{name}: {b['messages_complete']}/{b['messages_measured']} complete, last member p50 "
                f"{fmt(last_p50(run), '.2f')} ms p99 {fmt(last_p99(run), '.2f')} ms, "
                f"{fmt(us_per_receipt(run, CITADEL_ROLES), '.3f')} µs Citadel CPU per receipt")
    if run["part"] == "strace":
        return f"{name}: {run.get('syscalls')} syscalls in {run['strace_s']} s"
    return (f"{name} {run['players']:,}: joined {b['joined']:,}, min {b['room_hz_min']:.2f} Hz, "
            f"p50 {fmt(p50(run), '.2f')} p99 {fmt(p99(run), '.2f')} ms, disconnects {b['disconnects']}, "
            f"Citadel {fmt(citadel_cores(run), '.3f')} cores ({procs_cell(run)}), "
            f"{fmt(us_per_input(run), '.1f')} µs per input+state, bench {fmt(bench_pct(run), '.0f')} %"
            + ("" if run.get("ok") else f" [{run.get('error')}]"))


def report(runs):
    failed = [r for r in runs if not r.get("ok")]
    hop_section(runs)
    strace_section(runs)
    scaleout_section(runs)
    chat_section(runs)
    if failed:
        print("Failed runs: " + "; ".join(f"{r['part']} round {r['round']} {config_of(r)}: "
                                          f"{r.get('error')}" for r in failed))
        print()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, arg = argv[1], argv[2]
    if mode == "verdict":
        return 0 if not summarize_rooms.failures(json.loads(arg)) else 1
    if mode == "brief":
        print(brief(json.loads(arg)))
        return 0
    if mode == "report":
        report(load(arg))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
