"""Unit tests of summarize_failover.py's verdicts and table on hand-made
rounds (no benchmark is run): ctest runs them as bench_summarize_failover_test."""
import json
import os
import tempfile
import unittest

import summarize_failover as sf


def round_line(n=1, ok=True, killed=32, moved=32, back=32, disconnects=0, in_room=64, p50=2.1e6, p99=2.4e6):
    return {"part": "failover", "round": n, "ok": ok, "error": "" if ok else "boom", "players": 64,
            "killed": "game-1", "killed_players": killed, "survivor_restored": 2,
            "gateway_seats_moved": moved,
            "bench": {"players": 64, "moved": moved, "moved_back": back, "disconnects": disconnects,
                      "in_room_at_end": in_room, "moved_gap_p50_us": p50, "moved_gap_p99_us": p99,
                      "moved_gap_max_us": p99, "slow_rooms": 2}}


class Verdict(unittest.TestCase):
    def test_every_player_back_passes(self):
        self.assertEqual(sf.verdict(round_line()), (True, ""))

    def test_a_player_that_never_saw_its_room_move_fails(self):
        ok, why = sf.verdict(round_line(moved=31, back=31))
        self.assertFalse(ok)
        self.assertIn("31 of 32", why)

    def test_a_moved_player_that_never_got_a_state_fails(self):
        ok, why = sf.verdict(round_line(back=30))
        self.assertFalse(ok)
        self.assertIn("2 moved players", why)

    def test_disconnects_and_players_out_of_their_room_fail(self):
        self.assertFalse(sf.verdict(round_line(disconnects=1))[0])
        self.assertFalse(sf.verdict(round_line(in_room=63))[0])

    def test_a_failed_round_or_an_empty_node_fails(self):
        self.assertFalse(sf.verdict(round_line(ok=False))[0])
        self.assertFalse(sf.verdict(round_line(killed=0, moved=0, back=0))[0])


class Table(unittest.TestCase):
    def test_the_summary_is_the_median_of_passing_rounds_only(self):
        rounds = [round_line(1, p50=2.0e6, p99=2.2e6), round_line(2, p50=3.0e6, p99=3.5e6),
                  round_line(3, p50=2.2e6, p99=2.6e6), round_line(4, moved=10, back=10, p50=9e6, p99=9e6)]
        text = sf.table(rounds)
        self.assertIn("gap p50 2.20 s, p99 2.60 s", text)  # median of rounds 1-3
        self.assertIn("met", text)
        self.assertIn("FAILED: 10 of 32", text)

    def test_check_all_needs_every_round(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write(json.dumps(round_line(1)) + "\n" + json.dumps(round_line(2, back=1)) + "\n")
        try:
            self.assertEqual(sf.main(["x", "check-all", f.name]), 1)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
