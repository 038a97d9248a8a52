#include "bench_messages.h"

#include <gtest/gtest.h>

#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::bench {
namespace {

TEST(BenchMessages, EncodedRequestsVerifyAsTheServerReadsThem) {
  MessageEncoder enc;
  {
    const auto bytes = enc.guest_login(7, "cb-1-2-w0-3");
    const auto* m = protocol::verified_root<msg::GuestLogin>(bytes);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->request_id(), 7u);
    EXPECT_EQ(m->device_id()->str(), "cb-1-2-w0-3");
  }
  {
    const auto bytes = enc.logout(8);
    const auto* m = protocol::verified_root<msg::Logout>(bytes);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->request_id(), 8u);
  }
  {
    const auto bytes = enc.resume(12, "tok.en", 3);
    const auto* m = protocol::verified_root<msg::Resume>(bytes);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->request_id(), 12u);
    EXPECT_EQ(m->token()->str(), "tok.en");
    EXPECT_EQ(m->last_push_id(), 3u);
  }
  {
    const auto bytes = enc.chat_send(9, "world", "hello");
    const auto* m = protocol::verified_root<msg::ChatSend>(bytes);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->request_id(), 9u);
    EXPECT_EQ(m->channel()->str(), "world");
    EXPECT_EQ(m->text()->str(), "hello");
  }
  {
    const auto bytes = enc.leaderboard_submit(10, "bench", -42);
    const auto* m = protocol::verified_root<msg::LeaderboardSubmit>(bytes);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->request_id(), 10u);
    EXPECT_EQ(m->board_id()->str(), "bench");
    EXPECT_EQ(m->score(), -42);
    EXPECT_EQ(m->metadata(), nullptr);  // absent: the record keeps its own
  }
}

TEST(BenchMessages, RepliesAndPushesDecode) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(
      msg::CreateAuthReply(fbb, 5, msg::AuthResult::ServerBusy, fbb.CreateString("busy"), 0));
  const auto auth = decode_auth_reply({fbb.GetBufferPointer(), fbb.GetSize()});
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->request_id, 5u);
  EXPECT_EQ(auth_result_name(auth->result), "ServerBusy");
  EXPECT_TRUE(auth->token.empty());
  EXPECT_FALSE(auth->resumed);

  fbb.Clear();
  fbb.Finish(msg::CreateAuthReplyDirect(fbb, 6, msg::AuthResult::Ok, "", 9, "guest-9", "t0k", 0,
                                        /*resumed=*/true));
  const auto resumed = decode_auth_reply({fbb.GetBufferPointer(), fbb.GetSize()});
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->user_id, 9u);
  EXPECT_EQ(resumed->token, "t0k");
  EXPECT_TRUE(resumed->resumed);

  fbb.Clear();
  fbb.Finish(msg::CreateChatReply(fbb, 6, msg::ChatResult::RateLimited));
  const auto chat = decode_chat_reply({fbb.GetBufferPointer(), fbb.GetSize()});
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->request_id, 6u);
  EXPECT_EQ(chat_result_name(chat->result), "RateLimited");

  fbb.Clear();
  msg::LeaderboardReplyBuilder lb(fbb);
  lb.add_request_id(11);
  lb.add_result(msg::LeaderboardResult::ServerBusy);
  lb.add_taken(true);
  fbb.Finish(lb.Finish());
  const auto board = decode_leaderboard_reply({fbb.GetBufferPointer(), fbb.GetSize()});
  ASSERT_TRUE(board);
  EXPECT_EQ(board->request_id, 11u);
  EXPECT_TRUE(board->taken);
  EXPECT_EQ(leaderboard_result_name(board->result), "ServerBusy");

  fbb.Clear();
  const auto c = fbb.CreateString("world"), n = fbb.CreateString("guest-1"),
             t = fbb.CreateString("cb 1 2 3");
  fbb.Finish(msg::CreateChatMessage(fbb, 1, c, 1, n, t, 0, false));
  const auto text = decode_chat_message_text({fbb.GetBufferPointer(), fbb.GetSize()});
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "cb 1 2 3");
}

TEST(BenchMessages, GarbageIsRefusedNotRead) {
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_FALSE(decode_auth_reply(junk));
  EXPECT_FALSE(decode_chat_reply(junk));
  EXPECT_FALSE(decode_leaderboard_reply(junk));
  EXPECT_FALSE(decode_chat_message_text(junk));
  EXPECT_FALSE(decode_chat_message_text({}));
  EXPECT_EQ(auth_result_name(999), "unknown");
}

}  // namespace
}  // namespace citadel::bench
