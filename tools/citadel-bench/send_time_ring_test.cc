#include "send_time_ring.h"

#include <gtest/gtest.h>

#include <vector>

namespace citadel::bench {
namespace {

Clock::time_point at(int64_t ns) {
  return Clock::time_point(std::chrono::nanoseconds(ns));
}

TEST(SendTimeRing, SlotsAreAPowerOfTwoAtLeastTheDepth) {
  EXPECT_EQ(ring_slots_for(1), 1u);
  EXPECT_EQ(ring_slots_for(2), 2u);
  EXPECT_EQ(ring_slots_for(3), 4u);
  EXPECT_EQ(ring_slots_for(16), 16u);
  EXPECT_EQ(ring_slots_for(17), 32u);
}

TEST(SendTimeRing, PopsInPushOrderAcrossWrapAround) {
  std::vector<Clock::time_point> slab(4);
  SendTimeRing ring(slab);
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(ring.capacity(), 4u);
  int64_t next_push = 0;
  int64_t next_pop = 0;
  // Keep 3 in flight over many rounds so head wraps the slab many times.
  for (int round = 0; round < 100; ++round) {
    while (ring.size() < 3) ring.push(at(next_push++));
    EXPECT_EQ(ring.pop(), at(next_pop++));
  }
  while (!ring.empty()) EXPECT_EQ(ring.pop(), at(next_pop++));
  EXPECT_EQ(next_pop, next_push);
}

TEST(SendTimeRing, FullAtCapacityAndClearEmpties) {
  std::vector<Clock::time_point> slab(2);
  SendTimeRing ring(slab);
  ring.push(at(1));
  ring.push(at(2));
  EXPECT_TRUE(ring.full());
  ring.clear();
  EXPECT_TRUE(ring.empty());
  ring.push(at(3));
  EXPECT_EQ(ring.pop(), at(3));
}

TEST(SendTimeRing, RingsSharingASlabStayApart) {
  std::vector<Clock::time_point> slab(4);
  SendTimeRing a{std::span(slab).subspan(0, 2)};
  SendTimeRing b{std::span(slab).subspan(2, 2)};
  a.push(at(10));
  b.push(at(20));
  a.push(at(11));
  b.push(at(21));
  EXPECT_EQ(a.pop(), at(10));
  EXPECT_EQ(b.pop(), at(20));
  EXPECT_EQ(a.pop(), at(11));
  EXPECT_EQ(b.pop(), at(21));
}

}  // namespace
}  // namespace citadel::bench
