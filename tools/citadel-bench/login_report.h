// What a login run measured, and its end-of-run output: the summary table on
// stderr and exactly one JSON line on stdout (scenario "login" or "storm").
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "bench_messages.h"
#include "histogram.h"
#include "options.h"
#include "stats_board.h"

namespace citadel::bench {

struct LoginResult {
  LoginOptions options;
  uint32_t threads = 1;
  WorkerSnapshot totals;
  // Login round trips (send -> AuthReply): in the measured window for the
  // persistent mode, all of them for the storm.
  Histogram latency;
  std::array<uint64_t, kResultSlots> results{};  // login replies by AuthResult
  uint64_t logins_sent = 0;
  uint64_t logins_ok = 0;  // whole run
  uint64_t logouts_ok = 0;
  uint64_t unexpected_frames = 0;  // neither a reply we wait for nor an ERROR
  double connect_s = 0;
  double duration_s = 0;  // persistent: measured; storm: held after all resolved
  // Storm: from the first connect until the last successful login, and
  // whether every connection got that far.
  double storm_s = 0;
  bool all_logged_in = false;
  uint64_t logged_in_at_end = 0;  // storm: open and logged in when the run ended
  std::optional<uint64_t> rss_before_kb, rss_after_kb;
  uint64_t logged_in_at_rss = 0;
  std::optional<double> server_cpu_s;  // over the measured window (persistent) or the storm
  bool interrupted = false;
};

void print_login_report(const LoginResult& result);

}  // namespace citadel::bench
