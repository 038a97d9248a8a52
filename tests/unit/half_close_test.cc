// A peer that half-closes (sends FIN) while the server still holds output
// for it that it is not reading. Found by the app fuzz target: the peer's end
// of file stays readable, so level-triggered epoll reported it on every turn
// and the loop spun (one recv per turn, 100% of a core) until the linger
// deadline closed the connection.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ops/config.h"
#include "protocol/wire.h"
#include "server/builtin_handlers.h"
#include "server/server.h"
#include "test_client.h"

namespace citadel {
namespace {

using namespace std::chrono_literals;
using test::ReadStatus;
using test::TestClient;

TEST(HalfClose, APeerThatHalfClosesWithOutputPendingDoesNotMakeItsLoopSpin) {
  ops::Config config;
  config.server.host = "127.0.0.1";
  config.server.port = 0;
  config.server.threads = 1;
  config.limits.login_timeout_ms = 0;
  config.limits.output_queue_bytes = 64u << 20;  // all the echoes fit in the queue
  config.log.level = "warn";
  server::Server server(config);
  server::register_builtin_handlers(server.router());
  server.start();

  // 8 MiB of ECHO to a client with a 4 KiB receive buffer: most of it stays
  // queued on the server.
  TestClient c;
  ASSERT_TRUE(c.connect(server.port(), 5s, 4096));
  const std::string payload(64 * 1024 - 16, 'e');
  constexpr int kEchoes = 128;
  for (int i = 0; i < kEchoes; ++i) ASSERT_TRUE(c.send_frame(protocol::cmd::kEcho, payload));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.stats().frames_in < kEchoes && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(server.stats().frames_in, uint64_t{kEchoes});
  ASSERT_EQ(::shutdown(c.fd(), SHUT_WR), 0);

  // Over 300 ms, the loop reads the FIN once, not once a turn.
  std::this_thread::sleep_for(50ms);
  const uint64_t reads_before = server.stats().read_calls;
  std::this_thread::sleep_for(300ms);
  const auto stats = server.stats();
  EXPECT_GT(stats.output_queue_bytes, 0u) << "the output was written: the test proves nothing";
  EXPECT_LT(stats.read_calls - reads_before, 10u);

  // And the client still gets every echo, then the close (within the linger).
  std::vector<test::Frame> frames;
  EXPECT_TRUE(c.wait_closed(5s, &frames));
  EXPECT_EQ(frames.size(), std::size_t{kEchoes});
  server.stop();
}

}  // namespace
}  // namespace citadel
