#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "rooms/room_service.h"

namespace citadel::rooms {
namespace {

using namespace std::chrono_literals;

TEST(TickGrid, RoomsShareSlotsSpreadOverThePeriodAndStartInTheFuture) {
  const auto now = Room::Clock::now();
  const auto interval = std::chrono::nanoseconds(50ms);  // 20 Hz: 25 slots of 2 ms
  std::set<int64_t> offsets;
  for (uint64_t id = 1; id <= 1000; ++id) {
    const auto first = first_tick_at(id, 20, now);
    EXPECT_GT(first, now);
    EXPECT_LE(first - now, interval);
    const auto offset = first.time_since_epoch() % interval;
    EXPECT_EQ(offset % kTickSlotWidth, std::chrono::nanoseconds(0));  // on the grid
    offsets.insert(offset.count());
  }
  // A thousand rooms use every slot, so they tick in 25 groups, not one.
  EXPECT_EQ(offsets.size(), 25u);
  // The same room id lands in the same slot whenever it is created.
  EXPECT_EQ(first_tick_at(7, 20, now).time_since_epoch() % interval,
            first_tick_at(7, 20, now + 123ms).time_since_epoch() % interval);
}

TEST(TickGrid, RandomLargeIdsSpreadOverEverySlotToo) {
  // A game node draws 62-bit room ids at random (fleet::random_room_id);
  // they must spread like small sequential ids, not all land in one slot.
  const auto now = Room::Clock::now();
  const auto interval = std::chrono::nanoseconds(50ms);
  std::mt19937_64 engine{42};
  std::map<int64_t, int> per_slot;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t id = (engine() >> 2) | (uint64_t{1} << 61);  // large, as on a game node
    ++per_slot[(first_tick_at(id, 20, now).time_since_epoch() % interval).count()];
  }
  EXPECT_EQ(per_slot.size(), 25u);
  for (const auto& [offset, rooms] : per_slot) EXPECT_LT(rooms, 80) << offset;  // 40 on average
}

TEST(TickGrid, AWiderSlotMeansFewerGroupsAndOneAsWideAsThePeriodOne) {
  const auto now = Room::Clock::now();
  const auto interval = std::chrono::nanoseconds(50ms);
  std::set<int64_t> five, one;
  for (uint64_t id = 1; id <= 1000; ++id) {
    const auto first = first_tick_at(id, 20, now, 10ms);
    EXPECT_GT(first, now);
    EXPECT_LE(first - now, interval);
    five.insert((first.time_since_epoch() % interval).count());
    one.insert((first_tick_at(id, 20, now, 50ms).time_since_epoch() % interval).count());
  }
  EXPECT_EQ(five.size(), 5u);  // 50 ms / 10 ms
  for (const int64_t offset : five) EXPECT_EQ(offset % std::chrono::nanoseconds(10ms).count(), 0);
  EXPECT_EQ(one.size(), 1u);
}

TEST(TickGrid, FastRoomsGetFewerSlotsButNeverNone) {
  const auto now = Room::Clock::now();
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / 120);
  std::set<int64_t> offsets;
  for (uint64_t id = 1; id <= 100; ++id) {
    offsets.insert((first_tick_at(id, 120, now).time_since_epoch() % interval).count());
  }
  EXPECT_EQ(offsets.size(), 4u);  // 8.33 ms / 2 ms
}

}  // namespace
}  // namespace citadel::rooms
