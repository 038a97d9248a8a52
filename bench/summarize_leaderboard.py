#!/usr/bin/env python3
"""Markdown tables for bench/run-leaderboard.sh from its raw JSON lines.

  summarize_leaderboard.py brief JSON        one line for the progress log
  summarize_leaderboard.py report RAW.jsonl  per mode: medians; Redis / in-process per round

Exit code 0, or 1 when the bar of issue 17 is not met through Redis
(>= 125,000 submits/s with p99 <= 1.7 ms; the table says which).

Redis is compared with the in-process reference measured in the same round
(paired.py): the ratio within each round, then the median of those. Other
figures are medians of the figure itself over the rounds.
"""
import json
import statistics
import sys

import paired

SUBMITS_BAR = 125000  # submits/s through Redis (3x the design's 41.6k)
P99_BAR_US = 1700.0
MODES = ("inproc", "redis")
LABEL = {"inproc": "in process (reference)", "redis": "Redis"}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def brief(result):
    return (f"{result['submits_per_s']:,.0f} submits/s, p50 {result['p50_us']:.0f} us, "
            f"p99 {result['p99_us']:.0f} us, server CPU "
            f"{fmt(result.get('server_cpu_us_per_submit'), 2)} us/submit, refused "
            f"{result['submits_refused']}, disconnects {result['disconnects']}"
            + (f", missed {result['missed']}" if result.get("rate") else ""))


def by_round(rows, mode, key):
    """round -> figure, for the mode's good rows of the measured rounds."""
    return {r["round"]: r["result"].get(key) for r in rows
            if r["mode"] == mode and r["ok"] and r["round"] > 0}


def report(rows):
    measured = [r for r in rows if r["round"] > 0]
    rounds = sorted({r["round"] for r in measured})
    out = []
    out.append("| round | mode | submits/s | p50 us | p99 us | p99.9 us | server CPU us/submit "
               "| refused | disconnects | missed (open loop) |")
    out.append("|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for rnd in rounds:
        for r in [r for r in measured if r["round"] == rnd]:
            if not r["ok"]:
                out.append(f"| {rnd} | {r['mode']} | failed: {r['error']} | | | | | | | |")
                continue
            x = r["result"]
            refused = ", ".join(f"{k} {v}" for k, v in x["refused_by_result"].items()) or "none"
            out.append(f"| {rnd} | {r['mode']} | {x['submits_per_s']:,.0f} | {x['p50_us']:.0f} "
                       f"| {x['p99_us']:.0f} | {x['p999_us']:.0f} "
                       f"| {fmt(x.get('server_cpu_us_per_submit'), 2)} | {refused} "
                       f"| {x['disconnects']} | {x['missed'] if x.get('rate') else '-'} |")
    out.append("")
    redis_cpu = {r["round"]: r["redis_cpu_s"] * 1e6 / r["result"]["submits_sent"]
                 for r in measured if r["mode"] == "redis" and r["ok"]
                 and r.get("redis_cpu_s") is not None and r["result"]["submits_sent"]}
    if redis_cpu:
        out.append("redis-server CPU per submit sent (whole bench run): "
                   + ", ".join(f"r{k}: {v:.2f} us" for k, v in sorted(redis_cpu.items()))
                   + f"; median {median(redis_cpu.values()):.2f} us.")
        out.append("")
    out.append("Medians over the rounds:")
    out.append("")
    out.append("| mode | submits/s | p50 us | p99 us | server CPU us/submit | rounds |")
    out.append("|---|---:|---:|---:|---:|---:|")
    med = {}
    for mode in MODES:
        rate = median(by_round(measured, mode, "submits_per_s").values())
        p50 = median(by_round(measured, mode, "p50_us").values())
        p99 = median(by_round(measured, mode, "p99_us").values())
        cpu = median(by_round(measured, mode, "server_cpu_us_per_submit").values())
        n = len([v for v in by_round(measured, mode, "submits_per_s").values() if v is not None])
        med[mode] = (rate, p99)
        out.append(f"| {LABEL[mode]} | {fmt(rate, 0)} | {fmt(p50, 0)} | {fmt(p99, 0)} "
                   f"| {fmt(cpu, 2)} | {n} |")
    out.append("")
    out.append("Redis / in process, the median of the per-round ratios:")
    out.append("")
    out.append("| figure | per round | median |")
    out.append("|---|---|---:|")
    for key, name in (("submits_per_s", "submits/s"), ("p50_us", "p50"), ("p99_us", "p99"),
                      ("server_cpu_us_per_submit", "server CPU per submit")):
        subject, ref = by_round(measured, "redis", key), by_round(measured, "inproc", key)
        per = paired.round_ratios(subject, ref)
        ratio = paired.median_ratio(subject, ref)
        out.append(f"| {name} | {', '.join(f'r{r}: {v:.2f}' for r, v in per) or '-'} "
                   f"| {fmt(ratio, 2)} |")
    traced = [r for r in rows if r["round"] == 0 and r["ok"] and r.get("strace")]
    if traced:
        out.append("")
        out.append("System calls per submit (strace -c -f over a whole extra run, logins "
                   "included; strace slows the processes, so these runs are not in the table):")
        out.append("")
        out.append("| mode | submits sent | citadel syscalls/submit | redis-server syscalls/submit |")
        out.append("|---|---:|---:|---:|")
        for r in traced:
            sent = r["result"]["submits_sent"]
            per = lambda n: f"{n / sent:.2f}" if n is not None and sent else "-"
            out.append(f"| {LABEL[r['mode']]} | {sent:,} | {per(r.get('server_syscalls'))} "
                       f"| {per(r.get('redis_syscalls'))} |")
    rate, p99 = med["redis"]
    # In an open loop a missed submit is one the server could not take in
    # time: the rate counts only if none was missed.
    missed = median(by_round(measured, "redis", "missed").values()) or 0
    met = (rate is not None and p99 is not None and rate >= SUBMITS_BAR and p99 <= P99_BAR_US
           and missed == 0)
    out.append("")
    out.append(f"Bar (issue 17, through Redis): >= {SUBMITS_BAR:,} submits/s at p99 <= "
               f"{P99_BAR_US / 1000:.1f} ms: **{'met' if met else 'NOT met'}** (median "
               f"{fmt(rate, 0)} submits/s, p99 {fmt(p99, 0)} us).")
    print("\n".join(out))
    return 0 if met else 1


def main(argv):
    if len(argv) == 3 and argv[1] == "brief":
        print(brief(json.loads(argv[2])))
        return 0
    if len(argv) == 3 and argv[1] == "report":
        return report(load(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
