#!/usr/bin/env python3
"""Markdown tables for the session benchmarks (run-fanout.sh, run-login.sh,
run-session-memory.sh) from their raw JSON lines.

  summarize_sessions.py brief JSON        one line for the progress log
  summarize_sessions.py fanout RAW.jsonl  c-fanout vs citadel chat, per round and medians
  summarize_sessions.py login RAW.jsonl   logins/s and the storm, per round and medians
  summarize_sessions.py memory RAW.jsonl  RSS per idle connection vs per logged-in user

Exit code 0, or 1 when a bar of issue 8 is not met (the tables say which).

Comparisons with the reference measured in the same round (citadel vs
c-fanout, a logged-in user vs an idle connection) are paired per round
(paired.py): the ratio or difference within each round, then the median of
those. Other figures are medians of the figure itself over the rounds.
"""
import json
import statistics
import sys

import paired

FANOUT_BAR = 1.3  # citadel's median time to the last member, at most this x the yardstick's
LOGINS_BAR = 20000  # logins/s
STORM_BAR_S = 10.0  # all of the storm's connections logged in within this
MEMORY_BAR_BYTES = 4096  # per logged-in idle user, above an idle connection


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


def ms(us):
    return None if us is None else us / 1000.0


def brief(line):
    r = json.loads(line)
    if r.get("yardstick") == "c-fanout":
        return (f"last receipt p50 {ms(r['p50_us']):.1f} ms, p99 {ms(r['p99_us']):.1f} ms; "
                f"writer {r['cpu_us_per_write']:.2f} us CPU per write")
    s = r.get("scenario")
    if s == "chat":
        cpu = r.get("server_cpu_us_per_receipt")
        return (f"last receipt p50 {ms(r['last_p50_us']):.1f} ms, p99 {ms(r['last_p99_us']):.1f} ms; "
                f"{r['messages_complete']}/{r['messages_measured']} complete; "
                f"server {cpu if cpu is not None else '-'} us CPU per receipt")
    if s == "login":
        return (f"{r['logins_per_s']:,.0f} logins/s, p99 {ms(r['p99_us']):.1f} ms, "
                f"refused {r['logins_refused']}, errors {r['errors']}")
    if s == "storm":
        return (f"{r['logins_ok']}/{r['connections']} logged in in {r['storm_s']:.2f} s, "
                f"connect failures {r['failed']}, refused {r['logins_refused']}")
    if s == "hold":
        return f"{r['connected']}/{r['target']} held, {r.get('rss_per_conn_bytes')} bytes/conn"
    return line


def fanout(path):
    rows = load(path)
    rounds = sorted({r["round"] for r in rows})
    out = ["| round | c-fanout p50 ms | c-fanout p99 ms | citadel p50 ms | citadel p99 ms | "
           "p50 ratio | p99 ratio | citadel complete | server CPU us/receipt | writer CPU us/write | "
           "bench CPU us/receipt | reader CPU us/msg |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    ys, cs = [], []
    # round -> figure, each side: the paired ratios are taken round by round
    y50s, y99s, c50s, c99s, c_cpu, y_cpu = {}, {}, {}, {}, {}, {}
    failures = []
    for rnd in rounds:
        y = next((r for r in rows if r["round"] == rnd and r["kind"] == "c-fanout"), None)
        c = next((r for r in rows if r["round"] == rnd and r["kind"] == "citadel"), None)
        for r in (y, c):
            if r is not None and not r["ok"]:
                failures.append(f"round {rnd} {r['kind']}: {r['error']}")
        yr = y["result"] if y and y["ok"] else None
        cr = c["result"] if c and c["ok"] else None
        if yr:
            ys.append(yr)
            y50s[rnd], y99s[rnd], y_cpu[rnd] = yr["p50_us"], yr["p99_us"], yr["cpu_us_per_write"]
        if cr:
            cs.append(cr)
            c50s[rnd], c99s[rnd] = cr["last_p50_us"], cr["last_p99_us"]
            c_cpu[rnd] = cr.get("server_cpu_us_per_receipt")
        # this round's own ratios (a median of one round is that round's ratio)
        r50 = paired.median_ratio({rnd: c50s.get(rnd)}, {rnd: y50s.get(rnd)})
        r99 = paired.median_ratio({rnd: c99s.get(rnd)}, {rnd: y99s.get(rnd)})
        out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            rnd, fmt(ms(yr["p50_us"]) if yr else None), fmt(ms(yr["p99_us"]) if yr else None),
            fmt(ms(cr["last_p50_us"]) if cr else None), fmt(ms(cr["last_p99_us"]) if cr else None),
            fmt(r50, 2), fmt(r99, 2),
            f"{cr['messages_complete']}/{cr['messages_measured']}" if cr else "-",
            fmt(cr.get("server_cpu_us_per_receipt") if cr else None, 2),
            fmt(yr["cpu_us_per_write"] if yr else None, 2),
            fmt(cr.get("bench_cpu_us_per_receipt") if cr else None, 2),
            fmt(yr.get("reader_cpu_us_per_message") if yr else None, 2)))
    y50 = median([r["p50_us"] for r in ys])
    y99 = median([r["p99_us"] for r in ys])
    c50 = median([r["last_p50_us"] for r in cs])
    c99 = median([r["last_p99_us"] for r in cs])
    # Paired per round: the median of the per-round ratios, not the ratio of the medians.
    ratio50 = paired.median_ratio(c50s, y50s)
    ratio99 = paired.median_ratio(c99s, y99s)
    cpu_ratio = paired.median_ratio(c_cpu, y_cpu)
    out.append("| **median** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** | | **{}** | **{}** "
               "| **{}** | **{}** |".format(
                   fmt(ms(y50)), fmt(ms(y99)), fmt(ms(c50)), fmt(ms(c99)), fmt(ratio50, 2),
                   fmt(ratio99, 2), fmt(median([r.get("server_cpu_us_per_receipt") for r in cs]), 2),
                   fmt(median([r["cpu_us_per_write"] for r in ys]), 2),
                   fmt(median([r.get("bench_cpu_us_per_receipt") for r in cs]), 2),
                   fmt(median([r.get("reader_cpu_us_per_message") for r in ys]), 2)))
    out.append("")
    out.append("Ratios are per round (same round, back to back); the median row's ratios are "
               "the medians of the per-round ratios, its other cells the medians of each column. "
               "Server CPU per receipt ÷ the yardstick writer's CPU per write, paired the same "
               "way: {}x.".format(fmt(cpu_ratio, 2)))
    out.append("")
    out.append("Receipt latency over every member and message "
               "(citadel, median of rounds): p50 {} ms, p99 {} ms, p99.9 {} ms. First member "
               "(median of the per-round medians): citadel {} ms, c-fanout {} ms. Push frame: {} "
               "bytes; c-fanout message: {} bytes.".format(
                   fmt(ms(median([r["p50_us"] for r in cs]))),
                   fmt(ms(median([r["p99_us"] for r in cs]))),
                   fmt(ms(median([r["p999_us"] for r in cs]))),
                   fmt(ms(median([r["first_p50_us"] for r in cs]))),
                   fmt(ms(median([r["first_p50_us"] for r in ys]))),
                   fmt(median([r.get("push_frame_bytes") for r in cs]), 0),
                   fmt(median([r["size"] for r in ys]), 0)))
    met = ratio50 is not None and ratio50 <= FANOUT_BAR
    incomplete = sum(r["messages_incomplete"] for r in cs)
    out.append("")
    out.append(f"Bar (median time to the last member at most {FANOUT_BAR}x the yardstick's): "
               + (f"**{'met' if met else 'NOT met'}: {ratio50:.2f}x**" if ratio50 else "no result"))
    if incomplete:
        out.append(f"\n{incomplete} measured broadcasts did not reach every member.")
    for f in failures:
        out.append(f"\nFailed: {f}")
    print("\n".join(out))
    return 0 if met and not failures and not incomplete else 1


def login(path):
    rows = load(path)
    out = []
    persistent = [r for r in rows if r["kind"] == "login"]
    storms = [r for r in rows if r["kind"] == "storm"]
    failures = [f"round {r['round']} {r['kind']}: {r['error']}" for r in rows if not r["ok"]]
    ok = True
    if persistent:
        out += ["### Guest logins over persistent connections", "",
                "| round | connections | logins/s | p50 ms | p99 ms | refused | errors | server CPU us/login |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        good = [r["result"] for r in persistent if r["ok"]]
        for r in persistent:
            b = r["result"] if r["ok"] else None
            cpu = (b["server_cpu_s"] * 1e6 / b["logins"]) if b and b.get("server_cpu_s") and b["logins"] else None
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
                r["round"], fmt(b["connections"]) if b else "-", fmt(b["logins_per_s"], 0) if b else "-",
                fmt(ms(b["p50_us"])) if b else "-", fmt(ms(b["p99_us"])) if b else "-",
                fmt(b["logins_refused"]) if b else "-", fmt(b["errors"]) if b else "-", fmt(cpu)))
        rate = median([b["logins_per_s"] for b in good])
        cpu = median([b["server_cpu_s"] * 1e6 / b["logins"] for b in good
                      if b.get("server_cpu_s") and b["logins"]])
        out.append("| **median** | | **{}** | **{}** | **{}** | | | **{}** |".format(
            fmt(rate, 0), fmt(ms(median([b["p50_us"] for b in good]))),
            fmt(ms(median([b["p99_us"] for b in good]))), fmt(cpu)))
        met = rate is not None and rate >= LOGINS_BAR
        ok = ok and met
        out += ["", f"Bar (at least {LOGINS_BAR:,} logins/s, each a new account): "
                + (f"**{'met' if met else 'NOT met'}: {rate:,.0f}/s**" if rate else "no result"), ""]
    if storms:
        out += ["### Login storm: new connections that connect and log in", "",
                "| round | connections | connect rate /s | all logged in after s | logged in | "
                "connect failures | refused | disconnects | login p99 ms |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        all_ok = True
        times = []
        for r in storms:
            b = r["result"] if r["ok"] else None
            if b:
                times.append(b["storm_s"])
                all_ok = all_ok and b["all_logged_in"] and b["storm_s"] <= STORM_BAR_S
            else:
                all_ok = False
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                r["round"], fmt(b["connections"]) if b else "-", fmt(b["connect_rate"], 0) if b else "-",
                fmt(b["storm_s"], 2) if b else "-", fmt(b["logins_ok"]) if b else "-",
                fmt(b["failed"]) if b else "-", fmt(b["logins_refused"]) if b else "-",
                fmt(b["disconnects"]) if b else "-", fmt(ms(b["p99_us"])) if b else "-"))
        ok = ok and all_ok
        out += ["", f"Bar (every connection logged in within {STORM_BAR_S:.0f} s, in every round): "
                + f"**{'met' if all_ok else 'NOT met'}** (median {fmt(median(times), 2)} s)"]
    for f in failures:
        out.append(f"\nFailed: {f}")
    print("\n".join(out))
    return 0 if ok and not failures else 1


def memory(path):
    rows = load(path)
    out = ["| round | kind | connections | RSS before KiB | RSS after KiB | bytes per connection |",
           "|---:|---|---:|---:|---:|---:|"]
    idle, logged = {}, {}  # round -> bytes per connection
    failures = [f"round {r['round']} {r['kind']}: {r['error']}" for r in rows if not r["ok"]]
    for r in rows:
        b = r["result"] if r["ok"] else None
        if b is None:
            out.append(f"| {r['round']} | {r['kind']} | - | - | - | - |")
            continue
        per = b.get("rss_per_conn_bytes") if r["kind"] == "idle" else b.get("rss_per_user_bytes")
        n = b.get("connected") if r["kind"] == "idle" else b.get("logins_ok")
        (idle if r["kind"] == "idle" else logged)[r["round"]] = per
        out.append("| {} | {} | {} | {} | {} | {} |".format(
            r["round"], "idle (hold)" if r["kind"] == "idle" else "logged in (storm)", fmt(n),
            fmt(b.get("rss_before_kb")), fmt(b.get("rss_after_kb")), fmt(per, 0)))
    mi, ml = median(list(idle.values())), median(list(logged.values()))
    # Paired per round: the median of each round's (logged in - idle), not the medians' difference.
    diffs = paired.round_differences(logged, idle)
    extra = paired.median_difference(logged, idle)
    out.append("")
    out.append("Medians: idle connection {} bytes, logged-in idle user {} bytes. Per round, "
               "logged in - idle: {}; **{} bytes per logged-in user above an idle connection** "
               "(median of the rounds; bar: at most {:,}).".format(
                   fmt(mi, 0), fmt(ml, 0), ", ".join(f"r{rnd} {d:,.0f}" for rnd, d in diffs) or "-",
                   fmt(extra, 0), MEMORY_BAR_BYTES))
    for f in failures:
        out.append(f"\nFailed: {f}")
    print("\n".join(out))
    return 0 if extra is not None and extra <= MEMORY_BAR_BYTES and not failures else 1


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, arg = sys.argv[1], sys.argv[2]
    if cmd == "brief":
        print(brief(arg))
        return 0
    return {"fanout": fanout, "login": login, "memory": memory}[cmd](arg)


if __name__ == "__main__":
    sys.exit(main())
