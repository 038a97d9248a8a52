#include "rooms/input_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel::rooms {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(InputQueue, RefusesPastItsCapacityAndDrainsInArrivalOrder) {
  InputQueue q(3);
  EXPECT_TRUE(q.push(1, bytes("a")));
  EXPECT_TRUE(q.push(2, bytes("bcdefghij")));
  EXPECT_TRUE(q.push(1, bytes("")));
  EXPECT_FALSE(q.push(3, bytes("x")));
  std::vector<std::pair<uint64_t, std::string>> seen;
  q.drain([&](uint64_t user, std::span<const uint8_t> data) {
    // FlatBuffers reads in place: every input starts 8-byte aligned.
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data.data()) % 8, 0u);
    seen.emplace_back(user, std::string(data.begin(), data.end()));
  });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::pair<uint64_t, std::string>{1, "a"}));
  EXPECT_EQ(seen[1], (std::pair<uint64_t, std::string>{2, "bcdefghij"}));
  EXPECT_EQ(seen[2], (std::pair<uint64_t, std::string>{1, ""}));
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(q.push(3, bytes("x")));  // room again after a drain
}

}  // namespace
}  // namespace citadel::rooms
