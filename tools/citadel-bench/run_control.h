// The few facts the controller thread tells the workers, as atomics: workers
// read them once per loop turn, the controller writes each once or twice.
#pragma once

#include <atomic>
#include <chrono>

#include "send_time_ring.h"

namespace citadel::bench {

struct RunControl {
  // Set once to end the run; workers leave their loop at the next turn.
  std::atomic<bool> stop{false};
  // Echo: traffic starts. Released after the window below is stored.
  std::atomic<bool> go{false};
  // Replies received in [start, end) are the measured ones (steady_clock ticks).
  std::atomic<Clock::rep> measure_start{0};
  std::atomic<Clock::rep> measure_end{0};

  void set_window(Clock::time_point start, Clock::time_point end) {
    measure_start.store(start.time_since_epoch().count(), std::memory_order_relaxed);
    measure_end.store(end.time_since_epoch().count(), std::memory_order_relaxed);
  }
};

// Stops the run when the scope ends: the workers leave their loops however
// the run ends (a throw included), so the jthreads' joins return.
struct StopOnExit {
  RunControl& control;
  ~StopOnExit() { control.stop.store(true, std::memory_order_relaxed); }
};

// A duration given in (fractional) seconds, as the options hold them.
inline Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace citadel::bench
