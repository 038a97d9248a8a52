#!/usr/bin/env python3
"""Unit tests of summarize_fleet.py's arithmetic, on small hand-made runs.

  python3 -m unittest -v summarize_fleet_test   (from bench/; ctest runs it as
                                                 bench_summarize_fleet_test)

What must hold: CPU is summed over Citadel's processes only (the bench's
server_cpu_s for the first, its also_cpu_s for the others, in the order the
script gave them), never etcd's, Redis's or PostgreSQL's; every comparison is
paired per round (paired.py), so each case below is built so that the median
of the per-round figures and the figure of the medians disagree.
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import summarize_fleet as sf  # noqa: E402


def run_out(fn, *args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(*args)
    return out.getvalue()


def arena(part, rnd, config, players, p99_ms, cpus, inputs=None, p50_ms=25.0, mean_ms=25.0,
          ok=True, roles=None, joined=None, room_hz_min=20.0, disconnects=0, duration=20.0):
    """An arena run whose processes have these CPU seconds (entry first, etcd
    last with 0.5 s); inputs default to players x 20 Hz x duration."""
    roles = roles or {"all": ["all"], "direct": ["game"], "gateway": ["gateway", "game"],
                      "fleet": ["gateway", "game", "game"]}[config]
    names = [f"{r}-{i}" for i, r in enumerate(roles)] + ["etcd"]
    procs = [{"name": n, "role": r} for n, r in zip(names, roles + ["etcd"])]
    inputs = players * 20 * duration if inputs is None else inputs
    bench = {"joined": players if joined is None else joined, "disconnects": disconnects, "errors": 0,
             "p50_us": p50_ms * 1000, "p99_us": p99_ms * 1000, "mean_us": mean_ms * 1000,
             "max_us": p99_ms * 1100, "slow_rooms": 0, "rooms": players // 16 + 1, "tick_hz": 20,
             "room_hz_min": room_hz_min, "duration_s": duration, "inputs_sent": inputs,
             "input_hz": 20.0, "server_cpu_s": cpus[0], "also_cpu_s": list(cpus[1:]) + [0.5],
             "bench_cpu_s": 5.0, "connect_s": 1.0}
    return {"part": part, "round": rnd, "config": config, "players": players, "ok": ok, "error": "",
            "procs": procs, "p99_ms_bar": 60, "warmup_s": 5, "bench": bench}


def chat(rnd, config, last_p50_ms, last_p99_ms, cpus, receipts=1_000_000, redis=0.0, incomplete=0):
    gws = {"one": 1, "two": 2, "all": 1}[config]
    role = "all" if config == "all" else "gateway"
    procs = [{"name": f"gw-{i}", "role": role} for i in range(gws)]
    also = list(cpus[1:])
    if config != "all":
        procs += [{"name": "redis", "role": "redis"}, {"name": "pg0", "role": "postgres"}]
        also += [redis, 7.0]
    procs.append({"name": "etcd", "role": "etcd"})
    also.append(3.0)
    bench = {"logged_in": 10000, "messages_complete": 100 - incomplete, "messages_measured": 100,
             "messages_incomplete": incomplete, "receipts": receipts,
             "last_p50_us": last_p50_ms * 1000, "last_p99_us": last_p99_ms * 1000, "p50_us": 1000.0,
             "server_cpu_s": cpus[0], "also_cpu_s": also, "bench_cpu_us_per_receipt": 1.0}
    return {"part": "chat", "round": rnd, "config": config, "ok": True, "error": "", "procs": procs,
            "bench": bench}


class CpuTest(unittest.TestCase):
    def test_citadel_cpu_sums_the_nodes_and_leaves_etcd_out(self):
        r = arena("hop", 1, "gateway", 1000, 50.0, [3.0, 5.0])
        self.assertEqual(sf.citadel_cpu(r), 8.0)
        self.assertEqual(sf.cpu_of_roles(r, ("etcd",)), 0.5)
        self.assertEqual(sf.citadel_cores(r), 8.0 / 20.0)
        # 8 s over 1,000 players x 20 Hz x 20 s = 400,000 inputs: 20 us each.
        self.assertAlmostEqual(sf.us_per_input(r), 20.0)
        self.assertAlmostEqual(sf.us_per_input(r, ("gateway",)), 7.5)
        self.assertAlmostEqual(sf.players_per_core(r), 1000 / 0.4)

    def test_a_process_without_a_figure_leaves_the_sum_unknown(self):
        r = arena("hop", 1, "gateway", 1000, 50.0, [3.0, None])
        self.assertIsNone(sf.citadel_cpu(r))
        self.assertIsNone(sf.us_per_input(r))


class HopTest(unittest.TestCase):
    def rounds(self):
        # Per round (gateway - direct) p99: +0.2, +3.0, +0.5 -> median +0.5;
        # the medians' difference would be 50.6 - 49.3 = +1.3.
        # CPU per input (us): direct 10, 20, 12; gateway 12, 30, 16 -> ratios
        # 1.2, 1.5, 1.333 -> median 1.333; the medians' ratio 16 / 12 = 1.333
        # too, so round 3 is made to disagree: direct 11 -> 16/11 = 1.4545.
        runs = []
        for rnd, d99, g99, dcpu, gcpu in ((1, 49.0, 49.2, 10, 12), (2, 50.0, 53.0, 20, 30),
                                         (3, 49.3, 49.8, 11, 16)):
            inputs = 1000 * 20 * 20
            runs.append(arena("hop", rnd, "direct", 1000, d99, [dcpu * inputs / 1e6]))
            runs.append(arena("hop", rnd, "gateway", 1000, g99,
                              [gcpu * inputs / 1e6 / 2, gcpu * inputs / 1e6 / 2]))
        return runs

    def test_added_p99_is_the_median_of_the_per_round_differences(self):
        f = sf.hop_figures(self.rounds())
        self.assertAlmostEqual(f["added_p99_ms"], 0.5)
        self.assertEqual([rnd for rnd, _ in f["added_p99_rounds"]], [1, 2, 3])

    def test_cpu_ratio_is_the_median_of_the_per_round_ratios(self):
        f = sf.hop_figures(self.rounds())
        self.assertAlmostEqual(f["cpu_ratio"], 16 / 11)  # rounds: 1.2, 1.5, 1.4545
        self.assertAlmostEqual(f["gateway_share"], 8 / 11)  # the gateway's half of 16 us
        self.assertIsNone(f["direct_vs_all"])  # no `all` runs

    def test_a_failed_run_drops_its_round_from_the_pairing(self):
        runs = self.rounds()
        runs[3]["ok"] = False  # round 2's gateway run
        f = sf.hop_figures(runs)
        self.assertEqual([rnd for rnd, _ in f["added_p99_rounds"]], [1, 3])
        self.assertAlmostEqual(f["added_p99_ms"], (0.2 + 0.5) / 2)

    def test_a_run_that_lost_players_is_left_out_and_said(self):
        runs = self.rounds()
        runs[1]["bench"]["disconnects"] = 28  # round 1's gateway run
        f = sf.hop_figures(runs)
        self.assertEqual([rnd for rnd, _ in f["added_p99_rounds"]], [2, 3])
        text = run_out(sf.hop_section, runs)
        self.assertIn("Left out of the pairing", text)
        self.assertIn("round 1 1,000 gateway: joined 1,000, 28 disconnects", text)

    def test_report_states_goals_met_or_missed(self):
        text = run_out(sf.hop_section, self.rounds())
        self.assertIn("**+0.50 ms**", text)
        self.assertIn("goal ≤ +1 ms: met", text)
        self.assertIn("**1.45×**", text)
        self.assertIn("goal ≤ 1.3×: **missed**", text)


class ScaleoutTest(unittest.TestCase):
    def test_capacity_is_the_last_passing_step_and_per_core_is_paired_by_step(self):
        runs = [
            arena("scaleout", 0, "all", 2000, 50.0, [8.0]),         # 0.4 cores: 5,000/core
            arena("scaleout", 0, "fleet", 2000, 51.0, [4.0, 4.0, 4.0]),  # 0.6: 3,333/core
            arena("scaleout", 1, "fleet", 2500, 70.0, [5.0, 5.0, 5.0]),  # p99 over the bar
            arena("scaleout", 1, "all", 2500, 52.0, [10.0]),        # 0.5: 5,000/core
            arena("scaleout", 2, "all", 3000, 55.0, [16.0]),        # 0.8: 3,750/core
        ]
        f = sf.scaleout_figures([r for r in runs])
        self.assertEqual(f["capacity"]["all"]["players"], 3000)
        self.assertIsNone(f["capacity"]["all"]["failed_at"])
        self.assertEqual(f["capacity"]["fleet"]["players"], 2000)
        self.assertEqual(f["capacity"]["fleet"]["failed_at"], 2500)
        self.assertIn("p99 70.0 ms", f["capacity"]["fleet"]["why"])
        self.assertAlmostEqual(f["capacity"]["fleet"]["players_per_core"], 2000 / 0.6)
        # Only 2,000 has both passing: (2000/0.6) / (2000/0.4).
        self.assertEqual([n for n, _ in f["ratio_rounds"]], [2000])
        self.assertAlmostEqual(f["ratio"], 0.4 / 0.6)

    def test_a_run_with_disconnects_or_missing_players_fails(self):
        runs = [arena("scaleout", 0, "fleet", 2000, 50.0, [1.0, 1.0, 1.0], joined=1990),
                arena("scaleout", 0, "all", 2000, 50.0, [1.0], disconnects=3)]
        f = sf.scaleout_figures(runs)
        self.assertIsNone(f["capacity"]["fleet"]["players"])
        self.assertIn("joined 1990/2000", f["capacity"]["fleet"]["why"])
        self.assertIn("3 disconnects", f["capacity"]["all"]["why"])


class ChatTest(unittest.TestCase):
    def test_two_over_one_is_paired_per_round_and_infrastructure_stays_out(self):
        runs = []
        # last p50 (ms): one 10, 12, 30; two 12, 18, 33 -> 1.2, 1.5, 1.1 -> 1.2
        # (medians' ratio 18/12 = 1.5)
        for rnd, one50, two50 in ((1, 10, 12), (2, 12, 18), (3, 30, 33)):
            runs.append(chat(rnd, "one", one50, one50 * 2, [2.0], redis=1.0))
            runs.append(chat(rnd, "two", two50, two50 * 2, [1.5, 1.5], redis=2.0))
        f = sf.chat_figures(runs)
        self.assertAlmostEqual(f["p50"], 1.2)
        # Citadel CPU per receipt: 3 s / 1e6 against 2 s / 1e6 -> 1.5 in every round;
        # with Redis: 5 against 3.
        self.assertAlmostEqual(f["cpu"], 1.5)
        self.assertAlmostEqual(f["cpu_redis"], 5 / 3)
        self.assertAlmostEqual(sf.us_per_receipt(runs[0], sf.CITADEL_ROLES), 2.0)
        self.assertAlmostEqual(sf.us_per_receipt(runs[0], ("postgres",)), 7.0)
        self.assertIsNone(f["one_vs_all_cpu"])

    def test_lease_losses_are_summed_over_the_nodes(self):
        r = chat(1, "two", 10, 20, [1.0, 1.0])
        self.assertIsNone(sf.lease_losses(r))
        r["load"] = {"gw-1": {"lease_losses": 3}, "gw-2": {"lease_losses": 1}}
        self.assertEqual(sf.lease_losses(r), 4)
        self.assertIn("| 4 |", run_out(sf.chat_section, [r]))

    def test_a_run_where_a_message_missed_a_member_is_left_out_and_said(self):
        runs = [chat(1, "one", 10, 20, [2.0]), chat(1, "two", 12, 24, [1.0, 1.0], incomplete=2),
                chat(2, "one", 10, 20, [2.0]), chat(2, "two", 15, 30, [1.0, 1.0])]
        f = sf.chat_figures(runs)
        self.assertEqual([rnd for rnd, _ in f["p50_rounds"]], [2])
        self.assertAlmostEqual(f["p50"], 1.5)
        text = run_out(sf.chat_section, runs)
        self.assertIn("round 1 two: 2 messages did not reach every member", text)


class EndToEndTest(unittest.TestCase):
    def test_report_and_brief_run_on_a_raw_file(self):
        rows = HopTest().rounds() + [
            {"part": "strace", "round": 0, "path": "gateway", "ok": True, "error": "", "players": 1000,
             "strace_s": 5, "syscalls": 300000, "forwarded_frames": 100000, "top": "recvfrom 1",
             "bench": {"input_hz": 20.0}}]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        try:
            text = run_out(sf.main, ["x", "report", f.name])
        finally:
            os.unlink(f.name)
        self.assertIn("## The gateway hop", text)
        # 300,000 syscalls over 1,000 players x 20 Hz x 5 s = 100,000 inputs.
        self.assertIn("| 1,000 | gateway | 5 | 300,000 | 100,000 | 3.00 |", text)
        self.assertIn("hop gateway 1,000", sf.brief(rows[1]))


if __name__ == "__main__":
    unittest.main()
