// A bounded multi-producer, single-consumer queue that hands the consumer
// everything pending at once, so one lock round-trip serves a whole batch.
//
// The bound counts items accepted and not yet released by the consumer
// (queued plus in hand), so memory stays bounded however far behind the
// consumer falls. Producers never block: a full queue refuses at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace citadel::store {

template <class T>
class BoundedBatchQueue {
 public:
  enum class Push { kAccepted, kFull, kClosed };

  explicit BoundedBatchQueue(std::size_t capacity) : capacity_(capacity) {}
  BoundedBatchQueue(const BoundedBatchQueue&) = delete;
  BoundedBatchQueue& operator=(const BoundedBatchQueue&) = delete;

  // Any thread. Moves `item` in only when accepted; otherwise it is left as it
  // was, so the caller can still complete it.
  Push try_push(T& item) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return Push::kClosed;
      if (outstanding_ >= capacity_) return Push::kFull;
      pending_.push_back(std::move(item));
      ++outstanding_;
      // Only the push that gives a sleeping consumer what it waits for pays
      // for a notify (a futex wake); the rest find it awake or not yet due.
      if (consumer_waiting_ && pending_.size() >= wake_at_size_) {
        consumer_waiting_ = false;
        wake = true;
      }
    }
    if (wake) ready_.notify_one();
    return Push::kAccepted;
  }

  // Consumer thread. First destroys `out`'s old contents (finished items must
  // not linger, holding whatever they captured, while the queue sits idle).
  // Then waits until something is pending or the queue is closed.
  // Then, if fewer than `fill_to` items are pending, keeps waiting until
  // `not_before` for more (group commit: under load, one larger batch instead
  // of many small ones; a deadline already past means no wait). Finally swaps
  // everything pending into `out` (its capacity is reused).
  // Returns false once the queue is closed and empty.
  template <class Clock, class Duration>
  bool wait_take_all(std::vector<T>& out, std::size_t fill_to,
                     std::chrono::time_point<Clock, Duration> not_before) {
    out.clear();
    std::unique_lock lock(mutex_);
    wait_while_locked(1, [&] { ready_.wait(lock); });
    if (!closed_ && pending_.size() < fill_to && Clock::now() < not_before) {
      wait_while_locked(
          fill_to, [&] { ready_.wait_until(lock, not_before); },
          [&] { return Clock::now() >= not_before; });
    }
    consumer_waiting_ = false;
    if (pending_.empty()) return false;
    std::swap(out, pending_);
    return true;
  }

  // Consumer thread. As above, without a fill window.
  bool wait_take_all(std::vector<T>& out) {
    return wait_take_all(out, 0, std::chrono::steady_clock::time_point{});
  }

  // Consumer thread: `count` items taken earlier are finished; their places
  // become free for producers.
  void release(std::size_t count) {
    std::lock_guard lock(mutex_);
    outstanding_ -= count;
  }

  // Any thread. Later pushes get kClosed; items already accepted are still
  // handed to the consumer.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

  // Any thread; a gauge.
  std::size_t outstanding() const {
    std::lock_guard lock(mutex_);
    return outstanding_;
  }
  std::size_t capacity() const { return capacity_; }

 private:
  // Sleeps (via `wait`) until `size` items are pending, the queue is closed,
  // or `expired()` says the deadline passed. Called with mutex_ held (by the
  // unique_lock that `wait` waits on).
  template <class Wait, class Expired = bool (*)()>
  void wait_while_locked(
      std::size_t size, Wait wait, Expired expired = [] { return false; }) {
    wake_at_size_ = size;
    while (pending_.size() < size && !closed_ && !expired()) {
      consumer_waiting_ = true;
      wait();
    }
    consumer_waiting_ = false;
  }

  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<T> pending_;         // guarded by mutex_
  std::size_t outstanding_ = 0;    // guarded by mutex_
  bool consumer_waiting_ = false;  // guarded by mutex_
  std::size_t wake_at_size_ = 1;   // guarded by mutex_: pending size that wakes the consumer
  bool closed_ = false;            // guarded by mutex_
};

}  // namespace citadel::store
