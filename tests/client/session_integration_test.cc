// Session resume against the real `citadel` binary: a client whose
// connection drops (client side: sessions live in the server's memory, so the
// server must keep running) reconnects, resumes the same session and gets the
// pushes it missed, in order; after the grace period it is told the session
// is lost instead, and can log in again on the same connection.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <string>
#include <vector>

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
using test::Recorder;
using test::run_until;

ServerOptions with_grace(std::chrono::milliseconds grace) {
  ServerOptions o;
  o.config_yaml =
      "auth:\n  session_grace_ms: " + std::to_string(grace.count()) + "\nadmin:\n  port: 0\n";
  return o;
}

ClientOptions options_with_reconnect_after(std::chrono::milliseconds delay) {
  ClientOptions o;
  o.heartbeat_interval = 0ms;
  o.dead_after = 0ms;
  o.request_timeout = 5s;
  o.backoff.base = delay;
  o.backoff.jitter = Jitter::kNone;
  return o;
}

struct ChatLine {
  uint64_t push_id = 0;
  std::string text;
};

// The world-channel messages among the recorded pushes, in arrival order.
std::vector<ChatLine> chat_lines(const Recorder& rec) {
  std::vector<ChatLine> out;
  for (const auto& p : rec.pushes) {
    if (p.cmd != cmd::kChatMessage) continue;
    const auto* m = proto::verified_root<msg::ChatMessage>(bytes(p.payload));
    if (m != nullptr) out.push_back({m->push_id(), std::string(m->text()->string_view())});
  }
  return out;
}

std::vector<std::string> texts(const std::vector<ChatLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.text);
  return out;
}

// ChatSend to "world", matched by its request_id; `done` gets the ChatReply
// result (0 Ok), or -1 if no ChatReply came.
void say(Client& c, const std::string& text, std::function<void(int)> done) {
  static uint32_t next_request_id = 1000;
  const uint32_t id = next_request_id++;
  c.request(
      cmd::kChatSend,
      bytes_of(cmd::kChatSend, "{\"request_id\": " + std::to_string(id) +
                                   ", \"channel\": \"world\", \"text\": \"" + text + "\"}"),
      cmd::kChatReply,
      [done = std::move(done)](const Reply& r) {
        const auto* reply = r.ok() ? proto::verified_root<msg::ChatReply>(r.payload) : nullptr;
        done(reply ? static_cast<int>(reply->result()) : -1);
      },
      id);
}

void log_in(asio::io_context& io, Client& c, uint16_t port, const std::string& device,
            uint64_t* user_id) {
  c.connect("127.0.0.1", port);
  ASSERT_TRUE(run_until(
      io, [&] { return c.state() == ClientState::kConnected; }, 5s));
  bool done = false;
  c.login_guest(device, [&](const AuthOutcome& o) {
    done = true;
    ASSERT_TRUE(o.ok()) << to_string(o.reply.error) << " "
                        << (o.auth ? o.auth->message : std::string());
    *user_id = o.auth->user_id;
  });
  ASSERT_TRUE(run_until(
      io, [&] { return done; }, 10s));
  ASSERT_NE(*user_id, 0u);
}

TEST(ClientSessionWithServer, ResumesTheSameSessionWithTheMissedPushesInOrder) {
  ServerProcess server(with_grace(10s));
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  asio::io_context io;
  Client a(io, options_with_reconnect_after(300ms));
  Client b(io, options_with_reconnect_after(300ms));
  Recorder rec_a;
  Recorder rec_b;
  rec_a.attach(a);
  rec_b.attach(b);
  uint64_t user_a = 0;
  uint64_t user_b = 0;
  ASSERT_NO_FATAL_FAILURE(log_in(io, a, server.port(), "device-resume-a", &user_a));
  ASSERT_NO_FATAL_FAILURE(log_in(io, b, server.port(), "device-resume-b", &user_b));
  EXPECT_EQ(rec_a.sessions, std::vector{SessionEventKind::kLoggedIn});

  std::vector<int> results;
  say(b, "m1", [&](int r) { results.push_back(r); });
  ASSERT_TRUE(run_until(
      io, [&] { return chat_lines(rec_a).size() == 1; }, 5s));
  const uint64_t first_push = chat_lines(rec_a)[0].push_id;
  EXPECT_EQ(a.session().last_push_id, first_push);

  // A's link breaks; B talks while A is away. When A is back, it says
  // something at once: that request waits for the resume, so it is not
  // refused as "not authenticated".
  a.set_state_handler([&](const StateEvent& e) {
    rec_a.states.push_back(e);
    if (e.state == ClientState::kConnected && e.reconnected) {
      say(a, "back", [&](int r) { results.push_back(r); });
    }
  });
  a.drop_connection("test: cable pulled");
  say(b, "m2", [&](int r) { results.push_back(r); });
  say(b, "m3", [&](int r) { results.push_back(r); });

  ASSERT_TRUE(run_until(
      io, [&] { return chat_lines(rec_a).size() == 4 && results.size() == 4; }, 10s))
      << "A got " << chat_lines(rec_a).size() << " messages";
  EXPECT_EQ(results, (std::vector{0, 0, 0, 0})) << "every ChatSend answered Ok";
  EXPECT_EQ(rec_a.sessions, (std::vector{SessionEventKind::kLoggedIn, SessionEventKind::kResumed}));
  EXPECT_EQ(rec_a.session_events[1].user_id, user_a);
  EXPECT_EQ(a.session().user_id, user_a);
  EXPECT_TRUE(a.session().logged_in);
  const std::vector<ChatLine> lines = chat_lines(rec_a);
  EXPECT_EQ(texts(lines), (std::vector<std::string>{"m1", "m2", "m3", "back"}));
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_GT(lines[i].push_id, lines[i - 1].push_id) << "push " << i;
  }
  EXPECT_EQ(a.session().last_push_id, lines.back().push_id);
  EXPECT_EQ(a.stats().connections, 2u);
  a.close();
  b.close();
}

TEST(ClientSessionWithServer, AfterTheGracePeriodTheApplicationIsToldTheSessionIsLost) {
  ServerProcess server(with_grace(300ms));
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  asio::io_context io;
  // The reconnect comes well after the grace period has passed.
  Client a(io, options_with_reconnect_after(1200ms));
  Recorder rec;
  rec.attach(a);
  uint64_t user = 0;
  ASSERT_NO_FATAL_FAILURE(log_in(io, a, server.port(), "device-grace-a", &user));
  a.drop_connection("test: cable pulled");
  ASSERT_TRUE(run_until(
      io, [&] { return rec.sessions.size() == 2; }, 5s));
  EXPECT_EQ(rec.sessions[1], SessionEventKind::kLost);
  EXPECT_EQ(rec.session_events[1].auth_result, auth_result::kSessionGone);
  EXPECT_EQ(rec.session_events[1].user_id, user);
  EXPECT_EQ(a.state(), ClientState::kConnected) << "still connected, logged out";
  EXPECT_TRUE(a.session().token.empty());

  // The same connection takes a new login (the same device: the same account).
  bool again = false;
  a.login_guest("device-grace-a",
                [&](const AuthOutcome& o) { again = o.ok() && o.auth->user_id == user; });
  ASSERT_TRUE(run_until(
      io, [&] { return again; }, 5s));
  EXPECT_EQ(a.stats().connections, 2u);
  a.close();
}

}  // namespace
}  // namespace citadel::client
