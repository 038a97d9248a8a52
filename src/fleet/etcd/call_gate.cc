#include "fleet/etcd/call_gate.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace citadel::fleet::etcd {
namespace asio = boost::asio;

asio::awaitable<bool> CallGate::enter(Clock::time_point deadline) {
  if (in_flight_ < limit_ && waiters_.empty()) {
    ++in_flight_;
    co_return true;
  }
  Waiter waiter{asio::steady_timer(co_await asio::this_coro::executor, deadline)};
  waiters_.push_back(&waiter);
  co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
  // leave() may have handed its place over after the timer fired but before
  // this resumed: admitted decides, not how the wait ended.
  if (waiter.admitted) co_return true;
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  co_return false;
}

void CallGate::leave() {
  if (waiters_.empty()) {
    --in_flight_;
    return;
  }
  // The place passes straight to the first waiter: in_flight_ is unchanged.
  Waiter* next = waiters_.front();
  waiters_.pop_front();
  next->admitted = true;
  next->timer.cancel();
}

}  // namespace citadel::fleet::etcd
