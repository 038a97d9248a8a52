// Deadline-ordered timers for one loop. Ordered map rather than a heap so a
// timer can be cancelled in O(log n) by its id (rooms will cancel and re-arm).
// Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

namespace citadel::net {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;
  using TimerId = std::pair<Clock::time_point, uint64_t>;

  TimerId add(Clock::time_point deadline, std::function<void()> callback) {
    TimerId id{deadline, next_seq_++};
    timers_.emplace(id, std::move(callback));
    return id;
  }
  bool cancel(const TimerId& id) { return timers_.erase(id) != 0; }

  // The earliest deadline, if any.
  std::optional<Clock::time_point> next_deadline() const {
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.first;
  }

  // Runs every timer due at `now`, in deadline order. Callbacks may add or
  // cancel timers; ones added for `now` or earlier run in the next call.
  // Returns how many ran.
  std::size_t run_due(Clock::time_point now) {
    const uint64_t horizon = next_seq_;
    std::size_t ran = 0;
    while (!timers_.empty()) {
      auto it = timers_.begin();
      if (it->first.first > now || it->first.second >= horizon) break;
      auto callback = std::move(it->second);
      timers_.erase(it);
      callback();
      ++ran;
    }
    return ran;
  }

  std::size_t size() const { return timers_.size(); }

 private:
  std::map<TimerId, std::function<void()>> timers_;
  uint64_t next_seq_ = 0;
};

}  // namespace citadel::net
