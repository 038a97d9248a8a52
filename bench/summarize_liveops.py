#!/usr/bin/env python3
"""Turns the raw JSON lines of the live-operations benchmarks (issue 16) into markdown.

  summarize_liveops.py brief LINE           one progress line for one window or run
  summarize_liveops.py ops RAW.jsonl        run-live-ops.sh: quiet vs ops windows
  summarize_liveops.py restart RAW.jsonl    run-restart.sh: kill -9, restart, resume
  summarize_liveops.py snapshot RAW.jsonl   run-snapshot-cost.sh: CPU with and without snapshots

Standard library only. A live-ops line is {"part":"live-ops", "kind":
"quiet"|"ops", "round", "ok", "error", "players", "window": [start, end]
(Unix s), "ops": [{"t","op","http","s","body"}], "metrics_samples": [[t,
{"ticks","skipped","overruns",...}]], "bench": <citadel-bench arena's line>}.

Ratios are paired per round (paired.py): each ops window against the quiet
window of its own round, and the summary is the median of those ratios.
"""
import json
import sys

import paired


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def fmt(x, spec=".1f", none="–"):
    return none if x is None else format(x, spec)


def ms(us):
    return None if us is None else us / 1000


def window_counters(run):
    """Server counters over the bench's measured window, from the /metrics
    samples inside it: {"ticks","skipped","overruns","seconds"} or None."""
    samples, w = run.get("metrics_samples"), run.get("window")
    if not samples or not w:
        return None
    inside = [s for s in samples if w[0] <= s[0] <= w[1]]
    if len(inside) < 2:
        return None
    (ta, a), (tb, z) = inside[0], inside[-1]
    out = {"seconds": tb - ta}
    for key in ("ticks", "skipped", "overruns"):
        out[key] = None if a.get(key) is None or z.get(key) is None else z[key] - a[key]
    return out


def ops_summary(run):
    """(done, ok, by kind {op: [ok, total]}, slowest answer s) of a window's operations."""
    ops = run.get("ops") or []
    kinds = {}
    ok = 0
    for o in ops:
        good = o.get("http") == 200 and "'ok':true" in o.get("body", "")
        ok += good
        k = kinds.setdefault(o.get("op", "?"), [0, 0])
        k[0] += good
        k[1] += 1
    slowest = max((o.get("s") or 0 for o in ops), default=None)
    return len(ops), ok, kinds, slowest


def brief(run):
    b = run.get("bench")
    if run.get("part") == "restart":
        return restart_brief(run)
    if run.get("part") == "snapshot":
        return (f"snapshot_every_ticks {run.get('snapshot_every_ticks')} r{run.get('round')}: "
                + ("FAILED: " + str(run.get("error")) if not b else
                   f"{fmt(pct_per_1000(b))} % of a core per 1,000 players, p99 "
                   f"{fmt(ms(b.get('p99_us')))} ms"))
    if not b:
        return f"{run.get('kind')} r{run.get('round')}: FAILED ({run.get('error')})"
    w = window_counters(run)
    done, ok, _, slowest = ops_summary(run)
    return (f"{run['kind']} r{run['round']}: joined {b['joined']}/{run['players']}, p50/p99 "
            f"{fmt(ms(b['p50_us']))}/{fmt(ms(b['p99_us']))} ms, disconnects {b['disconnects']}, "
            f"skipped {fmt(w and w['skipped'], '.0f')}, overruns {fmt(w and w['overruns'], '.0f')}, "
            f"tick gaps {b.get('tick_gaps', '–')}, slow rooms {b['slow_rooms']}"
            + (f", ops {ok}/{done} ok (slowest {slowest:.3f} s)" if done else ""))


def ops_table(runs):
    rows = [r for r in runs if r.get("part") == "live-ops"]
    print("| round | window | joined | rooms | room Hz min | p50 ms | p99 ms | max ms | disconnects "
          "| skipped ticks (server) | tick overruns (server) | tick gaps (clients) | server % core / "
          "1,000 | operations ok / done | slowest answer s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    p99 = {"quiet": {}, "ops": {}}
    p50 = {"quiet": {}, "ops": {}}
    p999 = {"quiet": {}, "ops": {}}
    top = {"quiet": {}, "ops": {}}
    totals = {"ops_done": 0, "ops_ok": 0, "disconnects": 0, "skipped": 0, "gaps": 0,
              "kinds": {}}
    for r in rows:
        b = r.get("bench")
        kind, rnd = r["kind"], r["round"]
        if not b:
            print(f"| {rnd} | {kind} | FAILED: {r.get('error')} |||||||||||||")
            continue
        w = window_counters(r)
        done, ok, kinds, slowest = ops_summary(r)
        p99[kind][rnd] = b["p99_us"]
        p50[kind][rnd] = b["p50_us"]
        p999[kind][rnd] = b.get("p999_us")
        top[kind][rnd] = b.get("max_us")
        if kind == "ops":
            totals["ops_done"] += done
            totals["ops_ok"] += ok
            for k, (good, n) in kinds.items():
                t = totals["kinds"].setdefault(k, [0, 0])
                t[0] += good
                t[1] += n
        totals["disconnects"] += b["disconnects"]
        totals["skipped"] += (w and w["skipped"]) or 0
        totals["gaps"] += b.get("tick_gaps") or 0
        kinds_txt = ", ".join(f"{k} {g}/{n}" for k, (g, n) in sorted(kinds.items()))
        print(f"| {rnd} | {kind} | {b['joined']:,} | {b['rooms']} | {b['room_hz_min']:.2f} "
              f"| {fmt(ms(b['p50_us']), '.2f')} | {fmt(ms(b['p99_us']), '.2f')} "
              f"| {fmt(ms(b['max_us']), '.1f')} | {b['disconnects']} "
              f"| {fmt(w and w['skipped'], '.0f')} | {fmt(w and w['overruns'], '.0f')} "
              f"| {b.get('tick_gaps', '–')} | {fmt(pct_per_1000(b))} "
              f"| {f'{ok} / {done} ({kinds_txt})' if done else '–'} | {fmt(slowest, '.3f')} |")
    plugin_rooms_line(runs)
    rs = paired.round_ratios(p99["ops"], p99["quiet"])
    rs50 = paired.round_ratios(p50["ops"], p50["quiet"])
    print()
    kinds_txt = ", ".join(f"{k} {g}/{n}" for k, (g, n) in sorted(totals["kinds"].items()))
    print(f"Operations in the ops windows: {totals['ops_ok']} of {totals['ops_done']} answered ok"
          + (f" ({kinds_txt})" if kinds_txt else "") + ". Over every window: "
          f"{totals['disconnects']} disconnects, {totals['skipped']:.0f} ticks skipped (server), "
          f"{totals['gaps']} tick numbers missing at the clients.")
    if rs:
        print(f"\np99 input-to-ack, ops / quiet of the same round: "
              f"{', '.join(f'r{k} {v:.3f}' for k, v in rs)}; median **{paired.median_ratio(p99['ops'], p99['quiet']):.3f}×**"
              + (f" (p50: median {paired.median_ratio(p50['ops'], p50['quiet']):.3f}×)" if rs50 else ""))
        for name, figures in (("p99.9", p999), ("max", top)):
            rr = paired.round_ratios(figures["ops"], figures["quiet"])
            if rr:
                print(f"\n{name} input-to-ack, ops / quiet: {', '.join(f'r{k} {v:.3f}' for k, v in rr)}; "
                      f"median {paired.median_ratio(figures['ops'], figures['quiet']):.3f}×")
    print()


def plugin_rooms_line(runs):
    """The players held in plugin rooms for the whole run, and /plugins at the end."""
    rows = [r for r in runs if r.get("part") == "plugin-rooms"]
    if not rows:
        return
    r = rows[-1]
    b, p = r.get("bench"), r.get("plugins")
    print()
    if b:
        print(f"Plugin rooms: {b['joined']} of {r['players']} players seated in "
              f"`{b.get('room_type', 'counter')}` rooms for the whole run, "
              f"{b['disconnects']} disconnects.", end="")
    else:
        print(f"Plugin rooms: {r['players']} players, no result from their bench.", end="")
    if p:
        print(f" /plugins at the end: {p.get('swaps')} swaps, {p.get('unloaded')} versions "
              f"unloaded, {p.get('load_failures')} load failures", end="")
        for t in p.get("types", []):
            vs = t.get("versions", [])
            loads = {}
            for v in vs:
                loads[v["version"]] = loads.get(v["version"], 0) + 1
            # The versions that did something (rooms, ticks) or are still loaded, in load order.
            busy = ", ".join(f"{v['version']}: {v['rooms']} rooms, {v['ticks']} ticks, "
                             f"{v['overruns']} overruns, {v['faults']} faults"
                             for v in vs if v.get("rooms") or v.get("ticks"))
            print(f"; `{t['name']}` runs {t['version']}; {len(vs)} loads "
                  f"({', '.join(f'{k} x{n}' for k, n in sorted(loads.items()))}), "
                  f"{sum(1 for v in vs if not v.get('loaded'))} of them unloaded since"
                  + (f"; with rooms: {busy}" if busy else ""), end="")
    print(".")


def pct_per_1000(b):
    v = b.get("server_cores_per_1000")
    return None if v is None else v * 100


def restart_brief(run):
    if not run.get("ok"):
        return f"restart r{run.get('round')}: FAILED ({run.get('error')})"
    b = run.get("bench") or {}
    return (f"restart r{run.get('round')} ({run.get('mode', 'kill')}): serving again "
            f"{fmt(run.get('restart_s'), '.3f')} s after kill -9; resumed {b.get('resumed', '–')}/{b.get('players', '–')}, lost "
            f"{b.get('resume_lost', '–')} (refused: {b.get('resume_refused_by_result', '')}); gap p50/p99/max "
            f"{fmt(ms(b.get('gap_p50_us')), '.0f')}/{fmt(ms(b.get('gap_p99_us')), '.0f')}/"
            f"{fmt(ms(b.get('gap_max_us')), '.0f')} ms")


def restart_table(runs):
    rows = [r for r in runs if r.get("part") == "restart"]
    print("| round | players in (joined) | kill -9 -> listening s | kill -9 -> serving s "
          "(connect + answer) | resumed | lost | refusals | gap p50 ms | gap p99 ms | gap max ms "
          "| under 2 s |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
    for r in rows:
        b = r.get("bench") or {}
        if not r.get("ok") and not b:
            print(f"| {r.get('round')} | FAILED: {r.get('error')} ||||||||||")
            continue
        lost = b.get("resume_lost")
        back = bool(b.get("resumed"))  # no gap figures without a player back
        gap = {k: ms(b.get(f"gap_{k}_us")) if back else None for k in ("p50", "p99", "max")}
        gap_max = gap["max"]
        refusals = ", ".join(f"{k} {v}" for k, v in (b.get("resume_refused_by_result") or {}).items())
        drop = r.get("mode") == "drop"  # the server stayed up: no restart time to meet
        verdict = ("yes" if lost == 0 and gap_max is not None and gap_max < 2000
                   and (drop or (r.get("restart_s") or 99) < 2) else "no")
        print(f"| {r.get('round')}{' (drop)' if drop else ''} | {b.get('joined', '–')} "
              f"| {fmt(r.get('listen_s'), '.3f')} | {fmt(r.get('restart_s'), '.3f')} "
              f"| {b.get('resumed', '–')} | {fmt(lost, 'd')} | {refusals or '–'} "
              f"| {fmt(gap['p50'], '.0f')} | {fmt(gap['p99'], '.0f')} "
              f"| {fmt(gap_max, '.0f')} | {verdict} |")
    print()


def snapshot_table(runs):
    rows = [r for r in runs if r.get("part") == "snapshot"]
    print("| round | recovery.snapshot_every_ticks | joined | server % of a core per 1,000 players "
          "| p99 ms | disconnects |")
    print("|---|---:|---:|---:|---:|---:|")
    by = {}
    for r in rows:
        b = r.get("bench")
        every = r.get("snapshot_every_ticks")
        if not b:
            print(f"| {r.get('round')} | {every} | FAILED: {r.get('error')} |||")
            continue
        by.setdefault(every, {})[r["round"]] = pct_per_1000(b)
        print(f"| {r['round']} | {every} | {b['joined']:,} | {fmt(pct_per_1000(b))} "
              f"| {fmt(ms(b['p99_us']), '.2f')} | {b['disconnects']} |")
    print()
    off = by.get(0)
    for every, figures in sorted(by.items()):
        if every == 0 or not off:
            continue
        rs = paired.round_ratios(figures, off)
        ds = paired.round_differences(figures, off)
        if rs:
            print(f"snapshot_every_ticks {every} against 0, same round: ratios "
                  f"{', '.join(f'r{k} {v:.3f}' for k, v in rs)}; median "
                  f"**{paired.median_ratio(figures, off):.3f}×** the CPU, "
                  f"{paired.median_difference(figures, off):+.2f} points of a core per 1,000 players"
                  f" (median of {len(ds)} per-round differences)")
    print()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, arg = argv[1], argv[2]
    if mode == "brief":
        print(brief(json.loads(arg)))
        return 0
    runs = load(arg)
    if mode == "ops":
        ops_table(runs)
    elif mode == "restart":
        restart_table(runs)
    elif mode == "snapshot":
        snapshot_table(runs)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
