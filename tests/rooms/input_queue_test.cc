#include "rooms/input_queue.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel::rooms {
namespace {

using Push = InputQueue::Push;

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(InputQueue, RefusesPastItsCapacityAndDrainsInArrivalOrder) {
  InputQueue q(3, 1024);
  EXPECT_EQ(q.push(1, bytes("a"), 1), Push::kQueued);
  EXPECT_EQ(q.push(2, bytes("bcdefghij"), 1), Push::kQueued);
  EXPECT_EQ(q.push(1, bytes(""), 1), Push::kQueued);
  EXPECT_EQ(q.push(3, bytes("x"), 1), Push::kRoomFull);
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
  EXPECT_EQ(q.push(3, bytes("x"), 1), Push::kQueued);  // room again after a drain
}

TEST(InputQueue, CapsBytesAsWellAsCountCountingPaddedSizes) {
  InputQueue q(1000, 64);  // 64 bytes: eight 8-byte words
  const std::string word(8, 'w'), nine(9, 'n');
  EXPECT_EQ(q.push(1, bytes(nine), 1), Push::kQueued);  // 16 bytes padded
  EXPECT_EQ(q.bytes(), 16u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(q.push(1, bytes(word), 1), Push::kQueued);
  EXPECT_EQ(q.bytes(), 64u);
  EXPECT_EQ(q.push(1, bytes("x"), 1), Push::kRoomFull);
  EXPECT_EQ(q.size(), 7u);
  q.drain([](uint64_t, std::span<const uint8_t>) {});
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.push(1, bytes(std::string(64, 'z')), 1), Push::kQueued);  // exactly the cap
}

TEST(InputQueue, AFloodingPlayerGetsOnlyItsFairShareAndTheOthersStillGetIn) {
  // Four players: each may use a quarter of 8 inputs and of 256 bytes.
  InputQueue q(8, 256);
  int flood_queued = 0;
  for (int i = 0; i < 100; ++i) {
    if (q.push(1, bytes("spam"), 4) == Push::kQueued) ++flood_queued;
  }
  EXPECT_EQ(flood_queued, 2);  // 8 / 4 by count
  EXPECT_EQ(q.push(1, bytes("more"), 4), Push::kShareUsed);
  for (uint64_t other = 2; other <= 4; ++other) {
    EXPECT_EQ(q.push(other, bytes("move"), 4), Push::kQueued) << other;
  }
  // By bytes: one input of 64 bytes (a quarter of 256) fits, the next does not.
  InputQueue by_bytes(1000, 256);
  EXPECT_EQ(by_bytes.push(1, bytes(std::string(64, 'b')), 4), Push::kQueued);
  EXPECT_EQ(by_bytes.push(1, bytes("x"), 4), Push::kShareUsed);
  EXPECT_EQ(by_bytes.push(2, bytes(std::string(64, 'c')), 4), Push::kQueued);
  // Shares renew every tick.
  q.drain([](uint64_t, std::span<const uint8_t>) {});
  EXPECT_EQ(q.push(1, bytes("again"), 4), Push::kQueued);
}

}  // namespace
}  // namespace citadel::rooms
