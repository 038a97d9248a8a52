#!/usr/bin/env python3
"""Summarises bench/run-login-burst.sh's raw JSON lines (one per run).

Per mode: each run's figures; then grouped against per-login, round by round
(paired.py: the median of the per-round ratios or differences).
Usage: summarize_login_burst.py RAW.jsonl
"""
import sys

from paired import median_difference, median_ratio
from summarize_rooms import fmt, load


def by_round(runs, mode, key):
    return {r["round"]: r.get(key) for r in runs if r["mode"] == mode}


def main():
    runs = load(sys.argv[1])
    print("| round | mode | logins answered | record writes sent | written / failed | login p50 / p99 ms "
          "| probe renewals: answered, p50 / p99 / max ms | renewals failed (probe / keeper) "
          "| lease lost | etcd CPU s |")
    print("|---:|---|---:|---:|---|---|---|---|---|---:|")
    for r in sorted(runs, key=lambda r: (r["round"], r["mode"])):
        print(f"| {r['round']} | {r['mode']} | {r['answered']:,} | {r['etcd_writes']:,} "
              f"| {r['records_written']:,} / {r['write_failures']:,} "
              f"| {r['login_p50_ms']:.1f} / {r['login_p99_ms']:.1f} "
              f"| {r['renewals']}, {r['renewal_p50_ms']:.1f} / {r['renewal_p99_ms']:.1f} / {r['renewal_max_ms']:.1f} "
              f"| {r['probe_failures']} / {r['keeper_renewal_failures']} "
              f"| {'**yes**' if r['lease_lost'] else 'no'} | {r['etcd_cpu_s']:.2f} |")
    print()
    lost = {m: sum(1 for r in runs if r["mode"] == m and r["lease_lost"]) for m in ("grouped", "per-login")}
    count = {m: sum(1 for r in runs if r["mode"] == m) for m in ("grouped", "per-login")}
    print(f"- leases lost: grouped {lost['grouped']} of {count['grouped']} runs, "
          f"per-login {lost['per-login']} of {count['per-login']}")
    for key, label, spec in (("renewal_p99_ms", "renewal p99", ".2f"),
                             ("renewal_max_ms", "renewal max", ".2f"),
                             ("login_p99_ms", "login p99", ".2f"),
                             ("etcd_cpu_s", "etcd CPU", ".2f"),
                             ("etcd_writes", "record writes sent", ".4f")):
        ratio = median_ratio(by_round(runs, "grouped", key), by_round(runs, "per-login", key))
        diff = median_difference(by_round(runs, "grouped", key), by_round(runs, "per-login", key))
        print(f"- {label}, grouped / per-login (median of per-round ratios): **{fmt(ratio, spec)}×** "
              f"(difference {fmt(diff, '.2f')})")


if __name__ == "__main__":
    main()
