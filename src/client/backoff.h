// The reconnect schedule: exponential backoff with jitter, a cap, a limit on
// tries, and a reset once a connection has proved stable. Pure logic on an
// injected clock and random source, so the schedule is unit-tested exactly.
//
//   delay(n) = jitter(min(cap, base * 2^n)),  n = failures in a row so far (0-based)
//
// Not thread-safe; the Client uses it on its io_context thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "client/client_options.h"

namespace citadel::client {

// min(cap, base * 2^n), without overflow for any n.
std::chrono::milliseconds backoff_ceiling(const BackoffConfig& config, uint32_t n);

// One scheduled reconnect attempt.
struct ReconnectAttempt {
  uint32_t number = 0;  // 1 for the first attempt after a loss
  std::chrono::milliseconds delay{0};
  SteadyClock::time_point at;  // now() + delay
};

class ReconnectSchedule {
 public:
  ReconnectSchedule(BackoffConfig config, NowFn now, RandomFn random);

  // A connection is up (remembered, to tell a stable one from a flapping one).
  void on_connected();
  // The link is down: a connect attempt failed or a connection was lost.
  // Returns the next attempt, or nullopt once max_tries attempts in a row
  // have failed (give up).
  std::optional<ReconnectAttempt> on_link_down();
  // Forget past failures (e.g. the user asked to connect again).
  void reset();

  uint32_t failures() const { return failures_; }
  const BackoffConfig& config() const { return config_; }

 private:
  std::chrono::milliseconds jittered(std::chrono::milliseconds ceiling);

  BackoffConfig config_;
  NowFn now_;
  RandomFn random_;
  uint32_t failures_ = 0;
  std::optional<SteadyClock::time_point> connected_at_;
};

}  // namespace citadel::client
