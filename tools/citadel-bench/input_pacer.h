// Spreads periodic sends of many players evenly over each period, so that
// 3,000 players at 20 Hz make a steady 60,000 inputs a second instead of 20
// bursts of 3,000. Send number k (counting from 0) goes to slot k % slots at
// origin + k * period / slots: every slot sends once per period, at its own
// phase. A worker that falls behind catches up (the sends it owes go out at
// once), and the caller sees how late each one is.
#pragma once

#include <cstdint>

#include "send_time_ring.h"  // Clock

namespace citadel::bench {

class InputPacer {
 public:
  InputPacer() = default;
  // `rounds` 0: endless; otherwise stop after each slot has sent that often.
  InputPacer(uint32_t slots, Clock::duration period, Clock::time_point origin, uint32_t rounds = 0)
      : slots_(slots), period_(period), origin_(origin), rounds_(rounds) {}

  bool done() const { return slots_ == 0 || (rounds_ != 0 && sent_ >= uint64_t{rounds_} * slots_); }
  Clock::time_point next_due() const {
    return origin_ + period_ * static_cast<int64_t>(sent_) / static_cast<int64_t>(slots_);
  }

  // Calls `send(slot, due_time)` for every send due by `now`, in order.
  template <class F>
  void run_due(Clock::time_point now, F&& send) {
    while (!done()) {
      const Clock::time_point due = next_due();
      if (due > now) return;
      send(static_cast<uint32_t>(sent_ % slots_), due);
      ++sent_;
    }
  }

 private:
  uint32_t slots_ = 0;
  Clock::duration period_{};
  Clock::time_point origin_{};
  uint32_t rounds_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace citadel::bench
