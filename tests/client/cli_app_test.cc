// citadel-cli's friendly commands end to end, against the real server: a
// guest login, world chat with a second client (the library, in this test)
// talking back, a private message, logout; register and login; the arena.
// Scripted with --json, so every event is one JSON line.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "cli_output.h"
#include "client/client.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "recorder.h"
#include "run_until.h"
#include "server_process.h"
#include "test_messages.h"

namespace citadel::client {
namespace {

namespace asio = boost::asio;
namespace proto = citadel::protocol;
namespace cmd = citadel::protocol::cmd;
using citadel::test::ServerOptions;
using citadel::test::ServerProcess;
using test::bytes;
using test::bytes_of;
using test::events;
using test::has_string;
using test::kCli;
using test::lines;
using test::number_field;
using test::ProgramResult;
using test::Recorder;
using test::run_program;
using test::run_until;

class CliAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.config_yaml = "admin:\n  port: 0\n";
    server_ = std::make_unique<ServerProcess>(o);
    std::string why;
    ASSERT_TRUE(server_->start(&why)) << why;
  }
  ProgramResult run_cli(const std::string& script) const {
    return run_program(
        kCli, {"--connect", "127.0.0.1:" + std::to_string(server_->port()), "--json"}, script, 20s);
  }
  static void expect_json_lines(const ProgramResult& r) {
    ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
    EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;
    for (const std::string& l : lines(r.out)) {
      ASSERT_FALSE(l.empty());
      EXPECT_TRUE(l.starts_with("{\"event\":\"") && l.back() == '}') << l;
    }
  }
  std::unique_ptr<ServerProcess> server_;
};

// The one reply event of `command`, or "".
std::string reply_of(const std::string& out, const std::string& command) {
  for (const std::string& l : events(out, "reply")) {
    if (has_string(l, "command", command)) return l;
  }
  return {};
}

TEST_F(CliAppTest, GuestChatsWithAnotherClientAndLogsOut) {
  // The other side: a library client, logged in before the CLI starts.
  asio::io_context io;
  Client peer(io);
  Recorder rec;
  rec.attach(peer);
  peer.connect("127.0.0.1", server_->port());
  ASSERT_TRUE(run_until(
      io, [&] { return peer.state() == ClientState::kConnected; }, 5s));
  bool logged_in = false;
  peer.login_guest("device-cli-peer", [&](const AuthOutcome& o) { logged_in = o.ok(); });
  ASSERT_TRUE(run_until(
      io, [&] { return logged_in; }, 10s));

  ProgramResult r;
  std::thread cli([&] {
    r = run_cli(
        "guest device-cli-user\n"
        "say hello from the cli\n"
        "sleep 1500\n"  // the peer answers meanwhile: pushes print as they come
        "session\n"
        "logout\n"
        "say after logout\n"
        "resume\n");  // nothing to resume after a logout
  });
  // When the CLI's message arrives, answer in the world channel and in private.
  std::string cli_user;
  int answered = 0;
  const bool heard = run_until(
      io,
      [&] {
        for (const auto& p : rec.pushes) {
          const auto* m = proto::verified_root<msg::ChatMessage>(bytes(p.payload));
          if (m != nullptr && m->text()->string_view() == "hello from the cli") {
            cli_user = m->from_username()->str();
          }
        }
        return !cli_user.empty();
      },
      10s);
  if (heard) {
    const auto on_reply = [&](const Reply& reply) { answered += reply.ok() ? 1 : 0; };
    peer.request(
        cmd::kChatSend,
        bytes_of(cmd::kChatSend, R"({"request_id": 1, "channel": "world", "text": "hello back"})"),
        cmd::kChatReply, on_reply, 1);
    peer.request(cmd::kChatPrivate,
                 bytes_of(cmd::kChatPrivate, R"({"request_id": 2, "to_username": ")" + cli_user +
                                                 R"(", "text": "psst"})"),
                 cmd::kChatReply, on_reply, 2);
    run_until(
        io, [&] { return answered == 2; }, 5s);
  }
  cli.join();
  ASSERT_TRUE(heard) << "the peer never heard the CLI; CLI output:\n" << r.out;
  EXPECT_EQ(answered, 2);
  ASSERT_NO_FATAL_FAILURE(expect_json_lines(r));

  const auto sessions = events(r.out, "session");
  ASSERT_EQ(sessions.size(), 2u) << r.out;
  EXPECT_TRUE(has_string(sessions[0], "kind", "logged_in")) << sessions[0];
  EXPECT_TRUE(has_string(sessions[0], "username", cli_user)) << sessions[0];
  EXPECT_TRUE(has_string(sessions[1], "kind", "logged_out")) << sessions[1];
  const std::string guest = reply_of(r.out, "guest");
  EXPECT_TRUE(has_string(guest, "name", "AuthReply") && has_string(guest, "result", "Ok")) << guest;
  const std::string say = reply_of(r.out, "say");
  EXPECT_TRUE(has_string(say, "name", "ChatReply") && has_string(say, "result", "Ok")) << say;
  EXPECT_TRUE(has_string(reply_of(r.out, "logout"), "result", "Ok")) << r.out;

  // The CLI got its own message, the peer's answer and the private one, as pushes.
  std::vector<std::string> chat;
  for (const std::string& p : events(r.out, "push")) {
    if (number_field(p, "cmd") == cmd::kChatMessage) chat.push_back(p);
  }
  ASSERT_EQ(chat.size(), 3u) << r.out;
  EXPECT_NE(chat[0].find(R"("text": "hello from the cli")"), std::string::npos) << chat[0];
  EXPECT_NE(chat[1].find(R"("text": "hello back")"), std::string::npos) << chat[1];
  EXPECT_NE(chat[2].find(R"("text": "psst")"), std::string::npos) << chat[2];
  EXPECT_NE(chat[2].find(R"("private": true)"), std::string::npos) << chat[2];

  const auto info = events(r.out, "session_info");
  ASSERT_EQ(info.size(), 1u) << r.out;
  EXPECT_NE(info[0].find(R"("logged_in":true,"has_token":true)"), std::string::npos) << info[0];
  EXPECT_GE(number_field(info[0], "last_push_id"), 3) << info[0];
  // After logout the server refuses chat: ERROR 9, and the connection stays.
  const auto errors = events(r.out, "error");
  ASSERT_EQ(errors.size(), 1u) << r.out;
  EXPECT_EQ(number_field(errors[0], "code"), 9) << errors[0];
  const auto failed = events(r.out, "failed");
  ASSERT_EQ(failed.size(), 1u) << r.out;
  EXPECT_TRUE(has_string(failed[0], "command", "resume") &&
              has_string(failed[0], "reason", "no session to resume"))
      << failed[0];
  EXPECT_EQ(events(r.out, "disconnected").size(), 1u) << "only the final close";
  peer.close();
}

TEST_F(CliAppTest, RegisterThenLoginAgain) {
  const auto r = run_cli(
      "register cli-alice correct-horse\n"
      "logout\n"
      "login cli-alice wrong-horse\n"
      "login cli-alice correct-horse\n"
      "chat create cli-room\n"
      "chat members cli-room\n"
      "online\n"
      "resume\n");  // the session is live on this connection: refused
  ASSERT_NO_FATAL_FAILURE(expect_json_lines(r));
  const auto replies = events(r.out, "reply");
  ASSERT_EQ(replies.size(), 8u) << r.out;
  EXPECT_TRUE(has_string(replies[0], "result", "Ok")) << replies[0];
  EXPECT_TRUE(has_string(replies[1], "result", "Ok")) << replies[1];
  EXPECT_TRUE(has_string(replies[2], "result", "BadCredentials")) << replies[2];
  EXPECT_TRUE(has_string(replies[3], "result", "Ok")) << replies[3];
  EXPECT_NE(replies[3].find(R"("username": "cli-alice")"), std::string::npos) << replies[3];
  EXPECT_TRUE(has_string(replies[4], "result", "Ok")) << replies[4];
  EXPECT_NE(replies[5].find(R"("username": "cli-alice")"), std::string::npos) << replies[5];
  EXPECT_GE(number_field(replies[6], "online_count"), 1) << replies[6];
  EXPECT_TRUE(has_string(replies[7], "command", "resume") &&
              has_string(replies[7], "result", "AlreadyLoggedIn"))
      << replies[7];
  const auto sessions = events(r.out, "session");
  ASSERT_EQ(sessions.size(), 3u) << r.out;  // logged_in, logged_out, logged_in
  EXPECT_TRUE(has_string(sessions[2], "kind", "logged_in")) << sessions[2];
}

TEST_F(CliAppTest, JoinsTheArenaMovesAndLeaves) {
  const auto r = run_cli(
      "guest device-cli-arena\n"
      "join arena\n"
      "move 1 0\n"
      "move 0 -1\n"
      "unmute ArenaState\n"
      "sleep 400\n"
      "mute ArenaState\n"
      "leave\n");
  ASSERT_NO_FATAL_FAILURE(expect_json_lines(r));
  const std::string join = reply_of(r.out, "join");
  EXPECT_TRUE(has_string(join, "name", "RoomReply") && has_string(join, "result", "Ok")) << r.out;
  const auto sent = events(r.out, "sent");
  ASSERT_EQ(sent.size(), 2u) << r.out;
  EXPECT_TRUE(has_string(sent[0], "name", "ArenaInput")) << sent[0];
  EXPECT_NE(sent[0].find(R"("seq":1,"dx":1,"dy":0)"), std::string::npos) << sent[0];
  EXPECT_NE(sent[1].find(R"("seq":2,"dx":0,"dy":-1)"), std::string::npos) << sent[1];
  int states = 0;
  for (const std::string& p : events(r.out, "push")) {
    states += number_field(p, "cmd") == cmd::kArenaState ? 1 : 0;
  }
  EXPECT_GE(states, 2) << "20 Hz for 400 ms, shown while unmuted:\n" << r.out;
  const std::string leave = reply_of(r.out, "leave");
  EXPECT_TRUE(has_string(leave, "name", "RoomReply") && has_string(leave, "result", "Ok")) << r.out;
}

}  // namespace
}  // namespace citadel::client
