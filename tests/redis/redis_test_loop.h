// A loop the test thread drives by hand (EventLoop::attach_for_testing), and
// a wait that turns it until a condition holds or a deadline passes.
#pragma once

#include <chrono>
#include <functional>

#include "net/event_loop.h"

namespace citadel::test {

class TestLoop {
 public:
  TestLoop() : loop_(0, net::ConnectionOptions{}) { loop_.attach_for_testing(); }
  ~TestLoop() { loop_.detach_for_testing(); }
  net::EventLoop& get() { return loop_; }

  // Turns the loop until done() or the timeout; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      loop_.run_turn_for_testing(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  net::EventLoop loop_;
};

}  // namespace citadel::test
