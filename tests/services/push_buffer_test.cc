#include "services/session/push_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel::services {
namespace {

net::SharedBytes frame(const std::string& s) {
  return std::make_shared<const std::vector<uint8_t>>(s.begin(), s.end());
}
// "p<id>", appended: GCC 12 warns falsely (-Wrestrict) on "p" + std::to_string(id).
net::SharedBytes numbered(uint64_t id) {
  std::string s = "p";
  s += std::to_string(id);
  return frame(s);
}
std::string text(const net::SharedBytes& b) {
  return std::string(b->begin(), b->end());
}

TEST(PushBuffer, ReturnsWhatCameAfterTheLastSeenPushInOrder) {
  PushBuffer buffer(8, 1024);
  for (uint64_t id = 1; id <= 5; ++id) buffer.record(id, numbered(id));
  bool complete = false;
  const auto after = buffer.since(2, complete);
  EXPECT_TRUE(complete);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(text(after[0]), "p3");
  EXPECT_EQ(text(after[2]), "p5");
}

TEST(PushBuffer, EvictionByCountIsReportedAsIncompleteOnlyWhenItMatters) {
  PushBuffer buffer(3, 1024);
  for (uint64_t id = 1; id <= 10; ++id) buffer.record(id, numbered(id));
  EXPECT_EQ(buffer.size(), 3u);
  bool complete = true;
  EXPECT_EQ(buffer.since(5, complete).size(), 3u);
  EXPECT_FALSE(complete) << "6 and 7 were evicted unseen";
  EXPECT_EQ(text(buffer.since(7, complete).front()), "p8");
  EXPECT_TRUE(complete) << "the client had seen everything evicted";
}

TEST(PushBuffer, EvictionByBytesKeepsTheNewest) {
  PushBuffer buffer(100, 10);
  buffer.record(1, frame("aaaa"));
  buffer.record(2, frame("bbbb"));
  buffer.record(3, frame("cccc"));  // 12 bytes > 10: the oldest goes
  bool complete = true;
  const auto all = buffer.since(0, complete);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(text(all[0]), "bbbb");
  EXPECT_FALSE(complete);
}

TEST(PushBuffer, WrapsAroundManyTimesWithoutLosingOrder) {
  PushBuffer buffer(5, 1 << 20);
  for (uint64_t id = 1; id <= 1000; ++id) buffer.record(id, frame(std::to_string(id)));
  bool complete = true;
  const auto last = buffer.since(995, complete);
  ASSERT_EQ(last.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(text(last[i]), std::to_string(996 + i));
}

}  // namespace
}  // namespace citadel::services
