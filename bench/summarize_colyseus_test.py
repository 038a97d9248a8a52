#!/usr/bin/env python3
"""Unit tests of summarize_colyseus.py on hand-made runs (no benchmark is run).

  python3 -m unittest -v summarize_colyseus_test      (from bench/; ctest: bench_summarize_colyseus_test)
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import summarize_colyseus as sc  # noqa: E402


def bench(players, p99_ms=50.0, hz=20.0, disconnects=0, pct_per_1000=50.0):
    return {"scenario": "arena", "players": players, "joined": players, "disconnects": disconnects,
            "errors": 0, "p50_us": 25000, "p99_us": p99_ms * 1000, "max_us": 70000, "rooms": players // 16,
            "slow_rooms": 0 if hz >= 19.5 else players // 16, "tick_hz": 20, "room_hz_min": hz,
            "in_room_at_start": players, "server_cores_per_1000": pct_per_1000 / 100, "duration_s": 20,
            "bench_cpu_s": 10, "states_per_player_s": hz}


def run(part, server, players, rnd="1", **kw):
    return {"part": part, "tag": f"{server}-{part}-{players}", "server": server, "round": rnd, "ok": True,
            "error": "", "players": players, "p99_ms_bar": 60, "transport": "ws", "bench": bench(players, **kw)}


def write(rows):
    f = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    with f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return f.name


class CapacityTest(unittest.TestCase):
    def test_largest_step_before_the_first_failure(self):
        runs = [run("capacity", "colyseus", 500), run("capacity", "colyseus", 1000),
                run("capacity", "colyseus", 1500, p99_ms=75)]
        self.assertEqual(sc.capacity_of(runs, "colyseus"), 1000)
        self.assertIsNone(sc.capacity_of(runs, "citadel"))

    def test_a_slow_room_or_a_disconnect_fails_a_step(self):
        self.assertEqual(sc.capacity_of([run("capacity", "colyseus", 500, hz=19.4)], "colyseus"), 0)
        self.assertEqual(sc.capacity_of([run("capacity", "colyseus", 500, disconnects=1)], "colyseus"), 0)


    def test_skipped_ticks_alone_do_not_fail_a_step(self):
        r = run("capacity", "citadel", 3000)
        r["metrics_before"] = {"ticks": 0, "skipped": 0}
        r["metrics_after"] = {"ticks": 71207, "skipped": 23}
        self.assertEqual(sc.failures(r), [])
        r["bench"]["p99_us"] = 61000
        self.assertEqual(sc.failures(r), ["p99 61.0 ms"])

    def test_the_table_shows_how_late_the_load_generator_sent(self):
        late = run("capacity", "citadel", 4500, p99_ms=94.9)
        late["bench"]["input_lag_p99_us"] = 5668.9
        on_time = run("capacity", "citadel", 4000)
        on_time["bench"]["input_lag_p99_us"] = 1237.0
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            sc.capacity_table([on_time, late])
        rows = [line for line in out.getvalue().splitlines() if line.startswith("| 1 |")]
        self.assertEqual(len(rows), 2)
        self.assertTrue(rows[0].endswith("| 1.2 | PASS |"), rows[0])
        self.assertTrue(rows[1].endswith("| 5.7 | FAIL: p99 94.9 ms |"), rows[1])


class RatioTest(unittest.TestCase):
    def test_cpu_ratio_is_the_median_of_per_round_ratios(self):
        # Per round citadel / colyseus: 10/50 = 0.2, 30/60 = 0.5, 12/40 = 0.3 -> median 0.3.
        # The ratio of the medians would be 12/50 = 0.24.
        runs = [run("cost", "colyseus", 1000, "1", pct_per_1000=50), run("cost", "citadel", 1000, "1", pct_per_1000=10),
                run("cost", "citadel", 1000, "2", pct_per_1000=30), run("cost", "colyseus", 1000, "2", pct_per_1000=60),
                run("cost", "colyseus", 1000, "3", pct_per_1000=40), run("cost", "citadel", 1000, "3", pct_per_1000=12)]
        x = sc.ratios(runs)
        self.assertAlmostEqual(x["cpu_ratio"], 0.3)
        self.assertEqual([r for r, _ in x["cpu_round_ratios"]], ["1", "2", "3"])

    def test_capacity_ratio_and_report(self):
        runs = [run("capacity", "colyseus", 500), run("capacity", "colyseus", 1000, p99_ms=70),
                run("capacity", "citadel", 1000), run("capacity", "citadel", 1500),
                run("capacity", "citadel", 2000, hz=19.0)]
        self.assertEqual(sc.ratios(runs)["capacity_ratio"], 3.0)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(sc.main(["x", "report", write(runs), "--json"]), 0)
        text = out.getvalue()
        self.assertIn("**3.00×**", text)
        last = json.loads(text.strip().splitlines()[-1])
        self.assertEqual(last["capacity"], {"colyseus": 500, "citadel": 1500})

    def test_capacity_ratio_is_the_median_of_per_round_ratios(self):
        # Round 1: 2000 / 500 = 4; round 2: 2500 / 1000 = 2.5; round 3: 3000 / 1000 = 3 -> median 3.
        # Medians of each side: 2500 / 1000 = 2.5.
        rows = []
        for rnd, col, cit in (("1", 500, 2000), ("2", 1000, 2500), ("3", 1000, 3000)):
            rows += [run("capacity", "colyseus", col, rnd), run("capacity", "colyseus", col + 500, rnd, p99_ms=80),
                     run("capacity", "citadel", cit, rnd), run("capacity", "citadel", cit + 500, rnd, hz=18.0)]
        x = sc.ratios(rows)
        self.assertEqual(x["capacity_by_round"]["citadel"], {"1": 2000, "2": 2500, "3": 3000})
        self.assertEqual(x["capacity_ratio"], 3.0)
        self.assertEqual(x["capacity"], {"colyseus": 1000, "citadel": 2500})

    def test_a_variants_capacity_is_paired_with_colyseus_too(self):
        # citadel-wc alone beside Colyseus: 4000 / 1500 in round 1, 4000 / 1000 in round 2.
        rows = []
        for rnd, col in (("1", 1500), ("2", 1000)):
            rows += [run("capacity", "colyseus", col, rnd), run("capacity", "colyseus", col + 500, rnd, p99_ms=70),
                     run("capacity", "citadel-wc", 4000, rnd),
                     run("capacity", "citadel-wc", 4500, rnd, p99_ms=65)]
        x = sc.ratios(rows)
        self.assertEqual(x["variant_capacity"], {"citadel-wc": 4000})
        r = x["variant_capacity_ratios"]["citadel-wc / colyseus"]
        self.assertAlmostEqual(r["median"], (4000 / 1500 + 4000 / 1000) / 2)
        self.assertIsNone(x["capacity_ratio"])  # no plain citadel run to pair
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            sc.ratio_section(rows)
        self.assertIn("- citadel-wc capacity: **4,000** players", out.getvalue())
        self.assertIn("capacity, citadel-wc / colyseus", out.getvalue())


if __name__ == "__main__":
    unittest.main()
