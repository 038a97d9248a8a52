#include "stats_board.h"

namespace citadel::bench {

void accumulate(WorkerSnapshot& into, const WorkerSnapshot& from) {
  ClientCounters& a = into.counters;
  const ClientCounters& b = from.counters;
  a.connects_started += b.connects_started;
  a.connected += b.connected;
  a.connect_failed += b.connect_failed;
  a.disconnects += b.disconnects;
  a.open += b.open;
  a.open_answered += b.open_answered;
  a.requests_sent += b.requests_sent;
  a.replies_ok += b.replies_ok;
  a.replies_mismatched += b.replies_mismatched;
  a.error_frames += b.error_frames;
  a.protocol_errors += b.protocol_errors;
  a.server_pings += b.server_pings;
  a.pongs_dropped += b.pongs_dropped;
  into.requests_skipped += from.requests_skipped;
  if (!into.first_error.seen && from.first_error.seen) into.first_error = from.first_error;
}

void StatsBoard::publish(const ClientCounters& counters, const ServerError& first_error,
                         uint64_t requests_skipped, Histogram& interval) {
  {
    std::lock_guard lock(mu_);
    snap_.counters = counters;
    snap_.requests_skipped = requests_skipped;
    // Copied once: the text is the only part that allocates.
    if (!snap_.first_error.seen && first_error.seen) snap_.first_error = first_error;
    interval_.merge(interval);
  }
  interval.reset();
}

WorkerSnapshot StatsBoard::snapshot() const {
  std::lock_guard lock(mu_);
  return snap_;
}

void StatsBoard::drain_interval(Histogram& into) {
  std::lock_guard lock(mu_);
  into.merge(interval_);
  interval_.reset();
}

}  // namespace citadel::bench
