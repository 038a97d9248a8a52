// Admits at most `limit` unary etcd calls at a time; the rest wait their turn
// in arrival order, each until its own deadline.
//
// Why: every call is its own HTTP connection, and a node can ask for
// thousands at once (every local session's record rewritten after a lost
// lease, a burst of logins). Unbounded, that is thousands of sockets from
// one process and a queue inside etcd that delays everything behind it,
// lease renewals included (etcd answers a renewal only once it has applied
// what it committed). Bounded here, the backlog waits in this process, in
// order, and a call whose deadline passes in the queue ends with kTimeout
// without having been sent (so it is plainly not done).
//
// Lease renewals and watch streams do not pass the gate: a backlog of
// writes must never hold a renewal back.
//
// Thread: the client's "citadel-etcd" thread only (enter and leave run in
// its coroutines). Frames destroyed with the io_context never call leave(),
// so nothing here outlives what it points to.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <deque>

namespace citadel::fleet::etcd {

class CallGate {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CallGate(std::size_t limit) : limit_(limit == 0 ? 1 : limit) {}
  CallGate(const CallGate&) = delete;
  CallGate& operator=(const CallGate&) = delete;

  // true: admitted (the caller must call leave() when its call is over);
  // false: `deadline` passed first, and the caller was never admitted.
  boost::asio::awaitable<bool> enter(Clock::time_point deadline);
  // A call admitted by enter() is over: its place goes to the first waiter.
  void leave();

  std::size_t in_flight() const { return in_flight_; }
  std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter {
    boost::asio::steady_timer timer;
    bool admitted = false;
  };

  const std::size_t limit_;
  std::size_t in_flight_ = 0;
  std::deque<Waiter*> waiters_;  // frames of suspended enter() calls
};

}  // namespace citadel::fleet::etcd
