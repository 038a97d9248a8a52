// Where one worker posts its figures for the controller. The worker publishes
// every ~50 ms (not per reply), so the mutex is taken ~20 times a second per
// side and the hot path never touches shared memory.
#pragma once

#include <mutex>

#include "epoll_client.h"
#include "histogram.h"

namespace citadel::bench {

struct WorkerSnapshot {
  ClientCounters counters;
  ServerError first_error;
  // Requests the scenario wanted to send but the in-flight cap refused (hold:
  // a PING due while the previous ones are still unanswered).
  uint64_t requests_skipped = 0;
};

// Sums the counters of several workers; keeps the first error seen.
void accumulate(WorkerSnapshot& into, const WorkerSnapshot& from);

class StatsBoard {
 public:
  // Worker thread. Moves `interval` into the board (and resets it).
  void publish(const ClientCounters& counters, const ServerError& first_error,
               uint64_t requests_skipped, Histogram& interval);
  // Controller thread.
  WorkerSnapshot snapshot() const;
  // Controller thread: adds what was recorded since the last drain to `into`.
  void drain_interval(Histogram& into);

 private:
  mutable std::mutex mu_;
  WorkerSnapshot snap_;
  Histogram interval_;
};

}  // namespace citadel::bench
