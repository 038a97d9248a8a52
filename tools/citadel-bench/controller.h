// The main thread's side of a run: while the workers drive the sockets it
// wakes every 20 ms to sum their boards, reports the first server ERROR as
// soon as it appears, and once a second (by deadline, so it does not drift)
// updates the progress line on stderr and writes a CSV row.
#pragma once

#include <algorithm>
#include <cstdio>
#include <span>
#include <string_view>

#include "histogram.h"
#include "interrupt.h"
#include "stats_board.h"

namespace citadel::bench {

enum class WaitResult { kDone, kDeadline, kInterrupted };

class Controller {
 public:
  // `csv` may be null; it stays owned by the caller. `target` is the number of
  // connections asked for. `rate_label` names the per-second count of good
  // replies on the progress line (logins/s, receipts/s, ...).
  Controller(std::span<StatsBoard> boards, uint64_t target, bool quiet, std::FILE* csv,
             std::string_view rate_label = "req/s");

  // Returns when `done()` holds (checked every 20 ms), at `deadline`, or on
  // Ctrl-C, whichever comes first.
  template <class Done>
  WaitResult wait(Clock::time_point deadline, Done&& done) {
    for (;;) {
      refresh(Clock::now());
      if (done()) return WaitResult::kDone;
      if (interrupted()) return WaitResult::kInterrupted;
      const Clock::time_point now = Clock::now();
      if (now >= deadline) return WaitResult::kDeadline;
      sleep_until(std::min(deadline, now + kPollPeriod));
    }
  }
  WaitResult wait(Clock::time_point deadline) {
    return wait(deadline, [] { return false; });
  }

  // Sums of all workers as of the last refresh.
  const WorkerSnapshot& totals() const { return totals_; }
  Clock::time_point started() const { return started_; }
  // Ends the progress line so the summary starts on a line of its own.
  void finish();

 private:
  static constexpr auto kPollPeriod = std::chrono::milliseconds(20);
  static constexpr auto kTickPeriod = std::chrono::seconds(1);

  static void sleep_until(Clock::time_point t);
  void refresh(Clock::time_point now);
  void tick(Clock::time_point now);

  std::span<StatsBoard> boards_;
  uint64_t target_;
  bool quiet_;
  std::FILE* csv_;
  std::string_view rate_label_;
  Clock::time_point started_;
  Clock::time_point next_tick_;
  Clock::time_point last_tick_;
  uint64_t second_ = 0;
  uint64_t replies_at_last_tick_ = 0;
  bool error_reported_ = false;
  bool line_open_ = false;
  WorkerSnapshot totals_;
  Histogram interval_;
};

}  // namespace citadel::bench
