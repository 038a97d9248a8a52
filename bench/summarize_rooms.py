#!/usr/bin/env python3
"""Turns the raw JSON lines of bench/run-arena.sh and run-lockstep.sh into markdown.

  summarize_rooms.py verdict LINE      exit 0 if an arena run meets the capacity bar, else 1
  summarize_rooms.py brief LINE        one progress line for one run
  summarize_rooms.py arena RAW.jsonl   capacity, cost and storm tables
  summarize_rooms.py lockstep RAW.jsonl

Standard library only. A raw line is {"part", "tag", "ok", "error", "players",
"executor_threads", "metrics_before", "metrics_after", "server_hwm_kb",
"bench": <citadel-bench's JSON line>} (yardstick lines: "server":"c-ref",
"server_cpu_ticks", "clk_tck" and citadel-bench echo's line).

The cost ratio is paired per round (paired.py): each citadel run is divided
by the yardstick measured in the same round, and the summary is the median
of those per-round ratios.
"""
import json
import sys

import paired

PAIRS_PER_PLAYER_S = 20  # arena: one input read and one state write per tick, 20 Hz


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def metric_delta(run, key):
    a, b = run.get("metrics_before"), run.get("metrics_after")
    if not a or not b or a.get(key) is None or b.get(key) is None:
        return None
    return b[key] - a[key]


def window_metrics(run):
    """The server's room counters over the bench's measured window, from the
    per-second /metrics samples: {"seconds", "ticks", "skipped", "overruns",
    "dropped", "rooms", "hz_per_room"}, or None (no samples, e.g. no admin port)."""
    samples, b = run.get("metrics_samples"), run.get("bench")
    if not samples or not b or run.get("bench_started_at") is None:
        return None
    t0 = run["bench_started_at"] + b["connect_s"] + run.get("warmup_s", 0)
    t1 = t0 + b["duration_s"]
    inside = [s for s in samples if t0 <= s[0] <= t1]
    if len(inside) < 2:
        return None
    (ta, a), (tb, z) = inside[0], inside[-1]
    out = {"seconds": tb - ta, "rooms": z.get("rooms")}
    for key in ("ticks", "skipped", "overruns", "dropped"):
        out[key] = None if a.get(key) is None or z.get(key) is None else z[key] - a[key]
    out["hz_per_room"] = (out["ticks"] / out["rooms"] / out["seconds"]
                          if out["ticks"] is not None and out["rooms"] and out["seconds"] > 0 else None)
    return out


def skipped_ticks(run):
    """Ticks skipped in the window (or, without samples, over the whole run)."""
    w = window_metrics(run)
    if w is not None:
        return w["skipped"]
    return metric_delta(run, "skipped")


def failures(run):
    """Why an arena run misses the capacity bar (empty list: it passes)."""
    b = run.get("bench")
    if not run.get("ok") or not b:
        return [run.get("error") or "no result"]
    why = []
    n = run["players"]
    if b["joined"] < n:
        why.append(f"joined {b['joined']}/{n}")
    if b["disconnects"]:
        why.append(f"{b['disconnects']} disconnects")
    if b["errors"]:
        why.append(f"{b['errors']} errors")
    if b["p99_us"] >= run.get("p99_ms_bar", 60) * 1000:
        why.append(f"p99 {b['p99_us'] / 1000:.1f} ms")
    if b["slow_rooms"] or b["rooms"] == 0:
        why.append(f"{b['slow_rooms']} of {b['rooms']} rooms below 97.5 % of {b['tick_hz']} Hz "
                   f"(min {b['room_hz_min']:.2f})")
    skipped = skipped_ticks(run)
    if skipped:
        why.append(f"{skipped:.0f} ticks skipped" + ("" if window_metrics(run) else " (whole run)"))
    if b.get("interrupted"):
        why.append("interrupted")
    return why


def fmt(x, spec=".1f", none="–"):
    return none if x is None else format(x, spec)


def ms(us):
    return None if us is None else us / 1000


def server_pct_per_1000(b):
    v = b.get("server_cores_per_1000")
    return None if v is None else v * 100


def bench_pct(b):
    if b.get("bench_cpu_s") is None or not b.get("duration_s"):
        return None
    return b["bench_cpu_s"] / b["duration_s"] * 100


def brief(run):
    b = run.get("bench")
    if not b:
        return f"{run['tag']}: FAILED ({run.get('error')})"
    if run.get("server") == "c-ref":
        return f"{run['tag']}: {yard_us_per_pair(run):.2f} us per read+write pair"
    extra = ""
    if b.get("scenario") == "lockstep":
        extra = (f"jitter p50/p99/max {fmt(ms(b['jitter_p50_us']), '.2f')}/"
                 f"{fmt(ms(b['jitter_p99_us']), '.2f')}/{fmt(ms(b['jitter_max_us']), '.2f')} ms, ")
    return (f"{run['tag']}: joined {b['joined']}/{run['players']}, {b['rooms']} rooms "
            f"(min {b['room_hz_min']:.2f} Hz), {extra}p99 {fmt(ms(b['p99_us' if 'p99_us' in b else 'input_p99_us']))} ms, "
            f"disconnects {b['disconnects']}, server {fmt(server_pct_per_1000(b))} % core/1000 players, "
            f"bench CPU {fmt(bench_pct(b), '.0f')} %"
            + (f", storm {b['storm_s']:.3f} s, timeouts {b['join_timeouts']}" if b.get("join_storm") else ""))


def yard_us_per_pair(run):
    b = run.get("bench") or {}
    req = b.get("requests") or 0
    if req <= 0:
        return None
    return run["server_cpu_ticks"] / run["clk_tck"] * 1e6 / req


def capacity_table(runs):
    rows = [r for r in runs if r["part"] == "capacity"]
    if not rows:
        return
    print("## Capacity (each step a fresh server, players held after the warm-up)\n")
    print("| players | joined | rooms | room Hz min (clients) | Hz per room (server) | skipped ticks "
          "| p50 ms | p99 ms | max ms | disconnects | server CPU % / 1,000 players | bench CPU % | verdict |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    best = None
    for r in rows:
        b = r.get("bench")
        why = failures(r)
        if not why:
            best = r["players"]
        if not b:
            print(f"| {r['players']:,} | – | – | – | – | – | – | – | – | – | – | – | FAIL: {why[0]} |")
            continue
        skipped = skipped_ticks(r)
        w = window_metrics(r)
        print(f"| {r['players']:,} | {b['joined']:,} | {b['rooms']} | {b['room_hz_min']:.2f} "
              f"| {fmt(w and w['hz_per_room'], '.2f')} | {fmt(skipped, '.0f')}{'' if w else ' (run)'} | {fmt(ms(b['p50_us']), '.2f')} | {fmt(ms(b['p99_us']), '.2f')} "
              f"| {fmt(ms(b['max_us']), '.1f')} | {b['disconnects']} | {fmt(server_pct_per_1000(b))} "
              f"| {fmt(bench_pct(b), '.0f')} | {'PASS' if not why else 'FAIL: ' + '; '.join(why)} |")
    print(f"\nLargest passing step: **{best if best else 'none'}** players.\n")


def cost_table(runs):
    rows = [r for r in runs if r["part"] == "cost"]
    if not rows:
        return
    print("## Cost at the same traffic (server CPU per 1,000 arena players vs the C echo yardstick)\n")
    print("| round | run | executor_threads | sends | us / read+write pair (yardstick) | % of a core per 1,000 "
          "players | yardstick % for the same traffic | ratio | p99 ms | RSS bytes / player | bench CPU % |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    yards = {}  # round -> the yardstick's % of a core for 1,000 players' traffic
    pcts = {}  # (executor_threads, sends) -> {round: citadel's % of a core per 1,000 players}
    for r in rows:
        # tags: yardstick-r<N>, cost-r<N>-x<E>-<sends>; the round pairs a run with its yardstick
        rnd = r["tag"].split("-")[1] if "-" in r["tag"] else "?"
        if r.get("server") == "c-ref":
            yard = yard_us_per_pair(r) if r.get("ok") else None
            yards[rnd] = None if yard is None else yard * PAIRS_PER_PLAYER_S * 1000 / 1e6 * 100
            print(f"| {rnd} | c-echo-server | – | – | {fmt(yard, '.2f')} | – | "
                  f"{fmt(None if yard is None else yard * PAIRS_PER_PLAYER_S * 1000 / 1e6 * 100)} "
                  f"| – | – | – | – |")
            continue
        b = r.get("bench")
        sends = r.get("sends", "batched")
        if not b:
            print(f"| {rnd} | citadel | {r['executor_threads']} | {sends} | – | FAILED: {r.get('error')} | | | | | |")
            continue
        pct = server_pct_per_1000(b)
        yard_pct = yards.get(rnd)
        ratio = None if pct is None or not yard_pct else pct / yard_pct
        pcts.setdefault((r["executor_threads"], sends), {})[rnd] = pct
        print(f"| {rnd} | citadel | {r['executor_threads']} | {sends} | – | {fmt(pct)} | {fmt(yard_pct)} "
              f"| {fmt(ratio, '.2f')}× | {fmt(ms(b['p99_us']), '.2f')} "
              f"| {fmt(b.get('rss_per_player_bytes'), ',.0f')} | {fmt(bench_pct(b), '.0f')} |")
    for (e, sends), by_round in sorted(pcts.items()):
        rs = paired.round_ratios(by_round, yards)
        if not rs:
            continue
        print(f"\nexecutor_threads {e}, {sends} sends: ratio to the yardstick of the same round, "
              f"median of {len(rs)} rounds ({', '.join(f'{v:.2f}' for _, v in rs)}): "
              f"**{paired.median_ratio(by_round, yards):.2f}×** (bar: 1.5×)")
    # Two kinds of citadel run in the same rounds (executors or sends): their ratio, paired too.
    keys = sorted(pcts)
    for other in keys[1:]:
        rs = paired.round_ratios(pcts[other], pcts[keys[0]])
        if rs:
            print(f"\nexecutor_threads {other[0]}, {other[1]} sends against executor_threads "
                  f"{keys[0][0]}, {keys[0][1]} sends, same round: median of "
                  f"({', '.join(f'{v:.2f}' for _, v in rs)}) = "
                  f"**{paired.median_ratio(pcts[other], pcts[keys[0]]):.2f}×** the CPU")
    print()


def storm_table(runs):
    rows = [r for r in runs if r["part"] == "storm"]
    if not rows:
        return
    print("## Join storm (everyone logged in first, then every RoomJoin within 1 s)\n")
    print("| players | joins sent | joined | refused | timed out | first join -> last reply s "
          "| join p50 ms | join p99 ms | join max ms | disconnects | then p99 input-to-ack ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        b = r.get("bench")
        if not b:
            print(f"| {r['players']:,} | FAILED: {r.get('error')} |||||||||| |")
            continue
        print(f"| {r['players']:,} | {b['joins_sent']:,} | {b['joined']:,} | {b['joins_refused']} "
              f"| {b['join_timeouts']} | {b['storm_s']:.3f} | {fmt(ms(b['join_p50_us']), '.1f')} "
              f"| {fmt(ms(b['join_p99_us']), '.1f')} | {fmt(ms(b['join_max_us']), '.1f')} "
              f"| {b['disconnects']} | {fmt(ms(b['p99_us']), '.2f')} |")
    print()


def lockstep_table(runs):
    print("| run | players | rooms | room Hz min | frames / player / s | missing frames "
          "| jitter p50 ms | jitter p99 ms | jitter max ms | input->frame p99 ms | server CPU % / 1,000 "
          "players | bench CPU % | disconnects |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        b = r.get("bench")
        if not b:
            print(f"| {r['tag']} | {r['players']} | FAILED: {r.get('error')} |||||||||||")
            continue
        print(f"| {r['tag']} (x{r['executor_threads']}) | {b['joined']:,} | {b['rooms']} "
              f"| {b['room_hz_min']:.2f} | {b['frames_per_player_s']:.2f} | {b['frame_gaps']} "
              f"| {fmt(ms(b['jitter_p50_us']), '.2f')} | {fmt(ms(b['jitter_p99_us']), '.2f')} "
              f"| {fmt(ms(b['jitter_max_us']), '.2f')} | {fmt(ms(b['input_p99_us']), '.2f')} "
              f"| {fmt(server_pct_per_1000(b))} | {fmt(bench_pct(b), '.0f')} | {b['disconnects']} |")
    print()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, arg = argv[1], argv[2]
    if mode == "verdict":
        return 0 if not failures(json.loads(arg)) else 1
    if mode == "brief":
        print(brief(json.loads(arg)))
        return 0
    runs = load(arg)
    if mode == "arena":
        capacity_table(runs)
        cost_table(runs)
        storm_table(runs)
        return 0
    if mode == "lockstep":
        lockstep_table(runs)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
