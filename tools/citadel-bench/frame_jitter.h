// Jitter of a stream of frames that should arrive every `period` (lockstep:
// 1/30 s): for each arrival after the first, |interval since the previous
// arrival - period|. Measured where the player sees it (the read that
// brought the frame), so it includes the network and the client's own delay,
// as a game client would.
#pragma once

#include <chrono>
#include <optional>

#include "send_time_ring.h"  // Clock

namespace citadel::bench {

class FrameArrivals {
 public:
  // Records an arrival at `now`; returns its deviation from `period`, or
  // nothing for the first arrival.
  std::optional<Clock::duration> arrive(Clock::time_point now, Clock::duration period) {
    const bool first = !seen_;
    const Clock::time_point previous = last_;
    seen_ = true;
    last_ = now;
    if (first) return std::nullopt;
    const Clock::duration interval = now - previous;
    return interval >= period ? interval - period : period - interval;
  }

 private:
  Clock::time_point last_{};
  bool seen_ = false;
};

// The period of a tick rate in Hz (30 -> 33.333 ms), in Clock ticks.
inline Clock::duration period_of_hz(double hz) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / hz));
}

}  // namespace citadel::bench
