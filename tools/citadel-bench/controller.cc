#include "controller.h"

#include <thread>

#include <fmt/format.h>

#include "json_line.h"

namespace citadel::bench {

Controller::Controller(std::span<StatsBoard> boards, uint64_t target, bool quiet, std::FILE* csv,
                       std::string_view rate_label)
    : boards_(boards),
      target_(target),
      quiet_(quiet),
      csv_(csv),
      rate_label_(rate_label),
      started_(Clock::now()),
      next_tick_(started_ + kTickPeriod),
      last_tick_(started_) {
  if (csv_ != nullptr) {
    fmt::print(csv_, "second,requests,rps,p50_us,p99_us,connected,errors\n");
    std::fflush(csv_);
  }
}

void Controller::sleep_until(Clock::time_point t) {
  std::this_thread::sleep_until(t);
}

void Controller::refresh(Clock::time_point now) {
  WorkerSnapshot sum;
  for (StatsBoard& board : boards_) accumulate(sum, board.snapshot());
  totals_ = std::move(sum);

  if (!error_reported_ && totals_.first_error.seen) {
    error_reported_ = true;
    finish();
    fmt::print(stderr, "server ERROR frame: code {} {} (further ones are only counted)\n",
               totals_.first_error.code, json_quote(totals_.first_error.text));
  }
  if (now >= next_tick_) {
    tick(now);
    // Deadline-based: a late wake-up does not shift every later second.
    while (next_tick_ <= now) next_tick_ += kTickPeriod;
  }
}

void Controller::tick(Clock::time_point now) {
  interval_.reset();
  for (StatsBoard& board : boards_) board.drain_interval(interval_);
  ++second_;
  const uint64_t replies = totals_.counters.replies_ok;
  const uint64_t requests = replies - replies_at_last_tick_;
  replies_at_last_tick_ = replies;
  const double seconds = std::chrono::duration<double>(now - last_tick_).count();
  last_tick_ = now;
  const double rps = seconds > 0 ? static_cast<double>(requests) / seconds : 0.0;
  const double p50_us = interval_.percentile_us(50);
  const double p99_us = interval_.percentile_us(99);
  const ClientCounters& c = totals_.counters;

  if (csv_ != nullptr) {
    fmt::print(csv_, "{},{},{:.1f},{:.1f},{:.1f},{},{}\n", second_, requests, rps, p50_us, p99_us,
               c.open, c.errors());
    std::fflush(csv_);
  }
  if (!quiet_) {
    const double elapsed_s = std::chrono::duration<double>(now - started_).count();
    // Trailing spaces wipe what a longer previous line left behind.
    fmt::print(stderr, "\r[{:6.1f}s] connected {}/{}  {} {:.0f}  p99 {:.1f} us  errors {}   ",
               elapsed_s, c.open, target_, rate_label_, rps, p99_us, c.errors());
    std::fflush(stderr);
    line_open_ = true;
  }
}

void Controller::finish() {
  if (line_open_) {
    fmt::print(stderr, "\n");
    line_open_ = false;
  }
}

}  // namespace citadel::bench
