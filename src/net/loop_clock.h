// The clock of the event loops and their timers, and of the rooms and
// services that schedule on them: std::chrono::steady_clock (and the system
// clock for wall time), unless a test that drives its loops by hand
// (EventLoop::attach_for_testing) has installed a fake.
//
// With a fake, time stands still until the test moves it. Everything that
// waits for time (room ticks, matchmaking polls, the session grace period,
// login rate limits, chat token buckets, idle and linger deadlines, token
// expiry) then runs at the step the test chose, the same way on every run,
// and without sleeping: the app fuzz target (tests/fuzz/app_fuzz.cc) reaches
// those paths by advancing time.
//
// Production never installs a fake: now() is steady_clock::now() after one
// relaxed load of a null pointer. Its time_point is steady_clock's own, so
// values mix freely with code that still names steady_clock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace citadel::net {

class LoopClock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr bool is_steady = true;

  // What a fake says the time is. The test moves time by changing the
  // fields (steady only forward), on the thread that runs the loops.
  struct Fake {
    time_point steady;
    std::chrono::system_clock::time_point system;
  };

  static time_point now() noexcept {
    const Fake* fake = fake_.load(std::memory_order_relaxed);
    return fake == nullptr ? std::chrono::steady_clock::now() : fake->steady;
  }
  // Wall-clock time: token expiry, message timestamps.
  static std::chrono::system_clock::time_point system_now() noexcept {
    const Fake* fake = fake_.load(std::memory_order_relaxed);
    return fake == nullptr ? std::chrono::system_clock::now() : fake->system;
  }

  // system_now() in milliseconds since the Unix epoch, as the wire carries it.
  static int64_t unix_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(system_now().time_since_epoch())
        .count();
  }

  // Tests only. `fake` is read in place, so it must outlive its installation;
  // nullptr brings back the real clocks. Install before creating the loops
  // and services that will read it.
  static void install_fake_for_testing(const Fake* fake) { fake_.store(fake); }

 private:
  static inline std::atomic<const Fake*> fake_{nullptr};
};

}  // namespace citadel::net
