#!/usr/bin/env python3
"""Markdown tables for bench/run-storage.sh from its raw JSON lines.

  summarize_storage.py brief JSON        one line for the progress log
  summarize_storage.py report RAW.jsonl  per round; medians per mode; ratios
                                         to write-through per round

SQLite and write-behind are compared with PostgreSQL write-through measured
in the same round (paired.py): the ratio within each round, then the median
of those. Other figures are medians of the figure itself over the rounds.
"""
import json
import statistics
import sys

import paired

REFERENCE = "pg-through"
MODES = ("sqlite", "pg-through", "pg-behind")
LABEL = {"sqlite": "SQLite (embedded)", "pg-through": "PostgreSQL write-through (reference)",
         "pg-behind": "PostgreSQL write-behind"}


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


def refused_text(result):
    return ", ".join(f"{k} {v}" for k, v in result["refused_by_result"].items()) or "none"


def brief(result):
    return (f"{result['ops_per_s']:,.0f} ops/s ({result['writes_per_s']:,.0f} writes/s, "
            f"{result['reads_per_s']:,.0f} reads/s), p50 {result['p50_us']:.0f} us, "
            f"p99 {result['p99_us']:.0f} us, p99.9 {result['p999_us']:.0f} us, server CPU "
            f"{fmt(result.get('server_cpu_us_per_op'), 2)} us/op, refused "
            f"{refused_text(result)}, disconnects {result['disconnects']}"
            + (f", open loop at {result['rate']:,.0f}/s offered, {result['missed']} missed"
               if result.get("rate") else ""))


def by_round(rows, mode, key):
    """round -> figure, for the mode's good rows of the measured rounds."""
    return {r["round"]: r["result"].get(key) for r in rows
            if r["mode"] == mode and r["ok"] and r["round"] > 0}


def per_op(row, key, ops_key="requests_sent"):
    """A process's figure (CPU s, syscalls) per request sent, or None."""
    sent = row["result"][ops_key] if row["result"] else 0
    return row[key] / sent if row.get(key) is not None and sent else None


def report(rows):
    measured = [r for r in rows if r["round"] > 0]
    for r in measured:  # PostgreSQL's CPU per request sent, beside the server's
        cpu = per_op(r, "postgres_cpu_s")
        if r["result"]:
            r["result"]["postgres_cpu_us_per_op"] = None if cpu is None else cpu * 1e6
    rounds = sorted({r["round"] for r in measured})
    out = ["| round | mode | ops/s | p50 us | p99 us | p99.9 us | server CPU us/op "
           "| PostgreSQL CPU us/op | refused | disconnects |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for rnd in rounds:
        for r in [r for r in measured if r["round"] == rnd]:
            if not r["ok"]:
                out.append(f"| {rnd} | {r['mode']} | failed: {r['error']} | | | | | | | |")
                continue
            x = r["result"]
            out.append(f"| {rnd} | {r['mode']} | {x['ops_per_s']:,.0f} | {x['p50_us']:.0f} "
                       f"| {x['p99_us']:.0f} | {x['p999_us']:.0f} "
                       f"| {fmt(x.get('server_cpu_us_per_op'), 2)} "
                       f"| {fmt(x.get('postgres_cpu_us_per_op'), 2)} | {refused_text(x)} "
                       f"| {x['disconnects']} |")
    out += ["", "Medians over the rounds:", "",
            "| mode | ops/s | writes/s | reads/s | p50 us | p99 us | p99.9 us "
            "| server CPU us/op | rounds |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in MODES:
        med = {k: median(by_round(measured, mode, k).values())
               for k in ("ops_per_s", "writes_per_s", "reads_per_s", "p50_us", "p99_us",
                         "p999_us", "server_cpu_us_per_op")}
        n = len([v for v in by_round(measured, mode, "ops_per_s").values() if v is not None])
        out.append(f"| {LABEL[mode]} | {fmt(med['ops_per_s'], 0)} | {fmt(med['writes_per_s'], 0)} "
                   f"| {fmt(med['reads_per_s'], 0)} | {fmt(med['p50_us'], 0)} "
                   f"| {fmt(med['p99_us'], 0)} | {fmt(med['p999_us'], 0)} "
                   f"| {fmt(med['server_cpu_us_per_op'], 2)} | {n} |")
    out += ["", "Each mode / PostgreSQL write-through, the median of the per-round ratios:", "",
            "| mode | figure | per round | median |", "|---|---|---|---:|"]
    for mode in MODES:
        if mode == REFERENCE:
            continue
        for key, name in (("ops_per_s", "ops/s"), ("p50_us", "p50"), ("p99_us", "p99"),
                          ("server_cpu_us_per_op", "server CPU per op")):
            subject, ref = by_round(measured, mode, key), by_round(measured, REFERENCE, key)
            per = paired.round_ratios(subject, ref)
            out.append(f"| {LABEL[mode]} | {name} "
                       f"| {', '.join(f'r{r}: {v:.2f}' for r, v in per) or '-'} "
                       f"| {fmt(paired.median_ratio(subject, ref), 2)} |")
    behind = [r for r in measured if r["mode"] == "pg-behind" and r["ok"]
              and r.get("wb_pending_at_end") is not None]
    if behind:
        out += ["", "Write-behind's outbox when the load stopped (admin /metrics), and the "
                "time the writers took to flush it:", "",
                "| round | requests sent | not yet in PostgreSQL | flush lag s | drained in s |",
                "|---|---:|---:|---:|---:|"]
        for r in behind:
            out.append(f"| {r['round']} | {r['result']['requests_sent']:,} "
                       f"| {r['wb_pending_at_end']:,} | {fmt(r.get('wb_lag_at_end_s'), 2)} "
                       f"| {fmt(r.get('wb_drain_s'), 2)} |")
    traced = [r for r in rows if r["round"] == 0 and r["ok"] and r.get("strace")]
    if traced:
        out += ["", "System calls per request sent (strace -c -f over a whole extra run, logins "
                "included; strace slows the processes, so these runs are not in the table):", "",
                "| mode | requests sent | citadel syscalls/op | citadel's most called "
                "| PostgreSQL syscalls/op | PostgreSQL's most called |",
                "|---|---:|---:|---|---:|---|"]
        for r in traced:
            def each(key):
                v = per_op(r, key)
                return f"{v:.2f}" if v is not None else "-"
            out.append(f"| {LABEL[r['mode']]} | {r['result']['requests_sent']:,} "
                       f"| {each('server_syscalls')} | {r.get('server_top', '')} "
                       f"| {each('postgres_syscalls')} | {r.get('postgres_top', '-')} |")
    print("\n".join(out))
    return 0


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
