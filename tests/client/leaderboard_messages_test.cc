// leaderboard_messages.h: every request the library encodes is read back
// with the generated FlatBuffers code (as the server reads it),
// LeaderboardReplies built the way the server builds them decode field for
// field, and payloads that are not LeaderboardReplies are refused.
#include "client/leaderboard_messages.h"

#include <gtest/gtest.h>

#include <flatbuffers/flatbuffers.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "protocol/leaderboard_generated.h"
#include "protocol/verified_payload.h"
#include "read_back.h"

namespace citadel::client {
namespace {

namespace proto = citadel::protocol;

using test::field_text;
using test::finished_bytes;
using test::ReadBack;

// A LeaderboardReply as the server writes it for a page of the previous
// period: two records and both cursors.
std::vector<uint8_t> page_reply() {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<msg::LeaderboardRecord>> records = {
      msg::CreateLeaderboardRecordDirect(b, 4, 42, "ana", 1200, 3, 5, R"({"car":"red"})",
                                         1795000000000, 1795000123000),
      msg::CreateLeaderboardRecordDirect(b, 5, 77, "bo", -7, std::numeric_limits<int64_t>::min(), 1,
                                         nullptr, 1, 2)};
  b.Finish(msg::CreateLeaderboardReplyDirect(
      b, 9, msg::LeaderboardResult::Ok, "ok", "weekly-points", &records, "next.c", "prev.c", 310,
      msg::LeaderboardPeriod::Previous, 1794873600000, 1795478400000, true));
  return finished_bytes(b);
}

TEST(LeaderboardMessages, SubmitWithAndWithoutMetadata) {
  LeaderboardSubmitRequest r{"weekly-points", 1200, 3, std::string(R"({"car":"red"})")};
  const ReadBack<msg::LeaderboardSubmit> m(encode_leaderboard_submit(7, r));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->request_id(), 7u);
  EXPECT_EQ(field_text(m->board_id()), "weekly-points");
  EXPECT_EQ(m->score(), 1200);
  EXPECT_EQ(m->subscore(), 3);
  EXPECT_EQ(field_text(m->metadata()), R"({"car":"red"})");

  // Absent keeps the record's metadata; "" replaces it: the two differ on the wire.
  r.metadata.reset();
  r.score = std::numeric_limits<int64_t>::min();
  const ReadBack<msg::LeaderboardSubmit> keep(encode_leaderboard_submit(8, r));
  ASSERT_TRUE(keep.ok());
  EXPECT_EQ(keep->metadata(), nullptr);
  EXPECT_EQ(keep->score(), std::numeric_limits<int64_t>::min());
  r.metadata = "";
  const ReadBack<msg::LeaderboardSubmit> clear(encode_leaderboard_submit(9, r));
  ASSERT_TRUE(clear.ok());
  ASSERT_NE(clear->metadata(), nullptr);
  EXPECT_EQ(field_text(clear->metadata()), "");
}

TEST(LeaderboardMessages, ReadsCarryLimitCursorAndPeriod) {
  LeaderboardTopRequest top{"b", 50, std::nullopt, LeaderboardPeriod::kCurrent};
  const ReadBack<msg::LeaderboardTop> t1(encode_leaderboard_top(1, top));
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->limit(), 50u);
  EXPECT_EQ(t1->cursor(), nullptr) << "rank 1: no cursor";
  EXPECT_EQ(t1->period(), msg::LeaderboardPeriod::Current);
  top.cursor = "AQBg";
  top.period = LeaderboardPeriod::kPrevious;
  const ReadBack<msg::LeaderboardTop> t2(encode_leaderboard_top(2, top));
  ASSERT_TRUE(t2.ok());
  EXPECT_EQ(field_text(t2->cursor()), "AQBg");
  EXPECT_EQ(t2->period(), msg::LeaderboardPeriod::Previous);

  const ReadBack<msg::LeaderboardAround> a(
      encode_leaderboard_around(3, {"b", 5, LeaderboardPeriod::kPrevious}));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->request_id(), 3u);
  EXPECT_EQ(field_text(a->board_id()), "b");
  EXPECT_EQ(a->limit(), 5u);
  EXPECT_EQ(a->period(), msg::LeaderboardPeriod::Previous);

  const ReadBack<msg::LeaderboardRecords> r(
      encode_leaderboard_records(4, {"b", {42, 77, 108}, LeaderboardPeriod::kCurrent}));
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->user_ids(), nullptr);
  EXPECT_EQ(std::vector<uint64_t>(r->user_ids()->begin(), r->user_ids()->end()),
            (std::vector<uint64_t>{42, 77, 108}));

  const ReadBack<msg::LeaderboardMine> m(encode_leaderboard_mine(5, {"b"}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->request_id(), 5u);
  EXPECT_EQ(m->period(), msg::LeaderboardPeriod::Current);

  const ReadBack<msg::LeaderboardDelete> d(encode_leaderboard_delete(6, "season/1"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->request_id(), 6u);
  EXPECT_EQ(field_text(d->board_id()), "season/1");
}

TEST(LeaderboardMessages, ReplyDecodesFieldForField) {
  const auto reply = decode_leaderboard_reply(page_reply());
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(reply->ok());
  EXPECT_EQ(reply->request_id, 9u);
  EXPECT_EQ(reply->message, "ok");
  EXPECT_EQ(reply->board_id, "weekly-points");
  ASSERT_EQ(reply->records.size(), 2u);
  const LeaderboardRecord ana{
      4, 42, "ana", 1200, 3, 5, R"({"car":"red"})", 1795000000000, 1795000123000};
  EXPECT_EQ(reply->records[0], ana);
  EXPECT_EQ(reply->records[1].score, -7);
  EXPECT_EQ(reply->records[1].subscore, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(reply->records[1].metadata, "");
  EXPECT_EQ(reply->next_cursor, std::optional<std::string>("next.c"));
  EXPECT_EQ(reply->prev_cursor, std::optional<std::string>("prev.c"));
  EXPECT_EQ(reply->total, 310u);
  EXPECT_EQ(reply->period, LeaderboardPeriod::kPrevious);
  EXPECT_EQ(reply->period_start_unix_ms, 1794873600000);
  EXPECT_EQ(reply->period_end_unix_ms, 1795478400000);
  EXPECT_TRUE(reply->taken);
}

TEST(LeaderboardMessages, RefusalWithoutRecordsOrCursors) {
  flatbuffers::FlatBufferBuilder b;
  b.Finish(msg::CreateLeaderboardReplyDirect(b, 14, msg::LeaderboardResult::NotRanked, "no record",
                                             "b"));
  const auto reply = decode_leaderboard_reply(finished_bytes(b));
  ASSERT_TRUE(reply.has_value());
  EXPECT_FALSE(reply->ok());
  EXPECT_EQ(reply->result, leaderboard_result::kNotRanked);
  EXPECT_EQ(reply->message, "no record");
  EXPECT_TRUE(reply->records.empty());
  EXPECT_FALSE(reply->next_cursor.has_value());
  EXPECT_FALSE(reply->prev_cursor.has_value());
  EXPECT_FALSE(reply->taken);
}

TEST(LeaderboardMessages, ResultNamesAreTheSchemas) {
  EXPECT_EQ(leaderboard_result_name(leaderboard_result::kOk), "Ok");
  EXPECT_EQ(leaderboard_result_name(leaderboard_result::kNoSuchBoard), "NoSuchBoard");
  EXPECT_EQ(leaderboard_result_name(leaderboard_result::kStaleCursor), "StaleCursor");
  EXPECT_EQ(leaderboard_result_name(leaderboard_result::kNotRanked), "NotRanked");
  EXPECT_EQ(leaderboard_result_name(leaderboard_result::kInternalError), "InternalError");
  EXPECT_EQ(leaderboard_result::kInternalError, static_cast<uint16_t>(msg::LeaderboardResult::MAX));
  EXPECT_EQ(leaderboard_result::kBoardFull,
            static_cast<uint16_t>(msg::LeaderboardResult::BoardFull));
  EXPECT_EQ(leaderboard_result_name(15), "");
  EXPECT_EQ(leaderboard_result_name(65535), "");
}

TEST(LeaderboardMessages, MalformedPayloadsAreRefused) {
  EXPECT_FALSE(decode_leaderboard_reply({}).has_value());
  const std::vector<uint8_t> garbage = {0x10, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f};
  EXPECT_FALSE(decode_leaderboard_reply(garbage).has_value());
  const std::vector<uint8_t> whole = page_reply();
  const auto intact = decode_leaderboard_reply(whole);
  ASSERT_TRUE(intact.has_value());
  std::size_t refused = 0;
  for (std::size_t n = 0; n < whole.size(); ++n) {
    const std::vector<uint8_t> cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    // Refused, or (when only trailing alignment padding was cut) the very
    // same reply: never a partly read one.
    const auto reply = decode_leaderboard_reply(cut);
    if (reply) {
      EXPECT_EQ(*reply, *intact) << "cut at " << n << " of " << whole.size();
    } else {
      ++refused;
    }
  }
  EXPECT_GE(refused, whole.size() - 8) << "all but the padding";
  // Any one byte changed: refused, or read within the buffer (ASan and
  // UBSan builds check that no byte outside it is touched).
  for (std::size_t i = 0; i < whole.size(); ++i) {
    for (const uint8_t v : {uint8_t{0x00}, uint8_t{0x7f}, uint8_t{0xff}}) {
      std::vector<uint8_t> changed = whole;
      changed[i] = v;
      (void)decode_leaderboard_reply(changed);
    }
  }
}

}  // namespace
}  // namespace citadel::client
