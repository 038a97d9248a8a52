// Every limit in the config, tripped from outside: idle timeout, global and
// per-address connection caps, the per-connection output queue (slow
// consumers), and a burst of connections opened and dropped at once.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <string>
#include <thread>

#include "fixture.h"

namespace citadel::test {
namespace {

using Limits = ServerTest;

TEST_F(Limits, IdleTimeout300msClosesIdleClientWithError6WhilePingingClientSurvives) {
  START_SERVER("limits:\n  idle_timeout_ms: 300\n");
  TestClient pinger = connect_client();
  TestClient idle = connect_client();
  const auto t0 = Clock::now();
  ASSERT_TRUE(Pings(pinger, "0"));

  // Ping every 100 ms (by deadline, so no drift) for 1.2 s, watching the idle
  // client in between.
  std::optional<long long> idle_closed_after_ms;
  auto next = t0;
  int pings = 0;
  while (Clock::now() - t0 < 1200ms) {
    next += 100ms;
    ASSERT_TRUE(Pings(pinger, std::to_string(++pings), 1s))
        << "pinging client was not served at " << ms_since(t0) << " ms";
    while (!idle_closed_after_ms && Clock::now() < next) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      pollfd p{idle.fd(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count()) + 1) > 0) {
        idle_closed_after_ms = ms_since(t0);
        ASSERT_TRUE(GetsErrorThenClose(idle, wire::ErrorCode::kIdleTimeout, 2s));
      }
    }
    std::this_thread::sleep_until(next);
  }
  ASSERT_TRUE(idle_closed_after_ms.has_value()) << "idle client still open after 1.2 s";
  // Not before the timeout (the server's clock started after ours: connect
  // completes before accept), and not long after it.
  EXPECT_GE(*idle_closed_after_ms, 280);
  EXPECT_LE(*idle_closed_after_ms, 1000);
  EXPECT_TRUE(Pings(pinger, "still here")) << "after " << ms_since(t0) << " ms of pinging";
}

TEST_F(Limits, AnyFrameCountsAsActivityForTheIdleTimeout) {
  // Not only PING: ECHO and even unknown commands keep a connection alive.
  START_SERVER("limits:\n  idle_timeout_ms: 300\n");
  TestClient c = connect_client();
  const auto t0 = Clock::now();
  auto next = t0;
  int i = 0;
  while (Clock::now() - t0 < 900ms) {
    next += 100ms;
    if (++i % 2) {
      ASSERT_TRUE(c.send_frame(wire::cmd::kEcho, "e"));
      ASSERT_TRUE(GetsFrame(c, wire::cmd::kEcho, to_bytes("e"), 1s))
          << "at " << ms_since(t0) << " ms";
    } else {
      ASSERT_TRUE(c.send_frame(kUnassignedCmd, "u"));
      ASSERT_TRUE(GetsError(c, wire::ErrorCode::kUnknownCommand, 1s))
          << "at " << ms_since(t0) << " ms";
    }
    std::this_thread::sleep_until(next);
  }
  EXPECT_TRUE(Pings(c));
}

TEST_F(Limits, MaxConnections3FourthGetsError4AndFirstThreeStillWork) {
  START_SERVER("limits:\n  max_connections: 3\n");
  std::vector<TestClient> first;
  for (int i = 0; i < 3; ++i) {
    first.push_back(connect_client());
    ASSERT_TRUE(Pings(first.back(), std::to_string(i))) << "connection " << i;
  }
  TestClient fourth = connect_client();
  EXPECT_TRUE(GetsErrorThenClose(fourth, wire::ErrorCode::kServerFull));
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(Pings(first[static_cast<std::size_t>(i)])) << "connection " << i;
}

TEST_F(Limits, MaxConnectionsSlotIsFreedWhenAClientLeaves) {
  START_SERVER("limits:\n  max_connections: 3\n");
  std::vector<TestClient> first;
  for (int i = 0; i < 3; ++i) {
    first.push_back(connect_client());
    ASSERT_TRUE(Pings(first.back())) << "connection " << i;
  }
  first[0].close();
  // The server notices the close asynchronously: poll (bounded) until a new
  // connection is served rather than turned away with ERROR 4.
  const auto deadline = Clock::now() + 5s;
  bool served = false;
  int refused = 0;
  while (!served && Clock::now() < deadline) {
    TestClient c = connect_client();
    if (Pings(c, "replacement", 2s)) {
      served = true;
    } else {
      ++refused;
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(served) << "no free slot 5 s after a client left (" << refused
                      << " attempts refused)";
}

TEST_F(Limits, MaxConnectionsPerIp2ThirdGetsError5AndFirstTwoStillWork) {
  START_SERVER("limits:\n  max_connections_per_ip: 2\n");
  TestClient a = connect_client();
  TestClient b = connect_client();
  ASSERT_TRUE(Pings(a, "a"));
  ASSERT_TRUE(Pings(b, "b"));
  TestClient third = connect_client();
  EXPECT_TRUE(GetsErrorThenClose(third, wire::ErrorCode::kTooManyFromAddress));
  EXPECT_TRUE(Pings(a, "a again"));
  EXPECT_TRUE(Pings(b, "b again"));
}

TEST_F(Limits, SlowConsumerPastOutputQueueBytesIsDisconnectedWhileOthersAreServed) {
  // output_queue_bytes 64 KiB. max_payload_bytes is lowered to 32 KiB because
  // the output queue must be able to hold one maximum-size reply.
  START_SERVER(
      "limits:\n"
      "  output_queue_bytes: 65536\n"
      "  max_payload_bytes: 32768\n");
  TestClient other = connect_client();
  ASSERT_TRUE(Pings(other, "before"));

  // A small receive buffer keeps the kernel from hiding the backlog for long.
  TestClient slow = connect_client(/*rcvbuf_bytes=*/4096);
  const Bytes request = encode_frame(wire::cmd::kEcho, pattern_bytes(16 * 1024, 5));
  const auto t0 = Clock::now();
  std::size_t sent_bytes = 0;
  bool closed_by_server = false;
  int requests = 0;
  // Pipeline 16 KiB ECHOs, never reading, until the server closes us.
  while (!closed_by_server && Clock::now() - t0 < 20s && sent_bytes < (256u << 20)) {
    pollfd p{slow.fd(), POLLOUT | POLLRDHUP, 0};
    ::poll(&p, 1, 1000);
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
      closed_by_server = true;
      break;
    }
    if (!(p.revents & POLLOUT)) continue;  // the server is not reading: wait (bounded by t0)
    const ssize_t n =
        ::send(slow.fd(), request.data(), request.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      closed_by_server = true;
      break;
    }
    if (n > 0) sent_bytes += static_cast<std::size_t>(n);
    // Partial sends leave the stream mid-frame; that is fine, the frames that
    // did arrive whole are what fills the queue.
    if (++requests % 16 == 0) {
      ASSERT_TRUE(Pings(other, std::to_string(requests), 2s))
          << "other client not served while the slow one was filling its queue";
    }
  }
  ASSERT_TRUE(closed_by_server) << "slow consumer still connected after sending " << sent_bytes
                                << " bytes in " << ms_since(t0) << " ms without reading";
  EXPECT_TRUE(Pings(other, "after"));
  EXPECT_TRUE(fresh_connection_pings(port_));
  other.close();

  const auto status = stop_server();
  ASSERT_TRUE(status.has_value()) << "server did not exit after SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << status->describe();
  EXPECT_NE(server_->output().find("slow_consumer_disconnects=1"), std::string::npos);
}

TEST_F(Limits, TwoThousandConnectionsOpenedAndDroppedAtOnceThenPingWorks) {
  // No per-address cap: all of these come from 127.0.0.1.
  START_SERVER("limits:\n  max_connections_per_ip: 0\n");
  constexpr int kCount = 2000;
  std::vector<TestClient> burst(kCount);
  int connected = 0;
  for (auto& c : burst) connected += c.connect(port_, 5s) ? 1 : 0;
  EXPECT_EQ(connected, kCount);
  // Drop them all at once: half with a FIN, half with a reset.
  for (int i = 0; i < kCount; ++i) {
    if (i % 2) {
      burst[static_cast<std::size_t>(i)].reset();
    } else {
      burst[static_cast<std::size_t>(i)].close();
    }
  }
  EXPECT_TRUE(fresh_connection_pings(port_, 10s));
  EXPECT_TRUE(server_->running());

  // And the burst can be repeated: every slot was given back.
  std::vector<TestClient> again(kCount);
  connected = 0;
  for (auto& c : again) connected += c.connect(port_, 5s) ? 1 : 0;
  EXPECT_EQ(connected, kCount);
  for (int i = 0; i < kCount; i += 100) {
    EXPECT_TRUE(Pings(again[static_cast<std::size_t>(i)], "burst", 10s)) << "connection " << i;
  }
  // Reset rather than FIN: 2000 client sockets in TIME_WAIT would hold
  // ephemeral ports that other tests on this machine need.
  for (auto& c : again) c.reset();
}

}  // namespace
}  // namespace citadel::test
