// Proves that a set of event loops still run: each round posts a tiny task to
// every loop, and the next round checks that every one of them ran. A loop
// stuck in a handler (a deadlock, an endless loop, a blocking call) never
// runs its task, so the round fails and the caller withholds its systemd
// watchdog ping; systemd then restarts the process. Pinging from a timer
// alone would only prove that the timer's thread is alive.
//
// Knows nothing of net::EventLoop: a loop is a function that posts a task to
// it, so the unit test can drive the rounds by hand. A round costs one small
// allocation per loop (the posted std::function), once per watchdog period,
// never on the message path; the loops only store to an atomic.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace citadel::ops {

class LoopLiveness {
 public:
  using Task = std::function<void()>;
  using Post = std::function<void(Task)>;  // thread-safe, e.g. EventLoop::post

  explicit LoopLiveness(std::vector<Post> loops);

  // One thread (the control thread), once per period. True when every loop
  // ran the previous round's task (the first call has nothing to check and
  // is true); then posts this round's task to every loop.
  bool check_and_probe();

  // The loops (by index) whose task was missing at the last check.
  const std::vector<std::size_t>& missed() const { return missed_; }

 private:
  // Shared with the posted tasks: a task still queued on a loop when this
  // object is gone writes to memory it co-owns.
  struct Answers {
    explicit Answers(std::size_t n) : round(n) {}
    std::vector<std::atomic<uint64_t>> round;  // per loop: the last round it ran
  };

  std::vector<Post> loops_;
  std::shared_ptr<Answers> answers_;
  uint64_t round_ = 0;  // the round last posted
  std::vector<std::size_t> missed_;
};

}  // namespace citadel::ops
