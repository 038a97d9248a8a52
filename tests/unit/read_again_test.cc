// Connections are edge-triggered: a socket raises one event when bytes
// arrive, however many are waiting. A read that fills the loop's read buffer
// may leave bytes behind with no further event to come, so the loop must
// read that connection again by itself (EventLoop::read_again_in_loop). Here
// the bytes are all waiting before the loop reads once: the loop is held on
// a posted task while the client writes several read buffers' worth, and
// nothing more is sent after.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "ops/config.h"
#include "protocol/wire.h"
#include "server/builtin_handlers.h"
#include "server/server.h"
#include "test_client.h"

namespace citadel {
namespace {

using namespace std::chrono_literals;
using test::TestClient;

TEST(ReadAgain, BytesLeftAfterAFullReadAreReadWithoutAnotherEvent) {
  ops::Config config;
  config.server.host = "127.0.0.1";
  config.server.port = 0;
  config.server.threads = 1;
  config.limits.login_timeout_ms = 0;
  config.limits.output_queue_bytes = 64u << 20;
  config.log.level = "warn";
  server::Server server(config);
  server::register_builtin_handlers(server.router());
  server.start();

  TestClient c;
  ASSERT_TRUE(c.connect(server.port(), 5s));
  ASSERT_TRUE(c.send_frame(protocol::cmd::kPing, "first"));  // the connection is adopted
  ASSERT_EQ(c.read_frame().status, test::ReadStatus::kFrame);

  // Hold the only loop while 4 read buffers' worth of pings wait in its socket.
  std::promise<void> held;
  std::promise<void> release;
  server.service_loop().post([&] {
    held.set_value();
    release.get_future().wait();
  });
  held.get_future().wait();
  constexpr int kPings = 4 * 64 * 1024 / 64;  // 64-byte frames: 8 of header, 56 of payload
  const std::string payload(56, 'p');
  std::vector<uint8_t> batch;
  for (int i = 0; i < kPings; ++i) {
    const auto f = test::encode_frame(protocol::cmd::kPing, payload);
    batch.insert(batch.end(), f.begin(), f.end());
  }
  ASSERT_GT(batch.size(), 3u * 64 * 1024);
  ASSERT_TRUE(c.send_raw(batch));
  release.set_value();

  for (int i = 0; i < kPings; ++i) {
    const auto r = c.read_frame();
    ASSERT_EQ(r.status, test::ReadStatus::kFrame) << "pong #" << i << " of " << kPings;
    ASSERT_EQ(r.frame.cmd, protocol::cmd::kPong);
  }
  EXPECT_GE(server.stats().read_calls, 4u) << "more than one read of 64 KiB";
  server.stop();
}

}  // namespace
}  // namespace citadel
