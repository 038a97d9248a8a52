// End-of-run output: a human summary table on stderr and exactly one JSON
// line on stdout (the machine-readable result scripts parse).
#pragma once

#include <cstdint>
#include <optional>

#include "histogram.h"
#include "options.h"
#include "stats_board.h"

namespace citadel::bench {

struct EchoResult {
  EchoOptions options;
  uint32_t threads = 1;
  WorkerSnapshot totals;
  Histogram measured;     // replies received in the measurement window
  double connect_s = 0;   // from start until every connect had resolved
  double duration_s = 0;  // measured, shorter than asked if interrupted
  bool interrupted = false;
};

struct HoldResult {
  HoldOptions options;
  uint32_t threads = 1;
  WorkerSnapshot totals;
  Histogram rtt;  // every PONG
  double connect_s = 0;
  double duration_s = 0;  // held after connecting ended
  std::optional<uint64_t> rss_before_kb;
  std::optional<uint64_t> rss_after_kb;
  uint64_t connected_at_rss = 0;     // connections made when rss_after_kb was read
  bool ping_round_complete = false;  // every open connection had a PONG before rss_after
  bool interrupted = false;
};

void print_echo_report(const EchoResult& result);
void print_hold_report(const HoldResult& result);

}  // namespace citadel::bench
