// Send times of one player's inputs that the server has not acknowledged yet.
//
// Game inputs are not request/reply: the arena acks an input by putting its
// seq (or a later one: the room applies only the latest input per tick) in a
// state message, and a lockstep frame carries the inputs it bundled. So an
// input counts as answered when the first ack >= its seq arrives, and one
// ack can answer several inputs. Seqs rise by 1 from 1, so the ring is
// indexed by seq: no search, no allocation, 64 slots (3.2 s of inputs at
// 20 Hz) per player.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <optional>

#include "send_time_ring.h"  // Clock

namespace citadel::bench {

class SeqTimeRing {
 public:
  static constexpr uint32_t kSlots = 64;

  // The seq the next push must carry.
  uint32_t next_seq() const { return next_; }
  uint32_t outstanding() const { return next_ - oldest_; }

  // Records that input `next_seq()` left at `t`. If kSlots inputs are already
  // waiting, the oldest is given up to make room: its send time is returned,
  // so the caller can count it (it has waited kSlots input periods at least).
  std::optional<Clock::time_point> push(Clock::time_point t) {
    std::optional<Clock::time_point> evicted;
    if (outstanding() == kSlots) evicted = times_[oldest_++ % kSlots];
    times_[next_++ % kSlots] = t;
    return evicted;
  }

  // The input pushed last actually left at `t` (the send happened after the
  // push, at the end of the worker's turn).
  void restamp_last(Clock::time_point t) {
    if (outstanding() > 0) times_[(next_ - 1) % kSlots] = t;
  }

  // Seq `ack` has been seen: calls `answered(sent_at)` for every waiting
  // input with seq <= ack, oldest first. Stale or repeated acks do nothing.
  // Returns how many inputs it answered.
  template <class F>
  uint32_t ack(uint32_t ack, F&& answered) {
    uint32_t n = 0;
    while (oldest_ != next_ && oldest_ <= ack) {
      answered(times_[oldest_++ % kSlots]);
      ++n;
    }
    return n;
  }

 private:
  std::array<Clock::time_point, kSlots> times_{};
  uint32_t oldest_ = 1;  // oldest seq not yet acknowledged
  uint32_t next_ = 1;    // seq of the next input
};

}  // namespace citadel::bench
