#!/usr/bin/env python3
"""Turns the raw JSON lines of bench/run-transports.sh into markdown.

  summarize_transports.py RAW.jsonl

Echo: per case, each subject's medians (req/s, latency, server CPU per
request), its ratios to citadel over raw TCP and to c-ref (each the median
of the per-round ratios, paired.py), and the server's syscalls per request
from the syscall-count runs. Memory: RSS per idle connection per transport,
and each transport's difference from tcp, paired per round the same way.

Standard library only.
"""
import statistics
import sys

import paired
from summarize import cpu_us_per_request, fmt_cpu, fmt_int, fmt_ratio, fmt_us, load_lines, \
    median_of, size_label

SUBJECT_ORDER = ["tcp", "ws", "tls", "wss", "c-ref"]
REFERENCE = "tcp"      # citadel over raw TCP
YARDSTICK = "c-ref"    # the C epoll server over plain TCP
SYSCALL_KINDS = [      # perf event names (without syscalls:sys_enter_), and their columns
    ("all", "all"),
    ("recvfrom+read", ("recvfrom", "read")),
    ("sendmsg+sendto+write", ("sendmsg", "sendto", "write")),
    ("io_uring_enter", ("io_uring_enter",)),
    ("epoll waits", ("epoll_pwait2", "epoll_wait")),
]


def ordered(names):
    return sorted(names, key=lambda s: SUBJECT_ORDER.index(s) if s in SUBJECT_ORDER else 99)


def syscalls_per_request(run):
    """{column: syscalls per request} from a run's syscall count, or None."""
    sys_ = run.get("syscalls")
    if not sys_:
        return None
    # The count covers window_s seconds inside the run's measured part.
    requests = (sys_["bench"].get("rps") or 0) * sys_.get("window_s", 0)
    if requests <= 0:
        return None
    events = sys_["events"]
    out = {}
    for column, names in SYSCALL_KINDS:
        if names == "all":
            total = events.get("all")
        else:
            found = [events[n] for n in names if n in events]
            total = sum(found) if found else None
        out[column] = None if total is None else total / requests
    return out


def fmt_per_req(x):
    return "–" if x is None else f"{x:.3f}"


def echo_tables(runs, out, notes):
    runs = [r for r in runs if r.get("part") == "echo"]
    if not runs:
        return
    cases = sorted({r["case"] for r in runs})
    subjects = ordered({r["subject"] for r in runs})
    out.append("### Echo")
    out.append("")
    out.append("| case | subject | req/s | vs citadel-tcp | vs c-ref | p50 µs | p99 µs "
               "| server CPU µs/req | CPU vs citadel-tcp |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    per_round_lines = []
    sys_rows = []
    for case in cases:
        of_case = [r for r in runs if r["case"] == case]
        ok_runs = [r for r in of_case if r.get("ok")]
        first = ok_runs[0] if ok_runs else None
        label = case if first is None else (
            f"{case}: {size_label(first['payload'])}, {first['connections']} conns, "
            f"depth {first['depth']}")
        by_round = {}
        for s in subjects:
            ok = [r for r in of_case if r["subject"] == s and r.get("ok")]
            for r in of_case:
                if r["subject"] == s and not r.get("ok"):
                    notes.append(f"{case}/{s} round {r['round']}: failed: {r.get('error', '?')}")
            for r in ok:
                b = r["bench"]
                if b.get("errors") or b.get("disconnects"):
                    notes.append(f"{case}/{s} round {r['round']}: errors={b.get('errors')} "
                                 f"disconnects={b.get('disconnects')}")
            by_round[s] = {
                "rps": {r["round"]: r["bench"].get("rps") for r in ok},
                "cpu": {r["round"]: cpu_us_per_request(r) for r in ok},
                "runs": ok,
            }
        ref, yard = by_round.get(REFERENCE), by_round.get(YARDSTICK)
        for s in subjects:
            ok = by_round[s]["runs"]
            if not ok:
                out.append(f"| {label} | {s} | failed | | | | | | |")
                continue
            rps = median_of([r["bench"].get("rps") for r in ok])
            vs_ref = (paired.median_ratio(by_round[s]["rps"], ref["rps"])
                      if ref and s != REFERENCE else (1.0 if s == REFERENCE else None))
            vs_yard = (paired.median_ratio(by_round[s]["rps"], yard["rps"])
                       if yard and s != YARDSTICK else (1.0 if s == YARDSTICK else None))
            cpu_vs_ref = (paired.median_ratio(by_round[s]["cpu"], ref["cpu"])
                          if ref and s != REFERENCE else (1.0 if s == REFERENCE else None))
            name = "c-ref (C epoll, tcp)" if s == YARDSTICK else f"citadel {s}"
            out.append(
                f"| {label} | {name} | {fmt_int(rps)} | {fmt_ratio(vs_ref)} | {fmt_ratio(vs_yard)} "
                f"| {fmt_us(median_of([r['bench'].get('p50_us') for r in ok]))} "
                f"| {fmt_us(median_of([r['bench'].get('p99_us') for r in ok]))} "
                f"| {fmt_cpu(median_of([cpu_us_per_request(r) for r in ok]))} "
                f"| {fmt_ratio(cpu_vs_ref)} |")
            if ref and s != REFERENCE:
                rr = paired.round_ratios(by_round[s]["rps"], ref["rps"])
                cr = paired.round_ratios(by_round[s]["cpu"], ref["cpu"])
                per_round_lines.append(
                    f"- {case}, {s} vs citadel-tcp per round: req/s "
                    + ", ".join(f"{v:.2f}" for _, v in rr) + "; CPU/req "
                    + ", ".join(f"{v:.2f}" for _, v in cr))
            counts = [c for c in (syscalls_per_request(r) for r in ok) if c]
            if counts:
                sys_rows.append((label, name, {
                    col: median_of([c[col] for c in counts]) for col, _ in SYSCALL_KINDS}))
    out.append("")
    out.extend(per_round_lines)
    if sys_rows:
        out.append("")
        out.append("### Server syscalls per request (perf stat on the server's PID)")
        out.append("")
        out.append("| case | subject | " + " | ".join(col for col, _ in SYSCALL_KINDS) + " |")
        out.append("|---|---|" + "---:|" * len(SYSCALL_KINDS))
        for label, name, cols in sys_rows:
            out.append(f"| {label} | {name} | "
                       + " | ".join(fmt_per_req(cols[c]) for c, _ in SYSCALL_KINDS) + " |")
    out.append("")


def memory_table(runs, out, notes):
    runs = [r for r in runs if r.get("part") == "memory"]
    if not runs:
        return
    transports = ordered({r["transport"] for r in runs})
    per = {}
    for t in transports:
        ok = [r for r in runs if r["transport"] == t and r.get("ok")]
        for r in runs:
            if r["transport"] == t and not r.get("ok"):
                notes.append(f"memory/{t} round {r['round']}: failed: {r.get('error', '?')}")
        for r in ok:
            b = r["bench"]
            if b.get("failed") or b.get("disconnects"):
                notes.append(f"memory/{t} round {r['round']}: failed={b.get('failed')} "
                             f"disconnects={b.get('disconnects')}")
        per[t] = {r["round"]: r["bench"].get("rss_per_conn_bytes") for r in ok}
    out.append("### Idle memory per connection (server VmRSS growth ÷ connections)")
    out.append("")
    out.append("| transport | connected (median) | RSS bytes per connection | above tcp (bytes) "
               "| per round above tcp |")
    out.append("|---|---:|---:|---:|---|")
    for t in transports:
        ok = [r for r in runs if r["transport"] == t and r.get("ok")]
        connected = median_of([r["bench"].get("connected") for r in ok])
        rss = median_of(list(per[t].values()))
        if t == REFERENCE or REFERENCE not in per:
            diff, rounds = None, ""
        else:
            diff = paired.median_difference(per[t], per[REFERENCE])
            rounds = ", ".join(f"{v:+.0f}" for _, v in paired.round_differences(per[t], per[REFERENCE]))
        out.append(f"| {t} | {fmt_int(connected)} | {fmt_int(rss)} | "
                   f"{'–' if diff is None else f'{diff:+,.0f}'} | {rounds} |")
    out.append("")


def report(path):
    runs, broken = load_lines(path)
    out, notes = [], []
    echo_tables(runs, out, notes)
    memory_table(runs, out, notes)
    if broken:
        notes.append(f"{broken} unreadable line(s) in {path}")
    if notes:
        out.append("Notes:")
        out.extend(f"- {n}" for n in notes)
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(report(sys.argv[1]))
