#include <gtest/gtest.h>

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
