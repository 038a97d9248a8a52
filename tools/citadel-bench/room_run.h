// The controller's side of a room scenario (arena, lockstep): starts the
// workers, waits until every player is in its room (or, with --join-storm,
// logged in, then fires the joins and waits for their answers), runs the
// warm-up and the measured window, reads the server's CPU time and memory
// around them when given its pid, and merges what the workers measured.
// The scenarios print the result in their own words.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "histogram.h"
#include "room_options.h"
#include "room_sessions.h"
#include "room_ticks.h"
#include "room_worker.h"
#include "stats_board.h"

namespace citadel::bench {

struct RoomRunResult {
  RoomLoadOptions options;
  uint32_t threads = 1;
  WorkerSnapshot totals;
  SessionCounts sessions;
  GameCounts game;
  ResumeCounts resumes;           // --resume
  Histogram gaps;                 // --resume: last state before a drop -> first after the resume
  Histogram moved_gaps;           // failover: last state before a Rejoined -> first after it
  uint64_t in_room_at_start = 0;  // when the window opened
  uint64_t in_room_at_end = 0;
  Histogram join_latency;  // RoomJoin -> RoomReply Ok, every join
  Histogram latency;       // input -> ack (arena) / -> frame carrying it (lockstep), in the window
  Histogram jitter;        // lockstep: |frame interval - tick period|, in the window
  Histogram input_lag;     // inputs sent late against their schedule (the bench's own delay)
  std::vector<RoomRate> room_rates;
  uint32_t tick_hz = 0;   // as the rooms announced it (RoomReply)
  double connect_s = 0;   // first connect until every player was in (or logged in, storm)
  double duration_s = 0;  // the measured window
  // --join-storm: from the first RoomJoin sent to the last RoomReply, and the
  // joins that had no answer join_timeout_s after the window.
  double storm_s = 0;
  uint64_t join_timeouts = 0;
  std::optional<uint64_t> rss_before_kb, rss_after_kb;  // before connecting; all players in
  std::optional<double> server_cpu_s;                   // over the measured window
  std::vector<std::optional<double>> also_cpu_s;        // --also-pid, in order, same window
  std::optional<double> bench_cpu_s;                    // this process, over the measured window
  bool interrupted = false;
};

// Returns the process exit code (0, or 2: no connection could be opened).
int run_room_load(const RoomLoadOptions& options, const sockaddr_in& server, std::FILE* csv,
                  RoomRunResult& result);

// Summary of the per-room tick rates.
struct RateSummary {
  std::size_t rooms = 0;
  double min_hz = 0, median_hz = 0, max_hz = 0;
  std::size_t slow_rooms = 0;  // below 97.5 % of the announced rate
};
RateSummary summarize_rates(std::vector<RoomRate> rates, uint32_t tick_hz);

}  // namespace citadel::bench
