// The submit script's per-record reply (redis_submit_reply.h): what the
// script's struct.pack writes parses back, and short, inconsistent or
// unknown-flag strings are refused rather than read past their end.
#include "services/leaderboard/backend/redis_submit_reply.h"

#include <gtest/gtest.h>

#include <string>

namespace citadel::services {
namespace {

void put_be(std::string& out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string packed(uint64_t rank, uint8_t flags, uint32_t n, int64_t created, int64_t updated,
                   const std::string& name, const std::string& metadata) {
  std::string out;
  put_be(out, rank, 8);
  put_be(out, flags, 1);
  put_be(out, n, 4);
  put_be(out, static_cast<uint64_t>(created), 8);
  put_be(out, static_cast<uint64_t>(updated), 8);
  put_be(out, name.size(), 2);
  out += std::string(32, 'm');
  return out + name + metadata;
}

TEST(RedisSubmitReply, ParsesEveryField) {
  const std::string bytes =
      packed(1234567890123, 3, 4000000000u, 1764800000000, -5, "ada", "{\"k\":1}");
  const auto r = parse_submit_reply(bytes);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rank, 1234567890123u);
  EXPECT_TRUE(r->created);
  EXPECT_TRUE(r->taken);
  EXPECT_EQ(r->num_submissions, 4000000000u);
  EXPECT_EQ(r->create_unix_ms, 1764800000000);
  EXPECT_EQ(r->update_unix_ms, -5);
  EXPECT_EQ(r->member, std::string(32, 'm'));
  EXPECT_EQ(r->username, "ada");
  EXPECT_EQ(r->metadata, "{\"k\":1}");
}

TEST(RedisSubmitReply, EmptyNameAndMetadata) {
  const auto r = parse_submit_reply(packed(1, 0, 1, 0, 0, "", ""));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->created);
  EXPECT_FALSE(r->taken);
  EXPECT_TRUE(r->username.empty());
  EXPECT_TRUE(r->metadata.empty());
}

TEST(RedisSubmitReply, RefusesMalformed) {
  const std::string good = packed(7, 2, 1, 1, 2, "name", "md");
  for (std::size_t cut = 0; cut < kSubmitReplyHeaderBytes + kSubmitReplyMemberBytes + 4; ++cut) {
    EXPECT_FALSE(parse_submit_reply(std::string_view(good).substr(0, cut)).has_value()) << cut;
  }
  EXPECT_FALSE(parse_submit_reply(packed(0, 2, 1, 1, 2, "n", "")).has_value());  // rank 0
  EXPECT_FALSE(parse_submit_reply(packed(1, 4, 1, 1, 2, "n", "")).has_value());  // flag bit
}

}  // namespace
}  // namespace citadel::services
