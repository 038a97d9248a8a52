#!/usr/bin/env python3
"""The report of bench/run-failover.sh (issue 18: failover time).

Each raw line is one round: the fleet, the game node killed and the players
it held, and citadel-bench's arena JSON (`bench`): `moved` (players whose
room moved: RoomEvent Rejoined without a drop), `moved_back` (of those, the
ones that got their room's state again) and `moved_gap_*_us` (per moved
player: last ArenaState before the Rejoined -> first one after).

Failover time is an absolute figure held against the issue's goal (p50 and
p99 under 3 s with a 2 s lease), not a comparison, so there is no paired
reference here: each round's figures are its own, and the summary gives
the median over rounds of each.

  summarize_failover.py table RAW.jsonl   markdown table of every round
  summarize_failover.py brief LINE        one round in one line (the log)
  summarize_failover.py check LINE        exit 1 unless the round passed
  summarize_failover.py check-all RAW     exit 1 unless every round passed
"""
import json
import statistics
import sys

GOAL_S = 3.0


def verdict(r):
    """(passed, why) for one round: every player of the killed node back in
    its room, nobody disconnected, no error."""
    if not r.get("ok"):
        return False, r.get("error") or "the round failed"
    b = r.get("bench") or {}
    killed = r.get("killed_players") or 0
    if killed == 0:
        return False, "the killed node held no players"
    if b.get("moved", 0) < killed:
        return False, f"{b.get('moved', 0)} of {killed} players saw their room move"
    if b.get("moved_back", 0) < b.get("moved", 0):
        return False, f"{b.get('moved', 0) - b.get('moved_back', 0)} moved players never saw their room again"
    if b.get("disconnects", 0) > 0:
        return False, f"{b['disconnects']} players were disconnected"
    if b.get("in_room_at_end", 0) < b.get("players", 0):
        return False, f"{b.get('players', 0) - b.get('in_room_at_end', 0)} players not in a room at the end"
    return True, ""


def seconds(us):
    return None if us is None else us / 1e6


def fmt_s(x):
    return "-" if x is None else f"{x:.2f}"


def brief(r):
    b = r.get("bench") or {}
    ok, why = verdict(r)
    return (f"round {r['round']}: {r.get('killed')} killed with {r.get('killed_players')} players; "
            f"{b.get('moved', 0)} moved, {b.get('moved_back', 0)} back; gap p50 "
            f"{fmt_s(seconds(b.get('moved_gap_p50_us')))} s, p99 {fmt_s(seconds(b.get('moved_gap_p99_us')))} s, "
            f"max {fmt_s(seconds(b.get('moved_gap_max_us')))} s; "
            + ("every player back" if ok else f"FAILED: {why}"))


def table(rounds):
    out = ["| round | killed node: players | moved / back | gap p50 (s) | gap p99 (s) | gap max (s) "
           "| rooms restored | disconnects | slow rooms | verdict |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    p50s, p99s = [], []
    for r in rounds:
        b = r.get("bench") or {}
        ok, why = verdict(r)
        p50, p99 = seconds(b.get("moved_gap_p50_us")), seconds(b.get("moved_gap_p99_us"))
        if ok:
            p50s.append(p50)
            p99s.append(p99)
        out.append(
            f"| {r['round']} | {r.get('killed')}: {r.get('killed_players')} | "
            f"{b.get('moved', 0)} / {b.get('moved_back', 0)} | {fmt_s(p50)} | {fmt_s(p99)} | "
            f"{fmt_s(seconds(b.get('moved_gap_max_us')))} | {r.get('survivor_restored')} | "
            f"{b.get('disconnects', '-')} | {b.get('slow_rooms', '-')} | "
            f"{'every player back' if ok else 'FAILED: ' + why} |")
    out.append("")
    if p50s:
        m50, m99 = statistics.median(p50s), statistics.median(p99s)
        out.append(f"Median over the {len(p50s)} passing rounds: gap p50 {m50:.2f} s, p99 {m99:.2f} s "
                   f"(goal: under {GOAL_S:.0f} s with a 2 s lease: "
                   f"{'met' if m99 < GOAL_S else 'missed'}).")
    else:
        out.append("No round passed.")
    return "\n".join(out)


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, arg = argv[1], argv[2]
    if cmd in ("brief", "check"):
        r = json.loads(arg)
        if cmd == "brief":
            print(brief(r))
            return 0
        ok, why = verdict(r)
        if not ok:
            print(f"round {r.get('round')}: {why}", file=sys.stderr)
        return 0 if ok else 1
    with open(arg, encoding="utf-8") as f:
        rounds = [json.loads(line) for line in f if line.strip()]
    if cmd == "table":
        print(table(rounds))
        return 0
    if cmd == "check-all":
        bad = [r for r in rounds if not verdict(r)[0]]
        for r in bad:
            print(f"round {r.get('round')}: {verdict(r)[1]}", file=sys.stderr)
        return 0 if rounds and not bad else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
