// The session record of docs/fleet.md "Sessions across the fleet": its JSON,
// its key, the ordering rule a holding node applies to what it sees in etcd
// and the ruling on a Resume of a session held elsewhere. Pure: no etcd.
#include <gtest/gtest.h>

#include "fleet/sessions/session_record.h"

namespace citadel::fleet::sessions {
namespace {

SessionRecord record(std::string node, uint64_t session, bool ended = false) {
  return SessionRecord{7, std::move(node), session, "alice", ended};
}

Observed at(int64_t revision, std::optional<SessionRecord> r) {
  return Observed{revision, true, std::move(r)};
}

TEST(SessionRecord, EncodesAndDecodes) {
  const SessionRecord live = record("node-a", 1234567890123456789ull);
  EXPECT_EQ(encode_session_record(live),
            R"({"name":"alice","node":"node-a","session":1234567890123456789,"user":7})");
  EXPECT_EQ(decode_session_record(encode_session_record(live)), live);
  const SessionRecord tomb = record("node-a", 5, true);
  EXPECT_NE(encode_session_record(tomb).find(R"("ended":true)"), std::string::npos);
  EXPECT_EQ(decode_session_record(encode_session_record(tomb)), tomb);
  // The name may be missing (readers of other versions), unknown keys are ignored.
  const auto bare = decode_session_record(R"({"user":7,"node":"b","session":9,"x":[1]})");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->username, "");
  EXPECT_FALSE(bare->ended);
  // ... and written back without one: a record read at the size limit is
  // written again under it (found by etcd_json_fuzz: an empty "name" added
  // 10 bytes to a 4,088-byte record, which then no longer decoded).
  EXPECT_EQ(encode_session_record(*bare), R"({"node":"b","session":9,"user":7})");
  const std::string at_limit =
      R"({"user":7,"session":1,"node":")" + std::string(kMaxSessionRecordBytes - 32, 'n') + "\"}";
  ASSERT_EQ(at_limit.size(), kMaxSessionRecordBytes);
  const auto big = decode_session_record(at_limit);
  ASSERT_TRUE(big);
  EXPECT_LE(encode_session_record(*big).size(), kMaxSessionRecordBytes);
  EXPECT_EQ(decode_session_record(encode_session_record(*big)), big);
}

TEST(SessionRecord, RefusesWhatItDidNotWrite) {
  for (const char* bad :
       {"", "not json", "[]", "7", R"({"node":"a","session":1})", R"({"user":7,"session":1})",
        R"({"user":7,"node":"a"})", R"({"user":0,"node":"a","session":1})",
        R"({"user":7,"node":"","session":1})", R"({"user":7,"node":"a","session":0})",
        R"({"user":-7,"node":"a","session":1})", R"({"user":"7","node":"a","session":1})",
        R"({"user":7,"node":1,"session":1})", R"({"user":7,"node":"a","session":1.5})",
        R"({"user":7,"node":"a","session":1,"name":3})",
        R"({"user":7,"node":"a","session":1,"ended":"yes"})"}) {
    EXPECT_FALSE(decode_session_record(bad)) << bad;
  }
  const std::string huge =
      R"({"user":7,"node":"a","session":1,"name":")" + std::string(5000, 'x') + "\"}";
  EXPECT_FALSE(decode_session_record(huge));
}

TEST(SessionRecord, KeysHaveOneSpelling) {
  EXPECT_EQ(sessions_prefix("citadel"), "/citadel/sessions/");
  EXPECT_EQ(session_key("citadel", 42), "/citadel/sessions/42");
  EXPECT_EQ(user_id_of_key("citadel", "/citadel/sessions/42"), 42u);
  for (const char* other :
       {"/citadel/sessions/", "/citadel/sessions/042", "/citadel/sessions/4x", "/citadel/rooms/42",
        "/other/sessions/42", "/citadel/sessions/99999999999999999999"}) {
    EXPECT_FALSE(user_id_of_key("citadel", other)) << other;
  }
}

// Node "a" holds session 5 of the user; its last write was at revision 10.
TEST(SessionOrderingRule, TheNewestRecordDecides) {
  // Older than (or the same as) what "a" wrote: says nothing.
  EXPECT_EQ(judge(at(9, record("b", 6)), "a", 5, 10), Judgement::kStale);
  EXPECT_EQ(judge(at(10, record("a", 5)), "a", 5, 10), Judgement::kStale);
  EXPECT_EQ(judge(Observed{8, false, {}}, "a", 5, 10), Judgement::kStale);
  // Newer: its own record confirms it.
  EXPECT_EQ(judge(at(11, record("a", 5)), "a", 5, 10), Judgement::kMine);
  // A newer login on another node, or the same session resumed there.
  EXPECT_EQ(judge(at(11, record("b", 6)), "a", 5, 10), Judgement::kSuperseded);
  EXPECT_EQ(judge(at(11, record("b", 5)), "a", 5, 10), Judgement::kSuperseded);
  // Another node's tombstone, or a value nobody can read: not ours to keep.
  EXPECT_EQ(judge(at(11, record("b", 5, true)), "a", 5, 10), Judgement::kSuperseded);
  EXPECT_EQ(judge(at(11, std::nullopt), "a", 5, 10), Judgement::kSuperseded);
  // This node's own record of an older session: overwrite it.
  EXPECT_EQ(judge(at(11, record("a", 4)), "a", 5, 10), Judgement::kOurs);
  EXPECT_EQ(judge(at(11, record("a", 4, true)), "a", 5, 10), Judgement::kOurs);
  // Deleted after our write (our lease ran out or was revoked): write again.
  EXPECT_EQ(judge(Observed{11, false, {}}, "a", 5, 10), Judgement::kVanished);
}

// Two logins racing, on "a" (written at 10) and "b" (written at 11): each
// node applies the rule to the other's write; exactly one keeps its session.
TEST(SessionOrderingRule, TwoRacingLoginsLeaveExactlyOneHolder) {
  const Observed a_write = at(10, record("a", 5));
  const Observed b_write = at(11, record("b", 6));
  // "a" sees b's later write; "b" sees a's earlier one.
  EXPECT_EQ(judge(b_write, "a", 5, 10), Judgement::kSuperseded);
  EXPECT_EQ(judge(a_write, "b", 6, 11), Judgement::kStale);
  // The same in the other order of revisions.
  const Observed a_late = at(12, record("a", 5));
  EXPECT_EQ(judge(a_late, "b", 6, 11), Judgement::kSuperseded);
  EXPECT_EQ(judge(b_write, "a", 5, 12), Judgement::kStale);
}

TEST(SessionResumeRuling, WhatTheRecordSays) {
  EXPECT_EQ(rule_resume(Observed{3, false, {}}, 5), ResumeRuling::kAdopt);
  EXPECT_EQ(rule_resume(at(3, record("a", 5)), 5), ResumeRuling::kTakeOver);
  EXPECT_EQ(rule_resume(at(3, record("b", 5)), 5), ResumeRuling::kTakeOver);
  EXPECT_EQ(rule_resume(at(3, record("a", 6)), 5), ResumeRuling::kReplaced);
  EXPECT_EQ(rule_resume(at(3, record("a", 6, true)), 5), ResumeRuling::kReplaced);
  EXPECT_EQ(rule_resume(at(3, record("a", 5, true)), 5), ResumeRuling::kEnded);
  EXPECT_EQ(rule_resume(at(3, std::nullopt), 5), ResumeRuling::kReplaced);
}

}  // namespace
}  // namespace citadel::fleet::sessions
