// Logging set-up (spdlog) and a rate limiter for log lines a peer can trigger.
#pragma once

#include <chrono>
#include <cstdint>

#include "ops/config.h"

namespace citadel::ops {

// Installs the default logger: stderr, plus a size-rotated file when
// config.file is set. Throws ConfigError if the file cannot be opened.
void setup_logging(const LogConfig& config);

// Token bucket for log lines caused by peers (protocol errors): at most
// `per_second` lines a second with a burst of the same size, so a flood of bad
// clients can neither fill the disk nor stall a loop formatting messages. Lines
// refused are counted; the next allowed line reports how many were dropped.
// One per loop thread: not thread-safe.
class LogRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogRateLimiter(uint32_t per_second) : per_second_(per_second), tokens_(per_second) {}

  // True if a line may be logged now. `suppressed` receives the number of
  // lines dropped since the last allowed one (and is reset).
  bool allow(Clock::time_point now, uint64_t& suppressed);

 private:
  uint32_t per_second_;
  double tokens_;
  Clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

}  // namespace citadel::ops
