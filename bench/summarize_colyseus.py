#!/usr/bin/env python3
"""Turns the raw JSON lines of bench/run-colyseus-arena.sh into markdown.

  summarize_colyseus.py verdict LINE    exit 0 if a run meets the capacity bar, else 1
  summarize_colyseus.py brief LINE      one progress line for one run
  summarize_colyseus.py report RAW.jsonl [--json]
                                        capacity and cost tables; Citadel / Colyseus
                                        ratios when both servers ran; --json adds one
                                        JSON line with the figures at the end

Standard library only. A raw line is {"part": "capacity"|"cost", "tag",
"server": "colyseus"|"citadel", "round", "ok", "error", "players",
"p99_ms_bar", "transport", ..., "bench": <the bots' JSON line or
citadel-bench arena's>}. Both kinds of bench line carry the same field names
(p99_us, disconnects, rooms, slow_rooms, room_hz_min, server_cores_per_1000,
...), so one capacity bar serves both: summarize_rooms.failures() without its
server-side part. Every player in, p99 input-to-ack under the bar, no
disconnects or errors, every room at >= 97.5 % of 20 Hz as its clients see it.
Citadel's skipped ticks (from /metrics) are shown but do not fail a step here,
since Colyseus has no such counter: its late ticks show only in the rooms'
rates, and Citadel's skipped ones show there too.

Ratios follow the one method of bench/paired.py. The cost part measures both
servers once per round, back to back; the CPU ratio is the median of the
per-round ratios (Citadel's % of a core per 1,000 players / Colyseus's, same
round). Capacity is one stepped search per server per round (CAP_ROUNDS
rounds, the servers' order alternating); its ratio is the median of the
per-round ratios (Citadel's capacity / Colyseus's, same round), and each
server's capacity is the median of its rounds.
"""
import json
import sys

import paired
import summarize_rooms as rooms

SERVERS = ("colyseus", "citadel")
# Optional Citadel variants in the same run (run-colyseus-arena.sh): the same
# server over raw TCP (what WebSocket adds), and over WebSocket with wake-up
# coalescing (server.wake_coalesce_us). Each is paired per round like the rest.
VARIANTS = ("citadel-tcp", "citadel-wc")
ALL_SERVERS = SERVERS + VARIANTS
TARGET_CAPACITY_RATIO = 3.0  # issue 15: Citadel >= 3x Colyseus's capacity
TARGET_CPU_RATIO = 0.4  # issue 15: Citadel <= 0.4x Colyseus's CPU per player


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(x, spec=".1f", none="–"):
    return none if x is None else format(x, spec)


def ms(us):
    return None if us is None else us / 1000


def median(values):
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def failures(run):
    """Why a run misses the common bar (empty: it passes): summarize_rooms's
    reasons without the server-side skipped-tick count."""
    return [w for w in rooms.failures(run) if "ticks skipped" not in w]


def capacity_by_round(runs, server):
    """{round: the largest passing step before the first failing one (steps in
    run order), or 0 when the first step failed}, for the rounds `server` ran."""
    out = {}
    for rnd in dict.fromkeys(r.get("round", "1") for r in runs
                             if r["part"] == "capacity" and r.get("server") == server):
        best, failed = 0, False
        for r in runs:
            if r["part"] != "capacity" or r.get("server") != server or r.get("round", "1") != rnd:
                continue
            if failed:
                continue
            if failures(r):
                failed = True
            else:
                best = r["players"]
        out[rnd] = best
    return out


def capacity_of(runs, server):
    """The median over rounds of the capacity (see capacity_by_round), or None
    when the server had no capacity run."""
    return median(capacity_by_round(runs, server).values())


def capacity_table(runs):
    shown = False
    for server in ALL_SERVERS:
        steps = [r for r in runs if r["part"] == "capacity" and r.get("server") == server]
        if not steps:
            continue
        if not shown:
            print("## Capacity (each step a fresh server; warm-up, then the measured hold)\n")
            shown = True
        transport = steps[0].get("transport", "?")
        print(f"### {server} ({transport})\n")
        print("| round | players | joined | rooms | room Hz min (clients) | states / player / s | p50 ms | p99 ms "
              "| max ms | disconnects | skipped ticks (server) | server: % of a core per 1,000 players "
              "| load CPU % | load: inputs late, p99 ms | verdict |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in steps:
            b = r.get("bench")
            why = failures(r)
            rnd = r.get("round", "1")
            if not b:
                print(f"| {rnd} | {r['players']:,} | – | – | – | – | – | – | – | – | – | – | – | – | FAIL: {why[0]} |")
                continue
            skipped = rooms.skipped_ticks(r)
            print(f"| {rnd} | {r['players']:,} | {b['joined']:,} | {b['rooms']} | {b['room_hz_min']:.2f} "
                  f"| {fmt(b.get('states_per_player_s'), '.2f')} | {fmt(ms(b['p50_us']), '.2f')} "
                  f"| {fmt(ms(b['p99_us']), '.2f')} | {fmt(ms(b['max_us']), '.1f')} | {b['disconnects']} "
                  f"| {fmt(skipped, '.0f')} | {fmt(rooms.server_pct_per_1000(b))} | {fmt(rooms.bench_pct(b), '.0f')} "
                  f"| {fmt(ms(b.get('input_lag_p99_us')), '.1f')} "
                  f"| {'PASS' if not why else 'FAIL: ' + '; '.join(why)} |")
        print("\n\"Inputs late\" is how late the load generator sent its inputs against their due "
              "times (p99): the delay of its own loop.")
        by_round = capacity_by_round(runs, server)
        print(f"\nCapacity: **{capacity_of(runs, server):,.0f}** players (the largest step before the "
              f"first failing one; median of {len(by_round)} round(s): "
              f"{', '.join(f'{v:,}' for v in by_round.values())}).\n")


def cost_by_round(runs, server):
    """{round: % of a core per 1,000 players} of the cost runs of `server`."""
    out = {}
    for r in runs:
        if r["part"] != "cost" or r.get("server") != server:
            continue
        b = r.get("bench")
        out[r["round"]] = rooms.server_pct_per_1000(b) if b and r.get("ok") else None
    return out


def cost_table(runs):
    rows = [r for r in runs if r["part"] == "cost"]
    if not rows:
        return
    players = rows[0]["players"]
    print(f"## Server CPU at {players:,} players (rounds; the servers back to back in each)\n")
    print("| round | server | transport | % of a core per 1,000 players | cores | p99 ms | room Hz min "
          "| disconnects | load CPU % | bar met |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        b = r.get("bench")
        if not b:
            print(f"| {r['round']} | {r['server']} | {r.get('transport', '?')} | FAILED: {r.get('error')} "
                  f"| | | | | | |")
            continue
        pct = rooms.server_pct_per_1000(b)
        cores = None if pct is None else pct / 100 * b.get("in_room_at_start", 0) / 1000
        why = failures(r)
        print(f"| {r['round']} | {r['server']} | {r.get('transport', '?')} | {fmt(pct)} | {fmt(cores, '.2f')} "
              f"| {fmt(ms(b['p99_us']), '.2f')} | {b['room_hz_min']:.2f} | {b['disconnects']} "
              f"| {fmt(rooms.bench_pct(b), '.0f')} | {'yes' if not why else 'no: ' + '; '.join(why)} |")
    print()


def ratios(runs):
    """The issue-15 figures: {capacity, cpu_per_1000 per server, and the ratios}."""
    out = {"capacity": {s: capacity_of(runs, s) for s in SERVERS}}
    cpu = {s: cost_by_round(runs, s) for s in SERVERS}
    out["capacity_by_round"] = {s: capacity_by_round(runs, s) for s in SERVERS}
    out["cpu_pct_per_1000_median"] = {s: median(cpu[s].values()) for s in SERVERS}
    caps = out["capacity_by_round"]
    out["capacity_round_ratios"] = paired.round_ratios(caps["citadel"], caps["colyseus"])
    out["capacity_ratio"] = paired.median_ratio(caps["citadel"], caps["colyseus"])
    out["cpu_round_ratios"] = paired.round_ratios(cpu["citadel"], cpu["colyseus"])
    out["cpu_ratio"] = paired.median_ratio(cpu["citadel"], cpu["colyseus"])
    transports = {s: sorted({r.get("transport", "?") for r in runs if r.get("server") == s}) for s in SERVERS}
    out["transports"] = transports
    # The variants, when they ran: their CPU, and the paired ratios that say
    # what WebSocket adds (citadel / citadel-tcp) and what coalescing saves.
    for v in VARIANTS:
        cpu[v] = cost_by_round(runs, v)
    present = [v for v in VARIANTS if any(x is not None for x in cpu[v].values())]
    if present:
        out["variant_cpu_pct_per_1000_median"] = {v: median(cpu[v].values()) for v in present}
        pairs = {"citadel-tcp": [("citadel", "citadel-tcp")],
                 "citadel-wc": [("citadel-wc", "colyseus"), ("citadel-wc", "citadel")]}
        out["variant_cpu_ratios"] = {}
        for v in present:
            for a, b in pairs[v]:
                if paired.median_ratio(cpu[a], cpu[b]) is None:
                    continue
                out["variant_cpu_ratios"][f"{a} / {b}"] = {
                    "rounds": paired.round_ratios(cpu[a], cpu[b]),
                    "median": paired.median_ratio(cpu[a], cpu[b])}
    # A variant's capacity search, paired with Colyseus's round by round.
    for v in VARIANTS:
        by_round = capacity_by_round(runs, v)
        if not by_round:
            continue
        out.setdefault("variant_capacity", {})[v] = median(by_round.values())
        if paired.median_ratio(by_round, caps["colyseus"]) is not None:
            out.setdefault("variant_capacity_ratios", {})[f"{v} / colyseus"] = {
                "rounds": paired.round_ratios(by_round, caps["colyseus"]),
                "median": paired.median_ratio(by_round, caps["colyseus"])}
    return out


def ratio_section(runs):
    x = ratios(runs)
    cap, cpu = x["capacity"], x["cpu_pct_per_1000_median"]
    print("## Issue 15 figures\n")
    print(f"- Colyseus capacity: **{fmt(cap['colyseus'], ',.0f')}** players; "
          f"Citadel capacity: **{fmt(cap['citadel'], ',.0f')}** players (median of rounds)")
    print(f"- server CPU per 1,000 players (median of rounds): Colyseus {fmt(cpu['colyseus'])} %, "
          f"Citadel {fmt(cpu['citadel'])} % of a core")
    if x["capacity_ratio"] is not None:
        per = ", ".join(f"{v:.2f}" for _, v in x["capacity_round_ratios"])
        print(f"- capacity, Citadel / Colyseus, median of the per-round ratios ({per}): **{x['capacity_ratio']:.2f}×** "
              f"(target ≥ {TARGET_CAPACITY_RATIO:.0f}×: {'met' if x['capacity_ratio'] >= TARGET_CAPACITY_RATIO else 'not met'})")
    if x["cpu_ratio"] is not None:
        per = ", ".join(f"{v:.2f}" for _, v in x["cpu_round_ratios"])
        print(f"- CPU per player, Citadel / Colyseus, median of the per-round ratios ({per}): "
              f"**{x['cpu_ratio']:.2f}×** (target ≤ {TARGET_CPU_RATIO}×: "
              f"{'met' if x['cpu_ratio'] <= TARGET_CPU_RATIO else 'not met'})")
    for v, players in x.get("variant_capacity", {}).items():
        print(f"- {v} capacity: **{fmt(players, ',.0f')}** players (median of rounds)")
    for name, r in x.get("variant_capacity_ratios", {}).items():
        per = ", ".join(f"{v:.2f}" for _, v in r["rounds"])
        met = "met" if r["median"] >= TARGET_CAPACITY_RATIO else "not met"
        print(f"- capacity, {name}, median of the per-round ratios ({per}): **{r['median']:.2f}×** "
              f"(target ≥ {TARGET_CAPACITY_RATIO:.0f}×: {met})")
    for v, pct in x.get("variant_cpu_pct_per_1000_median", {}).items():
        print(f"- {v}: server CPU per 1,000 players (median of rounds) {fmt(pct)} % of a core")
    for name, r in x.get("variant_cpu_ratios", {}).items():
        per = ", ".join(f"{v:.2f}" for _, v in r["rounds"])
        target = (f" (target ≤ {TARGET_CPU_RATIO}×: {'met' if r['median'] <= TARGET_CPU_RATIO else 'not met'})"
                  if name.endswith("/ colyseus") else "")
        print(f"- CPU per player, {name}, median of the per-round ratios ({per}): **{r['median']:.2f}×**{target}")
    t = x["transports"]
    if t["citadel"] and t["citadel"] != ["ws"]:
        print(f"- note: Citadel ran over {', '.join(t['citadel'])}, not WebSocket: "
              "not yet transport for transport")
    print()
    return x


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, arg = argv[1], argv[2]
    if mode == "verdict":
        return 0 if not failures(json.loads(arg)) else 1
    if mode == "brief":
        run = json.loads(arg)
        return print(f"{run.get('server')}: {rooms.brief(run)}") or 0
    if mode == "report":
        runs = load(arg)
        capacity_table(runs)
        cost_table(runs)
        x = ratio_section(runs)
        if "--json" in argv[3:]:
            print(json.dumps({"summary": "colyseus-arena", **x}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
