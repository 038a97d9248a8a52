#!/usr/bin/env python3
"""Turns the raw JSON lines of bench/run-*.sh into markdown.

  summarize.py echo RAW.jsonl              median table per case and server
  summarize.py brief BENCH_JSON TICKS HZ   one progress line for one run
  summarize.py hold RAW.jsonl              summary of a hold run (exit 3 on FAIL)

Standard library only. Medians are taken per figure over the successful
rounds, so a row's p50 and p99 may come from different rounds. The ratios to
the C reference ("vs C", "p99 vs C") are paired per round (paired.py): in
each round, a server's figure divided by c-ref's in the same round and case,
then the median of those per-round ratios.
"""
import json
import statistics
import sys

import paired

SERVER_ORDER = ["citadel", "c-ref", "go"]
REFERENCE = "c-ref"


def cpu_us_per_request(run):
    requests = run["bench"].get("requests") or 0
    if requests <= 0:
        return None
    return run["server_cpu_ticks"] / run["clk_tck"] * 1e6 / requests


def fmt_int(x):
    return "–" if x is None else f"{x:,.0f}"


def fmt_us(x):
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ratio(x):
    return "–" if x is None else f"{x:.2f}×"


def fmt_cpu(x):
    return "–" if x is None else f"{x:.2f}"


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def size_label(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def load_lines(path):
    runs, broken = [], 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                runs.append(json.loads(line))
            except json.JSONDecodeError:
                broken += 1
    return runs, broken


def echo_report(path):
    runs, broken = load_lines(path)
    cases = sorted({r["case"] for r in runs})
    servers = sorted({r["server"] for r in runs},
                     key=lambda s: SERVER_ORDER.index(s) if s in SERVER_ORDER else 99)
    out = []
    out.append("| case | server | req/s | vs C | p50 µs | p99 µs | p99 vs C | server CPU µs/req | CPU vs C |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    per_round = []  # the per-round req/s ratios behind each "vs C"
    for case in cases:
        of_case = [r for r in runs if r["case"] == case]
        first = of_case[0]
        label = (f"{case}: {size_label(first['payload'])}, {first['connections']} conn"
                 f"{'s' if first['connections'] != 1 else ''}, depth {first['depth']}")
        medians = {}
        by_round = {}  # server -> {"rps"|"p99"|"cpu": {round: figure}}, for the paired ratios
        for server in servers:
            ok = [r for r in of_case if r["server"] == server and r["ok"] and r.get("bench")]
            failed = [r for r in of_case if r["server"] == server and not r["ok"]]
            for r in failed:
                notes.append(f"{case}/{server} round {r['round']}: failed: {r.get('error', '?')}")
            for r in ok:
                b = r["bench"]
                if b.get("errors") or b.get("disconnects"):
                    notes.append(f"{case}/{server} round {r['round']}: errors={b.get('errors')} "
                                 f"disconnects={b.get('disconnects')}")
            by_round[server] = {
                "rps": {r["round"]: r["bench"].get("rps") for r in ok},
                "p99": {r["round"]: r["bench"].get("p99_us") for r in ok},
                "cpu": {r["round"]: cpu_us_per_request(r) for r in ok},
            }
            if not ok:
                medians[server] = None
                continue
            medians[server] = {
                "rps": median_of([r["bench"].get("rps") for r in ok]),
                "p50": median_of([r["bench"].get("p50_us") for r in ok]),
                "p99": median_of([r["bench"].get("p99_us") for r in ok]),
                "cpu": median_of([cpu_us_per_request(r) for r in ok]),
                "n": len(ok),
            }
            if len(ok) < len([r for r in of_case if r["server"] == server]):
                notes.append(f"{case}/{server}: median of {len(ok)} successful rounds only")
        ref = by_round.get(REFERENCE)
        for server in servers:
            m = medians[server]
            if m is None:
                out.append(f"| {label} | {server} | failed | | | | | | |")
                continue
            rps_ratio = p99_ratio = cpu_ratio = None
            if ref:
                # Paired per round: only rounds where both this server and c-ref succeeded.
                pairs = paired.round_ratios(by_round[server]["rps"], ref["rps"])
                rps_ratio = paired.median_ratio(by_round[server]["rps"], ref["rps"])
                p99_ratio = paired.median_ratio(by_round[server]["p99"], ref["p99"])
                cpu_ratio = paired.median_ratio(by_round[server]["cpu"], ref["cpu"])
                if server != REFERENCE and pairs:
                    per_round.append(f"{case}/{server}: "
                                     + ", ".join(f"r{rnd} {v:.2f}×" for rnd, v in pairs))
            out.append(f"| {label} | {server} | {fmt_int(m['rps'])} | {fmt_ratio(rps_ratio)} | "
                       f"{fmt_us(m['p50'])} | {fmt_us(m['p99'])} | {fmt_ratio(p99_ratio)} | "
                       f"{fmt_cpu(m['cpu'])} | {fmt_ratio(cpu_ratio)} |")
    out.append("")
    out.append("req/s: higher is better; vs C = req/s ÷ the C reference's req/s in the same "
               "round, median of the per-round ratios. p99 vs C and CPU vs C = p99 and server CPU "
               "per request ÷ the C reference's, paired the same way (lower is better). The other "
               "columns are medians of the "
               "figure itself over the rounds. "
               "Server CPU = (utime + stime) of the server process over the measured run "
               f"÷ requests answered (clock-tick resolution: 1/{runs[0]['clk_tck'] if runs else '?'} s).")
    if per_round:
        out.append("")
        out.append("req/s vs C, per round: " + "; ".join(per_round) + ".")
    if broken:
        notes.append(f"{broken} raw line(s) were not valid JSON")
    if notes:
        out.append("")
        out.append("Notes:")
        out.extend(f"- {n}" for n in notes)
    print("\n".join(out))


def brief(bench_json, ticks, hz):
    try:
        b = json.loads(bench_json)
    except json.JSONDecodeError:
        print("(unparsable citadel-bench output)")
        return
    requests = b.get("requests") or 0
    cpu = f"{int(ticks) / int(hz) * 1e6 / requests:.2f}" if requests else "–"
    extra = ""
    if b.get("errors") or b.get("disconnects"):
        extra = f", errors {b.get('errors')}, disconnects {b.get('disconnects')}"
    print(f"{fmt_int(b.get('rps'))} req/s, p50 {fmt_us(b.get('p50_us'))} µs, "
          f"p99 {fmt_us(b.get('p99_us'))} µs, server CPU {cpu} µs/req{extra}")


def hold_report(path):
    runs, broken = load_lines(path)
    if not runs:
        print("no hold run recorded")
        return 3
    r = runs[-1]
    b = r.get("bench") or {}
    target = b.get("target", r.get("connections"))
    connected = b.get("connected")
    ok = (r.get("ok") and connected == target and not b.get("failed")
          and not b.get("disconnects") and r.get("server_alive_after"))
    rows = [
        ("verdict", "PASS" if ok else "FAIL" + (f" ({r['error']})" if r.get("error") else "")),
        ("server", r.get("server")),
        ("target connections", target),
        ("connected", connected),
        ("failed", b.get("failed")),
        ("disconnects", b.get("disconnects")),
        ("pings sent / pongs received", f"{b.get('pings')} / {b.get('pongs')}"),
        ("ping p99 µs", fmt_us(b.get("p99_us"))),
        ("server RSS before / after (KiB)", f"{b.get('rss_before_kb')} / {b.get('rss_after_kb')}"),
        ("RSS per connection (bytes)", fmt_int(b.get("rss_per_conn_bytes"))),
        ("server peak RSS, VmHWM (KiB)", r.get("server_hwm_kb")),
        ("server CPU over the run (s)", f"{r['server_cpu_ticks'] / r['clk_tck']:.2f}"
         if r.get("server_cpu_ticks") is not None else "–"),
        ("server alive after the run", "yes" if r.get("server_alive_after") else "no"),
    ]
    print("| figure | value |")
    print("|---|---:|")
    for k, v in rows:
        print(f"| {k} | {'–' if v is None else v} |")
    if broken:
        print(f"\n{broken} raw line(s) were not valid JSON")
    return 0 if ok else 3


def main(argv):
    if len(argv) == 3 and argv[1] == "echo":
        echo_report(argv[2])
    elif len(argv) == 5 and argv[1] == "brief":
        brief(argv[2], argv[3], argv[4])
    elif len(argv) == 3 and argv[1] == "hold":
        return hold_report(argv[2])  # 3 when the verdict is FAIL
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
