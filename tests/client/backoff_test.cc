// The reconnect schedule on a stepped clock and a scripted random source:
// exact delays, bounds of each jitter mode, max tries, and the reset after a
// stable connection.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <iostream>
#include <limits>
#include <random>

#include "client/backoff.h"

namespace citadel::client {
namespace {

using std::chrono::milliseconds;

class SteppedClock {
 public:
  NowFn fn() {
    return [this] { return now_; };
  }
  void advance(std::chrono::nanoseconds d) { now_ += d; }
  SteadyClock::time_point now() const { return now_; }

 private:
  SteadyClock::time_point now_{std::chrono::hours(1)};
};

// Hands out the given values in order (then 0).
class ScriptedRandom {
 public:
  explicit ScriptedRandom(std::deque<uint64_t> values) : values_(std::move(values)) {}
  RandomFn fn() {
    return [this] {
      if (values_.empty()) return uint64_t{0};
      const uint64_t v = values_.front();
      values_.pop_front();
      return v;
    };
  }

 private:
  std::deque<uint64_t> values_;
};

BackoffConfig config(Jitter jitter, uint32_t max_tries = 0) {
  BackoffConfig c;
  c.base = 100ms;
  c.cap = 1000ms;
  c.max_tries = max_tries;
  c.jitter = jitter;
  c.stable_after = 5s;
  return c;
}

TEST(Backoff, CeilingDoublesFromBaseAndStopsAtCap) {
  const BackoffConfig c = config(Jitter::kNone);
  EXPECT_EQ(backoff_ceiling(c, 0), 100ms);
  EXPECT_EQ(backoff_ceiling(c, 1), 200ms);
  EXPECT_EQ(backoff_ceiling(c, 2), 400ms);
  EXPECT_EQ(backoff_ceiling(c, 3), 800ms);
  EXPECT_EQ(backoff_ceiling(c, 4), 1000ms);
  EXPECT_EQ(backoff_ceiling(c, 5), 1000ms);
}

TEST(Backoff, CeilingNeverOverflowsForHugeAttemptCounts) {
  BackoffConfig c = config(Jitter::kNone);
  c.base = milliseconds(std::numeric_limits<int64_t>::max() / 4);
  c.cap = milliseconds(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(backoff_ceiling(c, 1), milliseconds(std::numeric_limits<int64_t>::max() / 4 * 2));
  EXPECT_EQ(backoff_ceiling(c, 3), c.cap);
  EXPECT_EQ(backoff_ceiling(config(Jitter::kNone), 63), 1000ms);
  EXPECT_EQ(backoff_ceiling(config(Jitter::kNone), std::numeric_limits<uint32_t>::max()), 1000ms);
}

TEST(Backoff, WithoutJitterTheScheduleIsExactAndTimedFromNow) {
  SteppedClock clock;
  ReconnectSchedule s(config(Jitter::kNone), clock.fn(), ScriptedRandom({}).fn());
  const milliseconds expected[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms};
  uint32_t number = 0;
  for (const milliseconds want : expected) {
    clock.advance(3ms);
    const auto a = s.on_link_down();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->number, ++number);
    EXPECT_EQ(a->delay, want);
    EXPECT_EQ(a->at, clock.now() + want);
  }
  EXPECT_EQ(s.failures(), 6u);
}

TEST(Backoff, EqualJitterStaysBetweenHalfAndTheCeiling) {
  SteppedClock clock;
  // Attempt 1 (ceiling 100): random 0 gives the floor 50. Attempt 2 (ceiling
  // 200): random 100 gives 100 + 100 % 101 = 200, the ceiling. Attempt 3
  // (ceiling 400): 200 + 7 % 201.
  ScriptedRandom random({0, 100, 7});
  ReconnectSchedule s(config(Jitter::kEqual), clock.fn(), random.fn());
  EXPECT_EQ(s.on_link_down()->delay, 50ms);
  EXPECT_EQ(s.on_link_down()->delay, 200ms);
  EXPECT_EQ(s.on_link_down()->delay, 207ms);
}

TEST(Backoff, FullJitterSpansZeroToTheCeiling) {
  SteppedClock clock;
  ScriptedRandom random({0, 200, 401, 5});
  ReconnectSchedule s(config(Jitter::kFull), clock.fn(), random.fn());
  EXPECT_EQ(s.on_link_down()->delay, 0ms);    // ceiling 100
  EXPECT_EQ(s.on_link_down()->delay, 200ms);  // ceiling 200: 200 % 201
  EXPECT_EQ(s.on_link_down()->delay, 0ms);    // ceiling 400: 401 % 401
  EXPECT_EQ(s.on_link_down()->delay, 5ms);    // ceiling 800
}

// The property the integration test relies on: with equal jitter, delays
// never shrink from one attempt to the next, and each is within [c/2, c].
TEST(Backoff, EqualJitterDelaysNeverShrinkWithRandomDraws) {
  const uint64_t seed = std::random_device{}();
  std::cout << "seed " << seed << "\n";
  std::mt19937_64 engine(seed);
  SteppedClock clock;
  ReconnectSchedule s(config(Jitter::kEqual), clock.fn(), [&] { return engine(); });
  milliseconds previous{0};
  for (uint32_t n = 0; n < 40; ++n) {
    const milliseconds ceiling = backoff_ceiling(config(Jitter::kEqual), n);
    const auto a = s.on_link_down();
    ASSERT_TRUE(a.has_value());
    EXPECT_GE(a->delay * 2, ceiling) << "attempt " << a->number << " seed " << seed;
    EXPECT_LE(a->delay, ceiling) << "attempt " << a->number << " seed " << seed;
    if (ceiling < 1000ms) {
      EXPECT_GE(a->delay, previous) << "attempt " << a->number << " seed " << seed;
    }
    previous = a->delay;
  }
}

TEST(Backoff, GivesUpAfterMaxTriesUntilReset) {
  SteppedClock clock;
  ReconnectSchedule s(config(Jitter::kNone, 3), clock.fn(), ScriptedRandom({}).fn());
  EXPECT_EQ(s.on_link_down()->number, 1u);
  EXPECT_EQ(s.on_link_down()->number, 2u);
  EXPECT_EQ(s.on_link_down()->number, 3u);
  EXPECT_FALSE(s.on_link_down().has_value());
  EXPECT_FALSE(s.on_link_down().has_value());
  s.reset();
  const auto again = s.on_link_down();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->number, 1u);
  EXPECT_EQ(again->delay, 100ms);
}

TEST(Backoff, ZeroMaxTriesRetriesForever) {
  SteppedClock clock;
  ReconnectSchedule s(config(Jitter::kNone, 0), clock.fn(), ScriptedRandom({}).fn());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(s.on_link_down().has_value());
  EXPECT_EQ(s.on_link_down()->delay, 1000ms);
}

TEST(Backoff, AStableConnectionStartsTheScheduleAgain) {
  SteppedClock clock;
  ReconnectSchedule s(config(Jitter::kNone, 5), clock.fn(), ScriptedRandom({}).fn());
  EXPECT_EQ(s.on_link_down()->delay, 100ms);
  EXPECT_EQ(s.on_link_down()->delay, 200ms);
  s.on_connected();
  clock.advance(5s);  // exactly stable_after: healthy
  const auto a = s.on_link_down();
  EXPECT_EQ(a->number, 1u);
  EXPECT_EQ(a->delay, 100ms);
}

TEST(Backoff, AFlappingConnectionKeepsTheDelaysGrowing) {
  SteppedClock clock;
  ReconnectSchedule s(config(Jitter::kNone, 5), clock.fn(), ScriptedRandom({}).fn());
  EXPECT_EQ(s.on_link_down()->delay, 100ms);
  // Connects, but drops again before stable_after: not a recovery.
  s.on_connected();
  clock.advance(4999ms);
  EXPECT_EQ(s.on_link_down()->delay, 200ms);
  s.on_connected();
  clock.advance(10ms);
  EXPECT_EQ(s.on_link_down()->delay, 400ms);
  // ...and counts toward max_tries.
  EXPECT_EQ(s.on_link_down()->number, 4u);
  EXPECT_EQ(s.on_link_down()->number, 5u);
  s.on_connected();
  clock.advance(1s);
  EXPECT_FALSE(s.on_link_down().has_value());
}

}  // namespace
}  // namespace citadel::client
