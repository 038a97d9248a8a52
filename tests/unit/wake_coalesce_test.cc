// server.wake_coalesce_us (ConnectionOptions::wake_coalesce): a busy loop
// sleeps out the rest of the interval before waiting again, but a timer due
// sooner (a room's tick) ends the sleep on time, and work posted meanwhile
// still runs, in the next turn.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "net/event_loop.h"

namespace citadel::net {
namespace {

using namespace std::chrono_literals;

ConnectionOptions coalescing(std::chrono::microseconds interval) {
  ConnectionOptions o;
  o.wake_coalesce = interval;
  return o;
}

TEST(WakeCoalesce, ATimerDueBeforeTheIntervalEndsFiresOnTime) {
  EventLoop loop(0, coalescing(400ms));
  loop.start();
  std::promise<EventLoop::Clock::duration> late;
  // The post wakes the loop (a turn begins); the timer set in it is due in
  // 10 ms, long before the 400 ms interval ends.
  loop.post([&] {
    const auto due = EventLoop::Clock::now() + 10ms;
    loop.run_at_in_loop(due, [&, due] { late.set_value(EventLoop::Clock::now() - due); });
  });
  auto f = late.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_LT(f.get(), 200ms) << "the timer waited for the coalescing interval";
  loop.stop_and_join();
}

TEST(WakeCoalesce, WorkPostedDuringTheSleepRunsInTheNextTurn) {
  EventLoop loop(0, coalescing(20ms));
  loop.start();
  for (int i = 0; i < 20; ++i) {
    std::promise<void> ran;
    loop.post([&] { ran.set_value(); });
    ASSERT_EQ(ran.get_future().wait_for(5s), std::future_status::ready) << "post " << i;
  }
  // After a turn with work, the loop sleeps out the interval before it
  // waits again. (Not necessarily between these posts: the next one may
  // already be pending when a turn ends, and then it runs at once.)
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (loop.stats().coalesced_sleeps.get() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GT(loop.stats().coalesced_sleeps.get(), 0u);
  loop.stop_and_join();
}

TEST(WakeCoalesce, OffByDefault) {
  EXPECT_EQ(ConnectionOptions{}.wake_coalesce.count(), 0);
}

}  // namespace
}  // namespace citadel::net
