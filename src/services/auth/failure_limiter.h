// Counts failed logins per key (an account name, an address) in a fixed
// window; once a key reaches its limit it is refused until the window ends.
// Service loop only. Bounded: entries whose window has passed are pruned,
// and past kMaxKeys the oldest half goes (a spray of random names cannot
// grow it without bound).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "net/loop_clock.h"

namespace citadel::services {

class FailureLimiter {
 public:
  using Clock = net::LoopClock;  // the loops' clock: a test may fake it
  static constexpr std::size_t kMaxKeys = 100'000;

  FailureLimiter(uint32_t max_failures, std::chrono::seconds window)
      : max_failures_(max_failures), window_(window) {}

  bool blocked(const std::string& key, Clock::time_point now) const {
    auto it = entries_.find(key);
    return it != entries_.end() && now - it->second.window_start < window_ &&
           it->second.failures >= max_failures_;
  }
  void record_failure(const std::string& key, Clock::time_point now) {
    if (entries_.size() >= kMaxKeys) prune(now, true);
    Entry& e = entries_[key];
    if (e.failures == 0 || now - e.window_start >= window_) e = Entry{0, now};
    ++e.failures;
  }
  void reset(const std::string& key) { entries_.erase(key); }
  void prune(Clock::time_point now, bool hard = false) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      const bool old = now - it->second.window_start >= (hard ? window_ / 2 : window_);
      it = old ? entries_.erase(it) : std::next(it);
    }
  }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint32_t failures = 0;
    Clock::time_point window_start{};
  };
  uint32_t max_failures_;
  std::chrono::seconds window_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace citadel::services
