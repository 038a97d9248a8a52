// FIFO of request send times for one connection. Replies on a connection come
// back in request order (wire contract), so the oldest send time is always the
// one the next reply answers: no request ids on the wire, no map lookups.
//
// The slots live in one slab owned by the worker (one ring per connection cut
// out of it), so 19,000 connections cost no allocation each and stay close in
// memory.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <span>

namespace citadel::bench {

using Clock = std::chrono::steady_clock;

class SendTimeRing {
 public:
  SendTimeRing() = default;
  // `slots.size()` must be a power of two; the storage must outlive the ring.
  explicit SendTimeRing(std::span<Clock::time_point> slots)
      : slots_(slots.data()), mask_(static_cast<uint32_t>(slots.size()) - 1) {
    assert(!slots.empty() && (slots.size() & (slots.size() - 1)) == 0);
  }

  uint32_t size() const { return count_; }
  uint32_t capacity() const { return slots_ == nullptr ? 0 : mask_ + 1; }
  bool empty() const { return count_ == 0; }
  bool full() const { return count_ == capacity(); }

  // The caller checks full() first: a full ring means more requests in flight
  // than the scenario allows, which is a bug in the caller, not the peer.
  void push(Clock::time_point t) {
    assert(!full());
    slots_[(head_ + count_) & mask_] = t;
    ++count_;
  }

  Clock::time_point pop() {
    assert(!empty());
    const Clock::time_point t = slots_[head_];
    head_ = (head_ + 1) & mask_;
    --count_;
    return t;
  }

  void clear() { head_ = count_ = 0; }

 private:
  Clock::time_point* slots_ = nullptr;
  uint32_t mask_ = 0;
  uint32_t head_ = 0;
  uint32_t count_ = 0;
};

// Smallest power of two >= n (n >= 1): ring sizes.
constexpr uint32_t ring_slots_for(uint32_t n) {
  uint32_t slots = 1;
  while (slots < n) slots <<= 1;
  return slots;
}

}  // namespace citadel::bench
