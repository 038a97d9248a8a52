#include "chat_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "device_ids.h"

namespace citadel::bench {
namespace {

TEST(ChatText, RoundTripsAndPadsToTheAskedLength) {
  const ChatTag tag{42, 1'234'567'890'123};
  const std::string text = format_chat_text(0xabcdef, tag, 80);
  EXPECT_EQ(text.size(), 80u);
  EXPECT_TRUE(text.starts_with("cb abcdef 42 1234567890123 x"));
  const auto back = parse_chat_text(text, 0xabcdef);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, 42u);
  EXPECT_EQ(back->send_ns, 1'234'567'890'123);
}

TEST(ChatText, TheLargestTagFitsTheDocumentedBound) {
  const ChatTag tag{std::numeric_limits<uint64_t>::max(), std::numeric_limits<int64_t>::max()};
  const uint64_t nonce = std::numeric_limits<uint64_t>::max();
  const std::string text = format_chat_text(nonce, tag, 0);  // no padding: the tag alone
  EXPECT_LE(text.size(), kMaxChatTagBytes);
  const auto back = parse_chat_text(text, nonce);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->seq, tag.seq);
  EXPECT_EQ(back->send_ns, tag.send_ns);
}

TEST(ChatText, OtherRunsAndOtherPeopleAreIgnored) {
  const std::string text = format_chat_text(7, {1, 2}, 64);
  EXPECT_FALSE(parse_chat_text(text, 8));  // another run's nonce
  EXPECT_FALSE(parse_chat_text("hello world", 7));
  EXPECT_FALSE(parse_chat_text("cb 7 1", 7));      // cut short
  EXPECT_FALSE(parse_chat_text("cb 7 x 2 ", 7));   // not a number
  EXPECT_FALSE(parse_chat_text("cb 7 1x 2 ", 7));  // trailing junk in a field
  EXPECT_FALSE(parse_chat_text("", 7));
  EXPECT_TRUE(parse_chat_text("cb 7 1 2", 7));  // no padding, no trailing space
}

TEST(DeviceIds, UniqueAndWithinTheServersBounds) {
  const std::string prefix = run_prefix();
  DeviceIds a(prefix, 0), b(prefix, 1);
  const std::string first(a.next());
  const std::string second(a.next());
  const std::string other(b.next());
  EXPECT_NE(first, second);
  EXPECT_NE(first, other);  // same counter, other worker
  for (const std::string& id : {first, second, other}) {
    EXPECT_GE(id.size(), 8u);    // the server refuses shorter ...
    EXPECT_LE(id.size(), 128u);  // ... and longer device ids
    EXPECT_TRUE(id.starts_with(prefix));
  }
  EXPECT_EQ(a.issued(), 2u);
}

}  // namespace
}  // namespace citadel::bench
