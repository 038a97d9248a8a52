// The client library against the real `citadel` binary: pipelined requests
// matched in order, the server's goodbye on SIGTERM, and reconnecting with
// growing delays to a server stopped and started again on the same port.
#include <gtest/gtest.h>

#include <csignal>

#include <boost/asio/io_context.hpp>

#include "child_process.h"
#include "client/client.h"
#include "protocol/wire.h"
#include "recorder.h"
#include "run_until.h"
#include "server_process.h"

namespace citadel::client {
namespace {

namespace asio = boost::asio;
namespace proto = citadel::protocol;
using citadel::test::ServerProcess;
using test::bytes;
using test::FixedPortServer;
using test::Recorder;
using test::run_until;

TEST(ClientWithServer, PipelinedRequestsAreAnsweredInOrderIncludingErrors) {
  ServerProcess server;
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  asio::io_context io;
  Client client(io);
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", server.port());
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));

  const std::string big(10'000, 'z');
  client.ping(bytes("hi"), rec.record());
  client.request(0x7FFF, bytes("?"), std::nullopt, rec.record());  // nobody handles 0x7FFF
  client.echo(bytes(big), rec.record());
  client.ping(bytes(std::string(65, 'p')), rec.record());  // above the 64-byte PING limit
  client.ping(bytes("last"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 5; }, 5s));

  EXPECT_EQ(rec.replies[0].error, RequestError::kNone);
  EXPECT_EQ(rec.replies[0].cmd, proto::cmd::kPong);
  EXPECT_EQ(rec.replies[0].payload, "hi");
  EXPECT_GT(rec.replies[0].rtt.count(), 0);
  EXPECT_EQ(rec.replies[1].error, RequestError::kServerError);
  EXPECT_EQ(rec.replies[1].server_code, static_cast<uint16_t>(proto::ErrorCode::kUnknownCommand));
  EXPECT_EQ(rec.replies[2].cmd, proto::cmd::kEcho);
  EXPECT_EQ(rec.replies[2].payload, big);
  EXPECT_EQ(rec.replies[3].error, RequestError::kServerError);
  EXPECT_EQ(rec.replies[3].server_code, static_cast<uint16_t>(proto::ErrorCode::kBadPayload));
  EXPECT_EQ(rec.replies[4].payload, "last");
  for (std::size_t i = 0; i < rec.replies.size(); ++i) {
    EXPECT_EQ(rec.replies[i].id, rec.replies[0].id + i) << "reply " << i;
  }
  EXPECT_TRUE(rec.pushes.empty());
}

TEST(ClientWithServer, ReconnectsWithGrowingDelaysToAServerRestartedOnTheSamePort) {
  ServerProcess first;
  std::string why;
  ASSERT_TRUE(first.start(&why)) << why;
  const uint16_t port = first.port();

  asio::io_context io;
  ClientOptions o;
  o.heartbeat_interval = 200ms;
  o.dead_after = 2s;
  o.connect_timeout = 1s;
  o.backoff.base = 100ms;
  o.backoff.cap = 3200ms;
  o.backoff.jitter = Jitter::kEqual;
  Client client(io, o);
  Recorder rec;
  rec.attach(client);
  client.connect("127.0.0.1", port);
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 5s));
  client.ping(bytes("before"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 1; }, 5s));
  ASSERT_TRUE(rec.replies[0].error == RequestError::kNone);

  // SIGTERM: the server drains, says goodbye with ERROR 7 and closes. The io
  // keeps running meanwhile, so the client reads the goodbye and closes its end.
  ASSERT_EQ(::kill(first.pid(), SIGTERM), 0);
  ASSERT_TRUE(run_until(
      io, [&] { return rec.count(ClientState::kDisconnected) >= 1; }, 5s));
  EXPECT_NE(rec.reasons[0].find("shutting_down"), std::string::npos) << rec.reasons[0];
  const auto exit = first.wait_exit(5s);
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->describe();

  // Nobody listens now: attempts fail, each after a longer wait than the last.
  ASSERT_TRUE(run_until(
      io, [&] { return rec.count(ClientState::kReconnecting) >= 4; }, 8s));
  std::vector<StateEvent> waits;
  for (const StateEvent& e : rec.states) {
    if (e.state == ClientState::kReconnecting) waits.push_back(e);
  }
  for (std::size_t i = 0; i < waits.size(); ++i) {
    const auto ceiling = o.backoff.base * (1 << i);
    EXPECT_EQ(waits[i].attempt, i + 1);
    EXPECT_LE(waits[i].delay, ceiling) << "attempt " << i + 1;
    EXPECT_GE(waits[i].delay * 2, ceiling) << "attempt " << i + 1;
    if (i > 0) {
      EXPECT_GE(waits[i].delay, waits[i - 1].delay) << "attempt " << i + 1;
    }
  }
  EXPECT_NE(rec.reasons.back().find("refused"), std::string::npos) << rec.reasons.back();
  // While it is down, requests fail at once instead of queueing for later.
  client.ping(bytes("during"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 2; }, 5s));
  EXPECT_EQ(rec.replies[1].error, RequestError::kNotConnected);

  // The same port again (explicit --port; retried while it is still in use).
  FixedPortServer second(port);
  ASSERT_TRUE(second.start(10s, &why)) << why;
  ASSERT_TRUE(run_until(
      io, [&] { return client.state() == ClientState::kConnected; }, 10s))
      << "state " << to_string(client.state());
  EXPECT_TRUE(rec.states.back().reconnected);
  client.ping(bytes("after"), rec.record());
  ASSERT_TRUE(run_until(
      io, [&] { return rec.replies.size() == 3; }, 5s));
  EXPECT_EQ(rec.replies[2].error, RequestError::kNone);
  EXPECT_EQ(rec.replies[2].payload, "after");
  EXPECT_EQ(client.stats().connections, 2u);
  client.close();
  second.stop(SIGTERM, 5s);
}

}  // namespace
}  // namespace citadel::client
