// The Client's session handling against a scripted server (fake_server.h):
// Resume is the first frame on every new connection while a token is held,
// requests made meanwhile wait for its answer, and each answer (resumed,
// refused, busy, an old server's ERROR) leads where session.h says.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

#include "client/client.h"
#include "client_test_helpers.h"
#include "fake_server.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "recorder.h"
#include "test_messages.h"

namespace citadel::client {
namespace {

namespace asio = boost::asio;
namespace proto = citadel::protocol;
namespace cmd = citadel::protocol::cmd;
using test::bytes;
using test::FakePeer;
using test::FakeServer;
using test::Frame;
using test::payload_of;
using test::quiet_options;
using test::Recorder;
using test::run_until;
using test::table_of;

std::string auth_reply(uint32_t request_id, std::string_view rest) {
  return payload_of(cmd::kAuthReply, "{\"request_id\": " + std::to_string(request_id) + ", " +
                                         std::string(rest) + "}");
}

std::string chat_push(uint64_t push_id, std::string_view text) {
  return payload_of(cmd::kChatMessage, "{\"push_id\": " + std::to_string(push_id) +
                                           ", \"channel\": \"world\", \"text\": \"" +
                                           std::string(text) + "\"}");
}

// A server that logs guests in as user 7 (token "t1"), answers PING and
// Logout, and hands Resume frames to `on_resume` (by default: not answered).
struct AuthServer {
  explicit AuthServer(asio::io_context& io) : server(io) {
    server.on_frame = [this](FakePeer& p, const Frame& f) {
      if (f.cmd == cmd::kGuestLogin) {
        p.send(cmd::kAuthReply,
               auth_reply(table_of<msg::GuestLogin>(f)->request_id(),
                          R"("user_id": 7, "username": "guest-7", "token": "t1")"));
      } else if (f.cmd == cmd::kLogout) {
        p.send(cmd::kAuthReply,
               auth_reply(table_of<msg::Logout>(f)->request_id(), R"("user_id": 7)"));
      } else if (f.cmd == cmd::kResume) {
        if (on_resume) on_resume(p, *table_of<msg::Resume>(f));
      } else {
        test::answer_like_the_server(p, f);
      }
    };
  }
  std::vector<uint16_t> cmds_received(std::size_t peer) const {
    std::vector<uint16_t> out;
    for (const Frame& f : server.peers().at(peer)->received()) out.push_back(f.cmd);
    return out;
  }
  FakeServer server;
  std::function<void(FakePeer&, const msg::Resume&)> on_resume;
};

// Connects, logs in as a guest and waits for the reply.
void connect_and_log_in(asio::io_context& io, Client& client, Recorder& rec, uint16_t port) {
  client.connect("127.0.0.1", port);
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  bool answered = false;
  client.login_guest("device-0001", [&](const AuthOutcome& o) {
    answered = true;
    EXPECT_TRUE(o.ok()) << to_string(o.reply.error);
    ASSERT_TRUE(o.auth.has_value());
    EXPECT_EQ(o.auth->user_id, 7u);
  });
  ASSERT_TRUE(run_until(
      io, [&] { return answered; }, 5s));
  ASSERT_EQ(rec.sessions, std::vector{SessionEventKind::kLoggedIn});
  EXPECT_EQ(client.session().token, "t1");
  EXPECT_TRUE(client.session().logged_in);
}

TEST(ClientSession, ResumeIsTheFirstFrameAndRequestsWaitForItsAnswer) {
  asio::io_context io;
  AuthServer auth(io);
  FakePeer* resuming_peer = nullptr;
  uint32_t resume_request_id = 0;
  auth.on_resume = [&](FakePeer& p, const msg::Resume& m) {
    EXPECT_EQ(m.token()->string_view(), "t1");
    EXPECT_EQ(m.last_push_id(), 5u) << "the highest push id seen";
    resuming_peer = &p;
    resume_request_id = m.request_id();
  };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  ASSERT_NO_FATAL_FAILURE(connect_and_log_in(io, client, rec, auth.server.port()));
  auth.server.peers()[0]->send(cmd::kChatMessage, chat_push(4, "four"));
  auth.server.peers()[0]->send(cmd::kChatMessage, chat_push(5, "five"));
  ASSERT_TRUE(run_until(
      io, [&] { return client.session().last_push_id == 5; }, 5s));

  client.drop_connection("test");
  EXPECT_FALSE(client.session().logged_in);
  ASSERT_TRUE(run_until(
      io, [&] { return resuming_peer != nullptr; }, 5s));
  ASSERT_EQ(client.state(), ClientState::kConnected);
  EXPECT_EQ(client.send(cmd::kArenaInput, bytes("input")), RequestError::kNone);
  client.ping(bytes("held"), rec.record());
  // Give the PING every chance to overtake the Resume: it must not.
  run_until(
      io, [] { return false; }, 100ms);
  EXPECT_EQ(auth.cmds_received(1), std::vector<uint16_t>{cmd::kResume});

  resuming_peer->send(cmd::kAuthReply,
                      auth_reply(resume_request_id, R"("user_id": 7, "username": "guest-7",
                                 "token": "t2", "resumed": true)"));
  resuming_peer->send(cmd::kChatMessage, chat_push(6, "six"));  // missed while away
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 1 && client.session().last_push_id == 6; }, 5s));
  EXPECT_EQ(rec.sessions, (std::vector{SessionEventKind::kLoggedIn, SessionEventKind::kResumed}));
  EXPECT_EQ(rec.session_events[1].user_id, 7u);
  EXPECT_EQ(auth.cmds_received(1),
            (std::vector<uint16_t>{cmd::kResume, cmd::kArenaInput, proto::cmd::kPing}));
  EXPECT_EQ(rec.replies[0].error, RequestError::kNone);
  EXPECT_EQ(rec.replies[0].payload, "held");
  EXPECT_EQ(client.session().token, "t2") << "the renewed token";
  EXPECT_TRUE(client.session().logged_in);
  ASSERT_EQ(rec.pushes.size(), 3u);
  EXPECT_EQ(rec.pushes[2].payload, chat_push(6, "six"));
}

TEST(ClientSession, ASessionThatCannotBeResumedIsLostAndTheConnectionStays) {
  asio::io_context io;
  AuthServer auth(io);
  auth.on_resume = [](FakePeer& p, const msg::Resume& m) {
    p.send(cmd::kAuthReply, auth_reply(m.request_id(), R"("result": "SessionGone",
                                       "message": "grace period passed")"));
  };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  ASSERT_NO_FATAL_FAILURE(connect_and_log_in(io, client, rec, auth.server.port()));
  client.drop_connection("test");
  ASSERT_TRUE(run_until(
      io, [&] { return rec.sessions.size() == 2; }, 5s));
  EXPECT_EQ(rec.sessions[1], SessionEventKind::kLost);
  EXPECT_EQ(rec.session_events[1].auth_result, auth_result::kSessionGone);
  EXPECT_EQ(rec.session_messages[1], "grace period passed");
  EXPECT_EQ(client.state(), ClientState::kConnected);
  EXPECT_TRUE(client.session().token.empty());
  EXPECT_FALSE(client.session().logged_in);

  // Logged out but connected: a new login works on the same connection.
  bool again = false;
  client.login_guest("device-0001", [&](const AuthOutcome& o) { again = o.ok(); });
  ASSERT_TRUE(run_until(
      io, [&] { return again; }, 5s));
  EXPECT_EQ(auth.server.peers().size(), 2u);
  EXPECT_EQ(rec.sessions.back(), SessionEventKind::kLoggedIn);
}

TEST(ClientSession, ABusyServerIsAskedAgainOnANewConnection) {
  asio::io_context io;
  AuthServer auth(io);
  int resumes = 0;
  auth.on_resume = [&](FakePeer& p, const msg::Resume& m) {
    ++resumes;
    p.send(cmd::kAuthReply,
           auth_reply(m.request_id(), resumes == 1 ? R"("result": "ServerBusy")"
                                                   : R"("user_id": 7, "resumed": true)"));
  };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  ASSERT_NO_FATAL_FAILURE(connect_and_log_in(io, client, rec, auth.server.port()));
  client.drop_connection("test");
  ASSERT_TRUE(run_until(
      io, [&] { return rec.sessions.size() == 2; }, 5s));
  EXPECT_EQ(rec.sessions[1], SessionEventKind::kResumed);
  EXPECT_EQ(resumes, 2);
  EXPECT_EQ(auth.server.peers().size(), 3u);
  EXPECT_NE(rec.reasons.back().find("Resume refused for now: ServerBusy"), std::string::npos)
      << rec.reasons.back();
}

TEST(ClientSession, AServerWithoutResumeEndsTheSession) {
  asio::io_context io;
  AuthServer auth(io);
  auth.on_resume = [](FakePeer& p, const msg::Resume&) {
    p.send(proto::cmd::kError, std::string("\x00\x03unknown command 0x0103", 24));
  };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  ASSERT_NO_FATAL_FAILURE(connect_and_log_in(io, client, rec, auth.server.port()));
  client.drop_connection("test");
  ASSERT_TRUE(run_until(
      io, [&] { return rec.sessions.size() == 2; }, 5s));
  EXPECT_EQ(rec.sessions[1], SessionEventKind::kLost);
  EXPECT_EQ(rec.session_events[1].auth_result, 0);
  EXPECT_NE(rec.session_messages[1].find("ERROR 3"), std::string::npos) << rec.session_messages[1];
  EXPECT_EQ(client.state(), ClientState::kConnected);
}

TEST(ClientSession, LoggedInElsewhereEndsTheSessionAndNoResumeFollows) {
  asio::io_context io;
  AuthServer auth(io);
  bool resumed = false;
  auth.on_resume = [&](FakePeer&, const msg::Resume&) { resumed = true; };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  ASSERT_NO_FATAL_FAILURE(connect_and_log_in(io, client, rec, auth.server.port()));
  auth.server.peers()[0]->send(proto::cmd::kError, std::string("\x00\x0bsession taken over", 20));
  auth.server.peers()[0]->close();
  ASSERT_TRUE(run_until(
      io,
      [&] { return auth.server.peers().size() == 2 && client.state() == ClientState::kConnected; },
      5s));
  client.ping(bytes("p"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 1; }, 5s));
  EXPECT_FALSE(resumed);
  EXPECT_EQ(rec.sessions, (std::vector{SessionEventKind::kLoggedIn, SessionEventKind::kLost}));
  EXPECT_NE(rec.session_messages[1].find("logged_in_elsewhere"), std::string::npos)
      << rec.session_messages[1];
}

TEST(ClientSession, LogoutForgetsTheTokenSoTheNextConnectionDoesNotResume) {
  asio::io_context io;
  AuthServer auth(io);
  bool resumed = false;
  auth.on_resume = [&](FakePeer&, const msg::Resume&) { resumed = true; };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  ASSERT_NO_FATAL_FAILURE(connect_and_log_in(io, client, rec, auth.server.port()));
  bool logged_out = false;
  client.logout([&](const AuthOutcome& o) { logged_out = o.ok(); });
  EXPECT_TRUE(client.session().token.empty()) << "forgotten when sent";
  ASSERT_TRUE(run_until(
      io, [&] { return logged_out; }, 5s));
  EXPECT_EQ(rec.sessions.back(), SessionEventKind::kLoggedOut);

  client.drop_connection("test");
  ASSERT_TRUE(run_until(
      io,
      [&] { return auth.server.peers().size() == 2 && client.state() == ClientState::kConnected; },
      5s));
  client.ping(bytes("p"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 1; }, 5s));
  EXPECT_FALSE(resumed);
  EXPECT_EQ(auth.cmds_received(1), std::vector<uint16_t>{proto::cmd::kPing});

  // And resume() now has nothing to send.
  bool no_session = false;
  client.resume(
      [&](const AuthOutcome& o) { no_session = o.reply.error == RequestError::kNoSession; });
  ASSERT_TRUE(run_until(
      io, [&] { return no_session; }, 5s));
}

TEST(ClientSession, AHandedTokenIsResumedOnTheFirstConnection) {
  asio::io_context io;
  AuthServer auth(io);
  auth.on_resume = [](FakePeer& p, const msg::Resume& m) {
    EXPECT_EQ(m.token()->string_view(), "saved");
    EXPECT_EQ(m.last_push_id(), 40u);
    p.send(cmd::kAuthReply,
           auth_reply(m.request_id(), R"("user_id": 9, "resumed": true, "resync_required": true)"));
  };
  Client client(io, quiet_options());
  Recorder rec;
  rec.attach(client);
  client.set_session("saved", 40);
  client.connect("127.0.0.1", auth.server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.sessions.size() == 1; }, 5s));
  EXPECT_EQ(rec.sessions[0], SessionEventKind::kResyncRequired);
  EXPECT_EQ(client.session().user_id, 9u);
  EXPECT_EQ(client.session().token, "saved") << "no renewed token in the reply: keep ours";
}

}  // namespace
}  // namespace citadel::client
