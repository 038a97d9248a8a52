// What a leaderboard run measured, and its end-of-run output: the summary on
// stderr and exactly one JSON line on stdout (scenario "leaderboard").
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "bench_messages.h"
#include "histogram.h"
#include "options.h"
#include "stats_board.h"

namespace citadel::bench {

struct LeaderboardResult {
  LeaderboardOptions options;
  uint32_t threads = 1;
  WorkerSnapshot totals;
  // Round trips (send -> LeaderboardReply Ok) received in the measured window.
  Histogram latency;
  // Replies received in the measured window by LeaderboardResult (slot 0: Ok).
  std::array<uint64_t, kResultSlots> results{};
  uint64_t taken = 0;  // measured Ok replies whose score changed the record
  uint64_t logged_in = 0;
  uint64_t logins_refused = 0;
  uint64_t submits_sent = 0;  // whole run
  uint64_t missed = 0;        // open loop: scheduled in the window, every slot busy
  uint64_t unexpected_frames = 0;
  double connect_s = 0;  // first connect until every connection is logged in (or not)
  double duration_s = 0;
  std::optional<double> server_cpu_s;  // over the measured window
  bool interrupted = false;
};

void print_leaderboard_report(const LeaderboardResult& result);

}  // namespace citadel::bench
