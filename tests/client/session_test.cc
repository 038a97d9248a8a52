// The library's own application messages (auth_messages.h) and the session
// bookkeeping (session.h), without a network: what is remembered after each
// kind of AuthReply, and which push ids count.
#include <gtest/gtest.h>

#include "client/auth_messages.h"
#include "client/session.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "test_messages.h"

namespace citadel::client {
namespace {

namespace proto = citadel::protocol;
namespace cmd = citadel::protocol::cmd;
using test::bytes_of;
using test::json_of;

AuthReplyFields reply(uint16_t result, std::string token = {}, uint64_t user_id = 0) {
  AuthReplyFields r;
  r.result = result;
  r.token = std::move(token);
  r.user_id = user_id;
  r.username = user_id ? "guest-" + std::to_string(user_id) : "";
  return r;
}

std::string as_string(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

TEST(AuthMessages, RequestsEncodeTheirFields) {
  EXPECT_EQ(json_of(cmd::kResume, as_string(encode_resume(7, "v1.tok", 42))),
            R"({"request_id": 7,"token": "v1.tok","last_push_id": 42})");
  const auto guest = encode_guest_login(1, "device-42");
  const auto* g = proto::verified_root<msg::GuestLogin>(guest);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->request_id(), 1u);
  EXPECT_EQ(g->device_id()->string_view(), "device-42");
  const auto login = encode_login(2, "alice", std::string_view("pa\0ss", 5));
  const auto* l = proto::verified_root<msg::Login>(login);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->username()->string_view(), "alice");
  EXPECT_EQ(l->password()->string_view(), std::string_view("pa\0ss", 5)) << "bytes, not C strings";
  const auto reg = encode_register(3, "bob", "secret-password");
  ASSERT_NE(proto::verified_root<msg::Register>(reg), nullptr);
  EXPECT_EQ(proto::verified_root<msg::Logout>(encode_logout(9))->request_id(), 9u);
}

TEST(AuthMessages, AuthReplyDecodesOrIsRefused) {
  const auto payload =
      bytes_of(cmd::kAuthReply,
               R"({"request_id": 5, "result": "Ok", "user_id": 12, "username": "guest-12",
          "token": "v1.x", "token_expires_unix_ms": 99, "resumed": true, "resync_required": true})");
  const auto r = decode_auth_reply(payload);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->request_id, 5u);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->user_id, 12u);
  EXPECT_EQ(r->username, "guest-12");
  EXPECT_EQ(r->token, "v1.x");
  EXPECT_EQ(r->token_expires_unix_ms, 99u);
  EXPECT_TRUE(r->resumed);
  EXPECT_TRUE(r->resync_required);
  EXPECT_FALSE(decode_auth_reply(std::vector<uint8_t>{1, 2, 3}).has_value());
  EXPECT_FALSE(decode_auth_reply({}).has_value());
  EXPECT_EQ(auth_result_name(auth_result::kSessionGone), "SessionGone");
  EXPECT_EQ(auth_result_name(999), "");
}

TEST(AuthMessages, PushIdsComeFromChatMessagesAndPresenceOnly) {
  EXPECT_EQ(read_push_id(cmd::kChatMessage,
                         bytes_of(cmd::kChatMessage, R"({"push_id": 31, "text": "hi"})")),
            31u);
  EXPECT_EQ(read_push_id(cmd::kPresence, bytes_of(cmd::kPresence, R"({"push_id": 32})")), 32u);
  // ArenaState is a push too, but carries no push_id and is never replayed.
  EXPECT_FALSE(read_push_id(cmd::kArenaState, bytes_of(cmd::kArenaState, R"({"tick": 31})")));
  EXPECT_FALSE(read_push_id(cmd::kChatMessage, std::vector<uint8_t>{'w', 'e', 'l', 'c'}));
}

TEST(AuthMessages, ReplyRequestIdsOfTheKeyedReplies) {
  EXPECT_EQ(read_reply_request_id(cmd::kAuthReply,
                                  bytes_of(cmd::kAuthReply, R"({"request_id": 4000000000})")),
            4000000000u);
  EXPECT_EQ(
      read_reply_request_id(cmd::kChatReply, bytes_of(cmd::kChatReply, R"({"request_id": 8})")),
      8u);
  EXPECT_EQ(
      read_reply_request_id(cmd::kRoomReply, bytes_of(cmd::kRoomReply, R"({"request_id": 9})")),
      9u);
  EXPECT_EQ(read_reply_request_id(cmd::kStorageReply,
                                  bytes_of(cmd::kStorageReply, R"({"request_id": 10})")),
            10u);
  EXPECT_EQ(read_reply_request_id(cmd::kLeaderboardReply,
                                  bytes_of(cmd::kLeaderboardReply, R"({"request_id": 11})")),
            11u);
  EXPECT_FALSE(read_reply_request_id(cmd::kChatReply, std::vector<uint8_t>{0, 0}));
  EXPECT_FALSE(read_reply_request_id(cmd::kLeaderboardReply, std::vector<uint8_t>{1, 2, 3}));
  EXPECT_FALSE(
      read_reply_request_id(cmd::kChatMessage, bytes_of(cmd::kChatMessage, R"({"push_id": 8})")));
}

TEST(SessionState, ALoginRemembersTheTokenAndStartsCountingPushesAgain) {
  SessionState s;
  EXPECT_FALSE(s.can_resume());
  s.set_token("old", 500);
  EXPECT_EQ(s.on_auth_reply(cmd::kGuestLogin, reply(auth_result::kOk, "t1", 7)),
            SessionEventKind::kLoggedIn);
  EXPECT_TRUE(s.can_resume());
  EXPECT_EQ(s.info().token, "t1");
  EXPECT_EQ(s.info().user_id, 7u);
  EXPECT_EQ(s.info().username, "guest-7");
  EXPECT_TRUE(s.info().logged_in);
  EXPECT_EQ(s.info().last_push_id, 0u) << "a new session on a server whose ids may start again";

  s.on_push(cmd::kChatMessage, bytes_of(cmd::kChatMessage, R"({"push_id": 10})"));
  s.on_push(cmd::kPresence, bytes_of(cmd::kPresence, R"({"push_id": 12})"));
  s.on_push(cmd::kChatMessage, bytes_of(cmd::kChatMessage, R"({"push_id": 11})"));
  s.on_push(cmd::kRoomEvent, bytes_of(cmd::kRoomEvent, R"({"room_id": 99})"));
  EXPECT_EQ(s.info().last_push_id, 12u) << "the highest seen";

  s.on_link_down();
  EXPECT_FALSE(s.info().logged_in);
  EXPECT_TRUE(s.can_resume()) << "a dropped connection keeps the token";
}

TEST(SessionState, ARefusedLoginChangesNothing) {
  SessionState s;
  ASSERT_TRUE(s.on_auth_reply(cmd::kLogin, reply(auth_result::kOk, "t1", 7)));
  EXPECT_FALSE(s.on_auth_reply(cmd::kLogin, reply(12 /* AlreadyLoggedIn */)));
  EXPECT_FALSE(s.on_auth_reply(cmd::kRegister, reply(2 /* UsernameTaken */)));
  EXPECT_EQ(s.info().token, "t1");
  EXPECT_EQ(s.info().user_id, 7u);
}

TEST(SessionState, AResumeKeepsTheRenewedTokenAndSaysWhetherToResync) {
  SessionState s;
  ASSERT_TRUE(s.on_auth_reply(cmd::kGuestLogin, reply(auth_result::kOk, "t1", 7)));
  s.on_push(cmd::kChatMessage, bytes_of(cmd::kChatMessage, R"({"push_id": 10})"));
  s.on_link_down();
  AuthReplyFields ok = reply(auth_result::kOk, "t2", 7);
  ok.resumed = true;
  EXPECT_EQ(s.on_auth_reply(cmd::kResume, ok), SessionEventKind::kResumed);
  EXPECT_EQ(s.info().token, "t2");
  EXPECT_TRUE(s.info().logged_in);
  EXPECT_EQ(s.info().last_push_id, 10u) << "a resume continues the same push stream";
  ok.resync_required = true;
  EXPECT_EQ(s.on_auth_reply(cmd::kResume, ok), SessionEventKind::kResyncRequired);
}

TEST(SessionState, AResumeRefusedForGoodForgetsTheSessionButABusyServerDoesNot) {
  for (const uint16_t transient :
       {auth_result::kServerBusy, auth_result::kInternalError, auth_result::kRateLimited}) {
    SessionState s;
    ASSERT_TRUE(s.on_auth_reply(cmd::kGuestLogin, reply(auth_result::kOk, "t1", 7)));
    EXPECT_FALSE(s.on_auth_reply(cmd::kResume, reply(transient))) << transient;
    EXPECT_TRUE(s.can_resume()) << transient;
  }
  for (const uint16_t gone :
       {auth_result::kSessionGone, auth_result::kTokenExpired, auth_result::kTokenInvalid}) {
    SessionState s;
    ASSERT_TRUE(s.on_auth_reply(cmd::kGuestLogin, reply(auth_result::kOk, "t1", 7)));
    EXPECT_EQ(s.on_auth_reply(cmd::kResume, reply(gone)), SessionEventKind::kLost) << gone;
    EXPECT_FALSE(s.can_resume()) << gone;
    EXPECT_EQ(s.info().user_id, 0u);
  }
}

TEST(SessionState, AResumeOnAConnectionThatHasTheSessionChangesNothing) {
  SessionState s;
  ASSERT_TRUE(s.on_auth_reply(cmd::kGuestLogin, reply(auth_result::kOk, "t1", 7)));
  EXPECT_FALSE(s.on_auth_reply(cmd::kResume, reply(auth_result::kAlreadyLoggedIn)));
  EXPECT_EQ(s.info().token, "t1");
  EXPECT_TRUE(s.info().logged_in);
}

TEST(SessionState, LogoutForgetsTheSession) {
  SessionState s;
  ASSERT_TRUE(s.on_auth_reply(cmd::kGuestLogin, reply(auth_result::kOk, "t1", 7)));
  EXPECT_EQ(s.on_auth_reply(cmd::kLogout, reply(auth_result::kOk, "", 7)),
            SessionEventKind::kLoggedOut);
  EXPECT_FALSE(s.can_resume());
  EXPECT_FALSE(s.info().logged_in);
  EXPECT_EQ(to_string(SessionEventKind::kResyncRequired), "resync_required");
}

}  // namespace
}  // namespace citadel::client
