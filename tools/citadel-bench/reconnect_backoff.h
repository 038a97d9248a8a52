// When a player whose connection dropped tries again (citadel-bench arena
// --resume): exponential backoff with full jitter. Attempt n waits a uniform
// share `u` in [0, 1) of min(max, base * 2^n), so a thousand players that
// lost the server at the same instant come back spread over the first
// `base` instead of all at once, and a server that stays down is tried less
// and less often, never less than once per `max`.
#pragma once

#include <algorithm>
#include <cstdint>

#include "send_time_ring.h"  // Clock

namespace citadel::bench {

inline Clock::duration reconnect_backoff(uint32_t attempt, double u, Clock::duration base,
                                         Clock::duration max) {
  Clock::duration cap = base;
  for (uint32_t i = 0; i < attempt && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  return std::chrono::duration_cast<Clock::duration>(cap * std::clamp(u, 0.0, 1.0));
}

}  // namespace citadel::bench
