#include "net/timer_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace citadel::net {
namespace {

using namespace std::chrono_literals;

TEST(TimerQueue, RunsDueTimersInDeadlineOrderAndLeavesTheRest) {
  TimerQueue q;
  const auto t0 = TimerQueue::Clock::time_point{} + 1h;
  std::vector<int> ran;
  q.add(t0 + 30ms, [&] { ran.push_back(3); });
  q.add(t0 + 10ms, [&] { ran.push_back(1); });
  q.add(t0 + 20ms, [&] { ran.push_back(2); });
  q.add(t0 + 50ms, [&] { ran.push_back(5); });
  EXPECT_EQ(q.next_deadline(), t0 + 10ms);
  q.run_due(t0 + 30ms);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.next_deadline(), t0 + 50ms);
}

TEST(TimerQueue, CancelledTimerNeverRuns) {
  TimerQueue q;
  const auto t0 = TimerQueue::Clock::time_point{} + 1h;
  bool ran = false;
  const auto id = q.add(t0, [&] { ran = true; });
  EXPECT_TRUE(q.cancel(id));
  EXPECT_FALSE(q.cancel(id));
  q.run_due(t0 + 1s);
  EXPECT_FALSE(ran);
  EXPECT_FALSE(q.next_deadline().has_value());
}

TEST(TimerQueue, TimerAddedByACallbackRunsOnTheNextCallNotThisOne) {
  // A periodic timer re-arming itself for "now" must not spin forever in one turn.
  TimerQueue q;
  const auto t0 = TimerQueue::Clock::time_point{} + 1h;
  int runs = 0;
  std::function<void()> rearm = [&] {
    ++runs;
    q.add(t0, rearm);
  };
  q.add(t0, rearm);
  q.run_due(t0);
  EXPECT_EQ(runs, 1);
  q.run_due(t0);
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace citadel::net
