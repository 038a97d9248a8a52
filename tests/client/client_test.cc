// The Client against a scripted in-process server (fake_server.h): pushes,
// FIFO matching end to end, timeouts, dead-peer detection, bounds, close.
// Real sockets on 127.0.0.1 port 0; every wait polls a condition, bounded.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/client.h"
#include "client_test_helpers.h"
#include "fake_server.h"
#include "protocol/wire.h"
#include "recorder.h"

namespace citadel::client {
namespace {

namespace asio = boost::asio;
namespace proto = citadel::protocol;
using test::bytes;
using test::FakePeer;
using test::FakeServer;
using test::Frame;
using test::quiet_options;
using test::Recorder;
using test::run_until;

// Closes a raw socket descriptor.
struct OwnedFd {
  explicit OwnedFd(int f) : fd(f) {}
  OwnedFd(OwnedFd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  OwnedFd(const OwnedFd&) = delete;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int fd;
};

TEST(Client, PushesGoToThePushCallbackAndRepliesToTheirRequests) {
  asio::io_context io;
  FakeServer server(io);
  server.on_accept = [](FakePeer& p) { p.send(0x0210, "welcome"); };
  server.on_frame = [](FakePeer& p, const Frame& f) {
    // A push slipped in before each reply.
    p.send(0x0211, "before " + f.payload);
    test::answer_like_the_server(p, f);
  };
  Client client(io, quiet_options(5s));
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));

  const RequestId a = client.ping(bytes("a"), rec.record());
  const RequestId b = client.echo(bytes("bb"), rec.record());
  ASSERT_NE(a, b);
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 2 && rec.pushes.size() == 3; }, 5s));
  EXPECT_EQ(rec.replies[0].id, a);
  EXPECT_EQ(rec.replies[0].cmd, proto::cmd::kPong);
  EXPECT_EQ(rec.replies[0].payload, "a");
  EXPECT_EQ(rec.replies[1].id, b);
  EXPECT_EQ(rec.replies[1].cmd, proto::cmd::kEcho);
  EXPECT_EQ(rec.replies[1].payload, "bb");
  EXPECT_EQ(rec.pushes[0].cmd, 0x0210);
  EXPECT_EQ(rec.pushes[0].payload, "welcome");
  EXPECT_EQ(rec.pushes[1].payload, "before a");
  EXPECT_EQ(rec.pushes[2].payload, "before bb");
  EXPECT_EQ(client.stats().pushes, 3u);
  EXPECT_EQ(client.stats().replies, 2u);
}

TEST(Client, ARequestScopedErrorFailsOnlyItsRequest) {
  asio::io_context io;
  FakeServer server(io);
  server.on_frame = [](FakePeer& p, const Frame& f) {
    if (f.cmd == 0x0100) {
      std::string payload("\x00\x03unknown command 0x0100", 24);
      p.send(proto::cmd::kError, payload);
    } else {
      test::answer_like_the_server(p, f);
    }
  };
  Client client(io, quiet_options(5s));
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  client.request(0x0100, {}, 0x0104, rec.record());
  client.ping(bytes("after"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 2; }, 5s));
  EXPECT_EQ(rec.replies[0].error, RequestError::kServerError);
  EXPECT_EQ(rec.replies[0].server_code, 3);
  EXPECT_EQ(rec.replies[1].error, RequestError::kNone);
  EXPECT_EQ(rec.replies[1].payload, "after");
  EXPECT_TRUE(rec.pushes.empty());
}

TEST(Client, AnswersTheServersPingWithoutTakingItAsAReply) {
  asio::io_context io;
  FakeServer server(io);
  server.on_accept = [](FakePeer& p) { p.send(proto::cmd::kPing, "from server"); };
  Client client(io, quiet_options(5s));
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return !server.peers().empty() && !server.peers()[0]->received().empty(); }, 5s));
  const Frame& pong = server.peers()[0]->received()[0];
  EXPECT_EQ(pong.cmd, proto::cmd::kPong);
  EXPECT_EQ(pong.payload, "from server");
  EXPECT_TRUE(rec.pushes.empty());
}

TEST(Client, ATimedOutRequestKeepsItsSlotSoTheNextReplyIsNotMisdelivered) {
  asio::io_context io;
  FakeServer server(io);
  // The server holds the first PONG back until the second PING arrives, then
  // answers both in order, as a slow real server would.
  server.on_frame = [](FakePeer& p, const Frame&) {
    if (p.received().size() == 2) {
      p.send(proto::cmd::kPong, p.received()[0].payload);
      p.send(proto::cmd::kPong, p.received()[1].payload);
    }
  };
  ClientOptions o = quiet_options(5s);
  o.request_timeout = 100ms;
  Client client(io, o);
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  client.ping(bytes("first"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 1; }, 5s));
  EXPECT_EQ(rec.replies[0].error, RequestError::kTimeout);

  const RequestId second = client.ping(bytes("second"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 2; }, 5s));
  EXPECT_EQ(rec.replies[1].id, second);
  EXPECT_EQ(rec.replies[1].error, RequestError::kNone);
  EXPECT_EQ(rec.replies[1].payload, "second");
  EXPECT_EQ(client.stats().late_replies, 1u);
  EXPECT_EQ(client.stats().timeouts, 1u);
}

TEST(Client, ASilentPeerIsDeclaredDeadAndTheClientReconnects) {
  asio::io_context io;
  FakeServer server(io);  // accepts, reads, never answers
  ClientOptions o = quiet_options(5s);
  o.heartbeat_interval = 50ms;
  o.dead_after = 200ms;
  Client client(io, o);
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  client.echo(bytes("lost"), rec.record());

  ASSERT_TRUE(run_until(
      io, [&] { return rec.count(ClientState::kConnected) == 2 && server.peers().size() == 2; },
      5s));
  ASSERT_FALSE(rec.reasons.empty());
  EXPECT_NE(rec.reasons[0].find("dead peer"), std::string::npos) << rec.reasons[0];
  EXPECT_EQ(client.stats().dead_peer_closes, 1u);
  // The heartbeat PINGs reached the silent server.
  EXPECT_GE(server.peers()[0]->received().size(), 3u);
  // The waiting request failed; it was not resent on the new connection.
  ASSERT_EQ(rec.replies.size(), 1u);
  EXPECT_EQ(rec.replies[0].error, RequestError::kDisconnected);
  for (const Frame& f : server.peers()[1]->received()) EXPECT_NE(f.cmd, proto::cmd::kEcho);
  EXPECT_TRUE(rec.states.back().reconnected);
}

TEST(Client, HeartbeatRoundTripIsMeasuredAndKeepsALiveLinkUp) {
  asio::io_context io;
  FakeServer server(io);
  server.on_frame = test::answer_like_the_server;
  ClientOptions o = quiet_options(5s);
  o.heartbeat_interval = 20ms;
  o.dead_after = 100ms;
  Client client(io, o);
  client.connect("127.0.0.1", server.port());
  // Several dead_after periods pass with the server answering only PINGs.
  ASSERT_TRUE(run_until(
      io, [&] { return !server.peers().empty() && server.peers()[0]->received().size() >= 20; },
      5s));
  EXPECT_EQ(client.state(), ClientState::kConnected);
  EXPECT_EQ(client.stats().dead_peer_closes, 0u);
  EXPECT_EQ(client.stats().connections, 1u);
  EXPECT_GT(client.stats().last_heartbeat_rtt.count(), 0);
}

TEST(Client, RequestsWithoutAConnectionFailAfterTheCallReturns) {
  asio::io_context io;
  Client client(io, quiet_options(5s));
  Recorder rec;
  const RequestId id = client.ping(bytes("x"), rec.record());
  EXPECT_TRUE(rec.replies.empty());  // never called back from inside request()
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 1; }, 5s));
  EXPECT_EQ(rec.replies[0].id, id);
  EXPECT_EQ(rec.replies[0].error, RequestError::kNotConnected);
}

TEST(Client, BoundsOnPendingRequestsAndQueuedBytes) {
  asio::io_context io;
  FakeServer server(io);  // never answers
  ClientOptions o = quiet_options(5s);
  o.max_pending_requests = 2;
  o.max_output_bytes = 64;
  Client client(io, o);
  Recorder rec;
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  const std::string big(100, 'x');
  client.echo(bytes(big), rec.record());  // 108 bytes > 64 queued
  client.ping(bytes("1"), rec.record());
  client.ping(bytes("2"), rec.record());
  client.ping(bytes("3"), rec.record());  // a third awaiting a reply
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 2; }, 5s));
  EXPECT_EQ(rec.replies[0].error, RequestError::kOutputFull);
  EXPECT_EQ(rec.replies[1].error, RequestError::kTooManyPending);
  EXPECT_EQ(client.pending_requests(), 2u);
}

TEST(Client, OneWayMessagesTakeNoSlotAndSayWhyTheyCannotGo) {
  asio::io_context io;
  FakeServer server(io);  // never answers
  ClientOptions o = quiet_options(5s);
  o.max_output_bytes = 64;
  Client client(io, o);
  EXPECT_EQ(client.send(0x0310, bytes("early")), RequestError::kNotConnected);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  EXPECT_EQ(client.send(0x0310, bytes("input 1")), RequestError::kNone);
  EXPECT_EQ(client.pending_requests(), 0u);
  ASSERT_TRUE(run_until(
      io, [&] { return !server.peers().empty() && server.peers()[0]->received().size() == 1; },
      5s));
  EXPECT_EQ(server.peers()[0]->received()[0].cmd, 0x0310);
  EXPECT_EQ(server.peers()[0]->received()[0].payload, "input 1");
  EXPECT_EQ(client.send(0x0310, bytes(std::string(100, 'x'))), RequestError::kOutputFull);
}

TEST(Client, CloseFailsWaitingRequestsAndDoesNotReconnect) {
  asio::io_context io;
  FakeServer server(io);  // never answers
  Client client(io, quiet_options(5s));
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  client.ping(bytes("x"), rec.record());
  client.close();
  ASSERT_EQ(rec.replies.size(), 1u);
  EXPECT_EQ(rec.replies[0].error, RequestError::kClosed);
  ASSERT_EQ(rec.reasons.size(), 1u);
  EXPECT_EQ(rec.reasons[0], "closed by client");
  // Give a reconnect time to happen if it wrongly would.
  EXPECT_FALSE(run_until(
      io, [&] { return server.peers().size() > 1; }, 300ms));
  EXPECT_EQ(rec.count(ClientState::kReconnecting), 0);
  EXPECT_EQ(client.state(), ClientState::kIdle);
}

TEST(Client, GarbageFromTheServerClosesTheLinkWithAReason) {
  asio::io_context io;
  FakeServer server(io);
  server.on_accept = [](FakePeer& p) { p.send_raw("HTTP/1.1 400 Bad Request\r\n\r\n"); };
  ClientOptions o = quiet_options(5s);
  o.auto_reconnect = false;
  Client client(io, o);
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return !rec.reasons.empty(); }, 5s));
  EXPECT_NE(rec.reasons[0].find("bad magic"), std::string::npos) << rec.reasons[0];
  EXPECT_EQ(client.state(), ClientState::kDisconnected);
}

TEST(Client, GivesUpAfterMaxTriesAgainstAClosedPort) {
  asio::io_context io;
  uint16_t port = 0;
  {
    FakeServer server(io);  // bind, note the port, close: nobody listens there now
    port = server.port();
    server.close_all();
  }
  ClientOptions o = quiet_options(5s);
  o.backoff.max_tries = 2;
  Client client(io, o);
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", port);
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kGaveUp; }, 5s));
  EXPECT_EQ(rec.count(ClientState::kDisconnected), 3);  // first try + 2 retries
  EXPECT_EQ(rec.count(ClientState::kReconnecting), 2);
  EXPECT_EQ(rec.states.back().attempt, 2u);
  EXPECT_NE(rec.reasons[0].find("refused"), std::string::npos) << rec.reasons[0];
}

// A listener whose accept queue is full drops new SYNs (Linux), so a connect
// to it hangs: the connect timeout must end it.
TEST(Client, ConnectTimesOutWhenTheServerNeverCompletesTheHandshake) {
  asio::io_context io;
  asio::ip::tcp::acceptor listener(io);
  listener.open(asio::ip::tcp::v4());
  listener.bind({asio::ip::make_address("127.0.0.1"), 0});
  listener.listen(0);  // queue of one; never accepted
  const uint16_t port = listener.local_endpoint().port();
  // Non-blocking raw connects (Asio's sync connect would wait for them):
  // the first fills the queue, the rest sit in SYN-SENT like our client will.
  std::vector<OwnedFd> fillers;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 3; ++i) {
    fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    ASSERT_GE(fillers.back().fd, 0);
    ::connect(fillers.back().fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  }
  ClientOptions o = quiet_options(5s);
  o.connect_timeout = 200ms;
  o.auto_reconnect = false;
  Client client(io, o);
  Recorder rec;
  rec.attach(client);
  const auto start = std::chrono::steady_clock::now();
  client.connect("127.0.0.1", port);
  ASSERT_TRUE(run_until(
      io, [&] { return !rec.reasons.empty(); }, 5s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_NE(rec.reasons[0].find("timed out after 200 ms"), std::string::npos) << rec.reasons[0];
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 2s);
}

}  // namespace
}  // namespace citadel::client
