// Per-worker latency recording: every good reply goes into the interval
// histogram (the controller drains it each second for the progress line and
// CSV), and those received inside the measurement window also into the run's
// histogram, which the controller merges once the worker has stopped.
#pragma once

#include "histogram.h"
#include "send_time_ring.h"

namespace citadel::bench {

class LatencyRecorder {
 public:
  // Until a window is set nothing counts as measured.
  void set_window(Clock::time_point start, Clock::time_point end) {
    start_ = start;
    end_ = end;
  }

  void record(Clock::duration rtt, Clock::time_point now) {
    interval_.record(rtt);
    if (now >= start_ && now < end_) measured_.record(rtt);
  }

  Histogram& interval() { return interval_; }
  const Histogram& measured() const { return measured_; }

 private:
  Clock::time_point start_ = Clock::time_point::max();
  Clock::time_point end_ = Clock::time_point::max();
  Histogram interval_;
  Histogram measured_;
};

}  // namespace citadel::bench
