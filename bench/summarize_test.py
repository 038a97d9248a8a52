#!/usr/bin/env python3
"""Unit tests of the bench summaries' arithmetic, on small hand-made runs.

  python3 -m unittest -v summarize_test      (from bench/; ctest runs it too)

The point is the one method for ratios (paired.py): every ratio against a
reference measured in the same run is the median of the per-round ratios, not
the ratio of the medians. Each case is built so the two methods disagree.
"""
import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import paired  # noqa: E402
import summarize  # noqa: E402
import summarize_rooms  # noqa: E402
import summarize_sessions  # noqa: E402
import summarize_storage  # noqa: E402
import summarize_transports  # noqa: E402
import summarize_liveops  # noqa: E402


def write_jsonl(rows):
    f = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    with f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return f.name


def run(fn, *args):
    """(return value, stdout) of fn(*args)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rv = fn(*args)
    return rv, out.getvalue()


def table_row(text, *starts):
    """The cells of the first markdown table row whose cells begin with `starts`."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:len(starts)] == list(starts):
            return cells
    raise AssertionError(f"no row {starts} in:\n{text}")


class PairedTest(unittest.TestCase):
    def test_median_of_per_round_ratios_not_ratio_of_medians(self):
        subject = {1: 2.0, 2: 4.0, 3: 9.0}
        reference = {1: 1.0, 2: 1.0, 3: 3.0}
        self.assertEqual(paired.round_ratios(subject, reference), [(1, 2.0), (2, 4.0), (3, 3.0)])
        self.assertEqual(paired.median_ratio(subject, reference), 3.0)  # ratio of medians: 4.0

    def test_rounds_missing_on_either_side_or_a_zero_reference_are_left_out(self):
        subject = {1: 2.0, 2: None, 3: 6.0, 4: 5.0, 5: 1.0}
        reference = {1: 1.0, 2: 1.0, 3: 2.0, 4: 0.0}  # round 5 has no reference
        self.assertEqual(paired.round_ratios(subject, reference), [(1, 2.0), (3, 3.0)])
        self.assertEqual(paired.median_ratio(subject, reference), 2.5)  # even count: the mean of the two middle
        self.assertIsNone(paired.median_ratio({1: 1.0}, {2: 1.0}))

    def test_differences_are_paired_the_same_way(self):
        subject = {1: 900, 2: 800, 3: 1000}
        reference = {1: 400, 2: 100, 3: 450}
        self.assertEqual(paired.round_differences(subject, reference), [(1, 500), (2, 700), (3, 550)])
        self.assertEqual(paired.median_difference(subject, reference), 550)  # of medians: 500


def echo_run(rnd, case, server, rps, p99, cpu_ticks, ok=True):
    return {"round": rnd, "case": case, "payload": 64, "connections": 64, "depth": 16,
            "server": server, "ok": ok, "server_cpu_ticks": cpu_ticks, "clk_tck": 100,
            "duration_s": 10, "error": "" if ok else "boom",
            "bench": {"rps": rps, "p50_us": 100.0, "p99_us": p99, "requests": rps * 10,
                      "errors": 0, "disconnects": 0} if ok else None}


class EchoTest(unittest.TestCase):
    def test_vs_c_is_the_median_of_per_round_ratios(self):
        # citadel / c-ref per round: rps 1.20, 0.90, 1.00 (median 1.00; ratio of the
        # medians 1.2 M / 1.1 M = 1.09); p99 0.50, 4.00, 0.50 (median 0.50; of the
        # medians 150 / 100 = 1.50); CPU per request 0.83, 0.56, 2.00 (median 0.83;
        # of the medians 1.00).
        rows = [
            echo_run(1, "A", "c-ref", 1_000_000, 100.0, 100),
            echo_run(1, "A", "citadel", 1_200_000, 50.0, 100),
            echo_run(2, "A", "c-ref", 2_000_000, 100.0, 200),
            echo_run(2, "A", "citadel", 1_800_000, 400.0, 100),
            echo_run(3, "A", "c-ref", 1_100_000, 300.0, 100),
            echo_run(3, "A", "citadel", 1_100_000, 150.0, 200),
        ]
        path = write_jsonl(rows)
        try:
            _, text = run(summarize.echo_report, path)
        finally:
            os.unlink(path)
        row = table_row(text, "A: 64 B, 64 conns, depth 16", "citadel")
        self.assertEqual(row[2], "1,200,000")  # req/s: the median of the figure itself
        self.assertEqual(row[3], "1.00×")  # vs C
        self.assertEqual(row[6], "0.50×")  # p99 vs C
        self.assertEqual(row[8], "0.83×")  # CPU vs C per request
        self.assertEqual(table_row(text, "A: 64 B, 64 conns, depth 16", "c-ref")[3], "1.00×")
        self.assertIn("A/citadel: r1 1.20×, r2 0.90×, r3 1.00×", text)

    def test_a_round_whose_reference_failed_is_left_out_of_the_ratio(self):
        rows = [
            echo_run(1, "A", "c-ref", 1_000_000, 100.0, 100),
            echo_run(1, "A", "citadel", 1_100_000, 100.0, 100),
            echo_run(2, "A", "c-ref", 0, 0, 0, ok=False),
            echo_run(2, "A", "citadel", 5_000_000, 100.0, 100),
            echo_run(3, "A", "c-ref", 1_000_000, 100.0, 100),
            echo_run(3, "A", "citadel", 1_300_000, 100.0, 100),
        ]
        path = write_jsonl(rows)
        try:
            _, text = run(summarize.echo_report, path)
        finally:
            os.unlink(path)
        self.assertEqual(table_row(text, "A: 64 B, 64 conns, depth 16", "citadel")[3], "1.20×")
        self.assertIn("A/citadel: r1 1.10×, r3 1.30×", text)


def fanout_rows(per_round):
    """per_round: [(c-fanout p50 ms, citadel p50 ms, writer CPU us, server CPU us)]."""
    rows = []
    for rnd, (y50, c50, ycpu, ccpu) in enumerate(per_round, start=1):
        rows.append({"round": rnd, "kind": "c-fanout", "ok": True, "error": "", "users": 10000,
                     "size": 168, "result": {
                         "p50_us": y50 * 1000, "p99_us": y50 * 1200, "cpu_us_per_write": ycpu,
                         "first_p50_us": 300, "reader_cpu_us_per_message": 8.7, "size": 168}})
        rows.append({"round": rnd, "kind": "citadel", "ok": True, "error": "", "users": 10000,
                     "size": 168, "result": {
                         "last_p50_us": c50 * 1000, "last_p99_us": c50 * 1300,
                         "messages_complete": 100, "messages_measured": 100,
                         "messages_incomplete": 0, "server_cpu_us_per_receipt": ccpu,
                         "bench_cpu_us_per_receipt": 8.3, "p50_us": 47000, "p99_us": 100000,
                         "p999_us": 110000, "first_p50_us": 5300, "push_frame_bytes": 168}})
    return rows


class FanoutTest(unittest.TestCase):
    # The published run of 2026-11-23 18:46 (docs/benchmarks.md): per round
    # c-fanout p50, citadel p50, writer CPU per write, server CPU per receipt.
    PUBLISHED = [(90.6, 91.6, 6.61, 4.76), (89.6, 94.7, 8.03, 5.84), (103.7, 94.0, 10.72, 5.29)]

    def summarize(self, per_round):
        path = write_jsonl(fanout_rows(per_round))
        try:
            return run(summarize_sessions.fanout, path)
        finally:
            os.unlink(path)

    def test_published_run_gives_the_paired_figures(self):
        rv, text = self.summarize(self.PUBLISHED)
        median = table_row(text, "**median**")
        self.assertEqual(median[1], "**90.6**")  # the medians of the columns stay medians
        self.assertEqual(median[3], "**94.0**")
        self.assertEqual(median[5], "**1.01**")  # per round 1.01, 1.06, 0.91 (94.0/90.6 would be 1.04)
        self.assertIn("paired the same way: 0.72x", text)  # 0.72, 0.73, 0.49 (5.29/8.03 would be 0.66)
        self.assertIn("**met: 1.01x**", text)
        self.assertEqual(rv, 0)

    def test_the_bar_is_judged_on_the_paired_ratio(self):
        # Per round 1.4, 1.4, 0.5: paired median 1.4 misses the 1.3 bar, while
        # the ratio of the medians (100 / 90 = 1.11) would pass it.
        rv, text = self.summarize([(50.0, 70.0, 1, 1), (100.0, 140.0, 1, 1), (90.0, 45.0, 1, 1)])
        self.assertIn("**NOT met: 1.40x**", text)
        self.assertEqual(rv, 1)


class MemoryTest(unittest.TestCase):
    def test_extra_per_user_is_the_median_of_per_round_differences(self):
        rows = []
        for rnd, (idle, logged) in enumerate([(400, 900), (100, 800), (450, 1000)], start=1):
            rows.append({"round": rnd, "kind": "idle", "ok": True, "error": "",
                         "result": {"rss_per_conn_bytes": idle, "connected": 10000,
                                    "rss_before_kb": 1, "rss_after_kb": 2}})
            rows.append({"round": rnd, "kind": "logged-in", "ok": True, "error": "",
                         "result": {"rss_per_user_bytes": logged, "logins_ok": 10000,
                                    "rss_before_kb": 1, "rss_after_kb": 2}})
        path = write_jsonl(rows)
        try:
            rv, text = run(summarize_sessions.memory, path)
        finally:
            os.unlink(path)
        self.assertIn("r1 500, r2 700, r3 550", text)
        self.assertIn("**550 bytes per logged-in user", text)  # medians' difference: 500
        self.assertEqual(rv, 0)


def yard(rnd, us_per_pair):
    # us_per_pair x 20,000 pairs/s = the yardstick's % of a core per 1,000 players
    return {"part": "cost", "tag": f"yardstick-r{rnd}", "ok": True, "error": "", "server": "c-ref",
            "players": 2000, "server_cpu_ticks": round(us_per_pair * 1000), "clk_tck": 100,
            "bench": {"requests": 10_000_000}}


def cost(rnd, pct, sends="batched", executor=0):
    return {"part": "cost", "tag": f"cost-r{rnd}-x{executor}-{sends}", "ok": True, "error": "",
            "players": 2000, "executor_threads": executor, "sends": sends,
            "bench": {"server_cores_per_1000": pct / 100, "p99_us": 50000, "duration_s": 30,
                      "bench_cpu_s": 15, "rss_per_player_bytes": 1500}}


class RoomsCostTest(unittest.TestCase):
    def test_cost_ratio_pairs_each_run_with_the_yardstick_of_its_round(self):
        # Yardstick per round: 10, 5, 10 us/pair = 20, 10, 20 % per 1,000 players.
        # Batched: 24, 15, 22 % -> 1.20, 1.50, 1.10 (median 1.20; of medians 22/20 = 1.10).
        # Sendmsg: 30, 20, 20 % -> against batched 1.25, 1.33, 0.91 (median 1.25).
        rows = [yard(1, 10.0), cost(1, 24.0), cost(1, 30.0, "sendmsg"),
                yard(2, 5.0), cost(2, 15.0), cost(2, 20.0, "sendmsg"),
                yard(3, 10.0), cost(3, 22.0), cost(3, 20.0, "sendmsg")]
        _, text = run(summarize_rooms.cost_table, rows)
        self.assertIn("batched sends: ratio to the yardstick of the same round, median of 3 rounds "
                      "(1.20, 1.50, 1.10): **1.20×**", text)
        self.assertIn("(1.50, 2.00, 1.00): **1.50×**", text)  # sendmsg against the yardstick
        self.assertIn("same round: median of (1.25, 1.33, 0.91) = **1.25×** the CPU", text)

    def test_a_run_without_its_rounds_yardstick_gets_no_ratio(self):
        failed = dict(yard(2, 5.0), ok=False)
        rows = [yard(1, 10.0), cost(1, 24.0), failed, cost(2, 15.0), yard(3, 10.0), cost(3, 22.0)]
        _, text = run(summarize_rooms.cost_table, rows)
        self.assertIn("median of 2 rounds (1.20, 1.10): **1.15×**", text)


if __name__ == "__main__":
    unittest.main()


def transport_run(rnd, case, subject, rps, cpu_ticks, syscalls=None):
    return {"part": "echo", "round": rnd, "case": case, "payload": 64, "connections": 64,
            "depth": 16, "subject": subject, "ok": True, "server_cpu_ticks": cpu_ticks,
            "clk_tck": 100, "syscalls": syscalls,
            "bench": {"rps": rps, "p50_us": 100, "p99_us": 200, "requests": rps * 10,
                      "errors": 0, "disconnects": 0}}


class TransportsTest(unittest.TestCase):
    def test_each_transport_is_paired_with_citadel_tcp_of_its_round(self):
        rows = [
            transport_run(1, "A", "tcp", 100, 100), transport_run(1, "A", "ws", 90, 110),
            transport_run(2, "A", "tcp", 200, 100), transport_run(2, "A", "ws", 100, 100),
            transport_run(3, "A", "tcp", 300, 100), transport_run(3, "A", "ws", 285, 120),
            transport_run(1, "A", "c-ref", 100, 100), transport_run(2, "A", "c-ref", 100, 100),
            transport_run(3, "A", "c-ref", 300, 100),
        ]
        text = summarize_transports.report(write_jsonl(rows))
        ws = table_row(text, "A: 64 B, 64 conns, depth 16", "citadel ws")
        # req/s vs tcp per round 0.90, 0.50, 0.95: median 0.90 (ratio of medians: 0.45)
        self.assertEqual(ws[3], "0.90×")
        # vs c-ref per round 0.90, 1.00, 0.95: median 0.95
        self.assertEqual(ws[4], "0.95×")
        # CPU per request vs tcp per round 1.22, 2.00, 1.26: median 1.26 (of medians: 2.00)
        self.assertEqual(ws[8], "1.26×")
        self.assertIn("A, ws vs citadel-tcp per round: req/s 0.90, 0.50, 0.95", text)

    def test_syscalls_per_request_and_memory_differences(self):
        sys_tcp = {"events": {"all": 3000, "recvfrom": 1000, "io_uring_enter": 10},
                   "window_s": 2, "bench": {"rps": 500}}
        rows = [transport_run(1, "B", "tcp", 100, 100, sys_tcp)]
        for rnd, tcp, ws in ((1, 400, 900), (2, 300, 1000), (3, 500, 1000)):
            for t, rss in (("tcp", tcp), ("ws", ws)):
                rows.append({"part": "memory", "round": rnd, "transport": t, "ok": True,
                             "bench": {"connected": 10, "rss_per_conn_bytes": rss}})
        text = summarize_transports.report(write_jsonl(rows))
        syscalls = text.split("### Server syscalls")[1]
        sys_row = table_row(syscalls, "B: 64 B, 64 conns, depth 16", "citadel tcp")
        self.assertIn("3.000", sys_row)   # all syscalls per request
        self.assertIn("0.010", sys_row)   # io_uring_enter per request
        ws = table_row(text, "ws")
        self.assertEqual(ws[3], "+500")   # per round +500, +700, +500 (of medians: +600)


def live_window(rnd, kind, p99_ms, p50_ms=25.0, ops=(), samples=None, disconnects=0, gaps=0):
    return {"part": "live-ops", "kind": kind, "round": rnd, "ok": True, "error": "",
            "players": 2000, "window": [100.0, 120.0], "ops": list(ops),
            "metrics_samples": samples,
            "bench": {"joined": 2000, "rooms": 125, "room_hz_min": 20.0, "p50_us": p50_ms * 1000,
                      "p99_us": p99_ms * 1000, "max_us": 60000, "disconnects": disconnects,
                      "slow_rooms": 0, "tick_gaps": gaps, "server_cores_per_1000": 0.2}}


class LiveOpsTest(unittest.TestCase):
    def test_ops_over_quiet_is_the_median_of_per_round_ratios(self):
        # p99 quiet 50, 40, 60; ops 55, 60, 60 -> 1.100, 1.500, 1.000: median 1.100
        # (ratio of the medians would be 60 / 50 = 1.2).
        rows = [live_window(1, "quiet", 50), live_window(1, "ops", 55),
                live_window(2, "ops", 60), live_window(2, "quiet", 40),
                live_window(3, "quiet", 60), live_window(3, "ops", 60)]
        _, text = run(summarize_liveops.ops_table, rows)
        self.assertIn("r1 1.100, r2 1.500, r3 1.000; median **1.100×**", text)

    def test_window_counters_use_only_the_samples_inside_the_window(self):
        samples = [[99.0, {"ticks": 0, "skipped": 0, "overruns": 0}],
                   [101.0, {"ticks": 100, "skipped": 1, "overruns": 2}],
                   [119.0, {"ticks": 1900, "skipped": 4, "overruns": 2}],
                   [121.0, {"ticks": 2100, "skipped": 9, "overruns": 5}]]
        w = summarize_liveops.window_counters(live_window(1, "ops", 50, samples=samples))
        self.assertEqual(w, {"seconds": 18.0, "ticks": 1800, "skipped": 3, "overruns": 0})

    def test_operations_count_as_ok_only_with_http_200_and_ok_true(self):
        ops = [{"op": "reload", "http": 200, "s": 0.002, "body": "{'ok':true,'version':2}"},
               {"op": "swap", "http": 422, "s": 0.004, "body": "{'ok':false}"},
               {"op": "swap", "http": 200, "s": 0.001, "body": "{'ok':true,'message':'x'}"}]
        done, ok, kinds, slowest = summarize_liveops.ops_summary(live_window(1, "ops", 50, ops=ops))
        self.assertEqual((done, ok, slowest), (3, 2, 0.004))
        self.assertEqual(kinds, {"reload": [1, 1], "swap": [1, 2]})

    def test_snapshot_cost_pairs_each_value_with_no_snapshots_of_its_round(self):
        def snap(rnd, every, pct):
            return {"part": "snapshot", "round": rnd, "snapshot_every_ticks": every, "ok": True,
                    "bench": {"joined": 1000, "server_cores_per_1000": pct / 100,
                              "p99_us": 50000, "disconnects": 0}}
        # 20 against 0: 22/20, 18/12, 21/20 -> 1.100, 1.500, 1.050: median 1.100; +2, +6, +1: +2
        rows = [snap(1, 20, 22), snap(1, 0, 20), snap(2, 0, 12), snap(2, 20, 18),
                snap(3, 20, 21), snap(3, 0, 20)]
        _, text = run(summarize_liveops.snapshot_table, rows)
        self.assertIn("ratios r1 1.100, r2 1.500, r3 1.050; median **1.100×** the CPU, +2.00 points",
                      text)

    def test_restart_meets_the_goal_only_with_everyone_back_within_2_s(self):
        def rnd(n, lost, gap_max_ms, restart_s):
            return {"part": "restart", "round": n, "ok": True, "restart_s": restart_s,
                    "listen_s": restart_s / 2,
                    "bench": {"joined": 1000, "resumed": 1000 - lost, "resume_lost": lost,
                              "resume_refused_by_result": {"SessionGone": lost} if lost else {},
                              "gap_p50_us": 500e3, "gap_p99_us": 900e3,
                              "gap_max_us": gap_max_ms * 1000}}
        _, text = run(summarize_liveops.restart_table,
                      [rnd(1, 0, 1500, 0.3), rnd(2, 1000, 0, 0.3), rnd(3, 0, 2500, 0.3)])
        rows = [line for line in text.splitlines() if line.startswith("| ") and "round" not in line]
        self.assertTrue(rows[0].endswith("| yes |"), rows[0])
        self.assertTrue(rows[1].endswith("| no |"), rows[1])  # all lost (SessionGone)
        self.assertTrue(rows[2].endswith("| no |"), rows[2])  # a gap over 2 s


class StorageTest(unittest.TestCase):
    @staticmethod
    def row(rnd, mode, per_s, p99=1000.0):
        return {"round": rnd, "mode": mode, "ok": True, "error": "",
                "result": {"ops_per_s": per_s, "writes_per_s": per_s, "reads_per_s": 0.0,
                           "p50_us": 500.0, "p99_us": p99, "p999_us": 2000.0,
                           "server_cpu_us_per_op": 5.0, "requests_sent": 1000,
                           "refused_by_result": {}, "disconnects": 0}}

    def test_ratios_to_write_through_are_paired_per_round(self):
        # write-behind / write-through: 50/10, 30/10, 90/30 -> 5, 3, 3: median 3.00;
        # the ratio of the medians would be 50/10 = 5.00.
        rows = [self.row(1, "pg-through", 10), self.row(1, "pg-behind", 50),
                self.row(2, "pg-through", 10), self.row(2, "pg-behind", 30),
                self.row(3, "pg-through", 30), self.row(3, "pg-behind", 90)]
        _, text = run(summarize_storage.report, rows)
        self.assertIn("| PostgreSQL write-behind | ops/s | r1: 5.00, r2: 3.00, r3: 3.00 | 3.00 |",
                      text)
        # SQLite never ran: no ratio, not a crash.
        self.assertIn("| SQLite (embedded) | ops/s | - | - |", text)
