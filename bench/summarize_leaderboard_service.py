#!/usr/bin/env python3
"""Markdown tables for bench/run-leaderboard-service.sh from its raw JSON lines.

  summarize_leaderboard_service.py brief JSON        one line for the progress log
  summarize_leaderboard_service.py report RAW.jsonl  per round; medians; Redis / in process

Exit code 0, or 1 when issue 17's bar through Redis is missed: the offered
rate (>= 125,000 submits/s) sustained with p99 <= 1.7 ms and no failure.
Ratios are per round, then the median (paired.py), like every bench here.
"""
import json
import statistics
import sys

import paired

RATE_BAR = 125000
P99_BAR_US = 1700.0
MODES = ("inproc", "redis")
LABEL = {"inproc": "in process (reference)", "redis": "Redis"}


def brief(x):
    return (f"{x['submits_per_s']:,.0f} submits/s of {x['rate']:,.0f} offered, p50 "
            f"{x['p50_us']:,.0f} us, p99 {x['p99_us']:,.0f} us, p99.9 {x['p999_us']:,.0f} us, "
            f"failed {x['failed']}, {x['cpu_us_per_submit']:.2f} us CPU/submit")


def report(rows):
    measured = [r for r in rows if r["ok"] and r["result"]]
    out = ["| round | backend | submits/s | p50 us | p99 us | p99.9 us | max us | failed "
           "| bench CPU us/submit | redis-server CPU s |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if not r["ok"] or not r["result"]:
            out.append(f"| {r['round']} | {r['mode']} | failed: {r['error']} | | | | | | | |")
            continue
        x = r["result"]
        out.append(f"| {r['round']} | {r['mode']} | {x['submits_per_s']:,.0f} | {x['p50_us']:,.0f} "
                   f"| {x['p99_us']:,.0f} | {x['p999_us']:,.0f} | {x['max_us']:,.0f} "
                   f"| {x['failed']} | {x['cpu_us_per_submit']:.2f} "
                   f"| {r.get('redis_cpu_s', '-')} |")
    out.append("")

    def by_round(mode, key):
        return {r["round"]: r["result"][key] for r in measured if r["mode"] == mode}

    out.append("Medians over the rounds:")
    out.append("")
    out.append("| backend | submits/s | p50 us | p99 us | p99.9 us | bench CPU us/submit |")
    out.append("|---|---:|---:|---:|---:|---:|")
    med = {}
    for mode in MODES:
        m = {k: (statistics.median(by_round(mode, k).values()) if by_round(mode, k) else None)
             for k in ("submits_per_s", "p50_us", "p99_us", "p999_us", "cpu_us_per_submit")}
        med[mode] = m
        cell = lambda v, d=0: "-" if v is None else f"{v:,.{d}f}"
        out.append(f"| {LABEL[mode]} | {cell(m['submits_per_s'])} | {cell(m['p50_us'])} "
                   f"| {cell(m['p99_us'])} | {cell(m['p999_us'])} "
                   f"| {cell(m['cpu_us_per_submit'], 2)} |")
    out.append("")
    out.append("Redis / in process, the median of the per-round ratios:")
    out.append("")
    out.append("| figure | per round | median |")
    out.append("|---|---|---:|")
    for key, name in (("submits_per_s", "submits/s"), ("p50_us", "p50"), ("p99_us", "p99"),
                      ("cpu_us_per_submit", "bench CPU per submit")):
        subject, ref = by_round("redis", key), by_round("inproc", key)
        per = paired.round_ratios(subject, ref)
        ratio = paired.median_ratio(subject, ref)
        out.append(f"| {name} | {', '.join(f'r{r}: {v:.2f}' for r, v in per) or '-'} "
                   f"| {'-' if ratio is None else f'{ratio:.2f}'} |")
    redis_rows = [r for r in measured if r["mode"] == "redis"]
    failed = sum(r["result"]["failed"] for r in redis_rows)
    m = med["redis"]
    offered = redis_rows[0]["result"]["rate"] if redis_rows else 0
    met = (bool(redis_rows) and offered >= RATE_BAR and m["p99_us"] is not None
           and m["p99_us"] <= P99_BAR_US and m["submits_per_s"] >= 0.99 * offered and failed == 0)
    out.append("")
    out.append(f"Bar (issue 17, through Redis): {RATE_BAR:,} submits/s sustained at p99 <= "
               f"{P99_BAR_US / 1000:.1f} ms: **{'met' if met else 'NOT met'}** (offered "
               f"{offered:,.0f}/s; median {m['submits_per_s'] or 0:,.0f}/s completed, p99 "
               f"{m['p99_us'] or 0:,.0f} us, {failed} failed).")
    print("\n".join(out))
    return 0 if met else 1


def main(argv):
    if len(argv) == 3 and argv[1] == "brief":
        print(brief(json.loads(argv[2])))
        return 0
    if len(argv) == 3 and argv[1] == "report":
        with open(argv[2]) as f:
            return report([json.loads(line) for line in f if line.strip()])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
