// The harness itself: a real redis-server answers, forgets everything on a
// restart (no persistence), and comes back on the same port.
#include "redis/redis_server.h"

#include <gtest/gtest.h>

namespace citadel::test {
namespace {

TEST(RedisServerTest, AnswersAndRestartsEmptyOnTheSamePort) {
  RedisServer server;
  ASSERT_TRUE(server.running());
  EXPECT_EQ(server.command({"PING"}), "PONG");
  EXPECT_EQ(server.command({"SET", "k", "v"}), "OK");
  EXPECT_EQ(server.command({"GET", "k"}), "v");
  EXPECT_EQ(server.command({"GET", "k"}, 1), "(nil)");  // another database
  const uint16_t port = server.port();
  server.stop();
  EXPECT_FALSE(server.running());
  EXPECT_THROW(server.command({"PING"}), std::runtime_error);
  server.start();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.command({"GET", "k"}), "(nil)");
  EXPECT_EQ(server.url(2), "redis://127.0.0.1:" + std::to_string(port) + "/2");
}

TEST(RedisServerTest, SharedServerFlushes) {
  RedisServer& shared = RedisServer::shared();
  shared.command({"SET", "x", "1"});
  shared.flush_all();
  EXPECT_EQ(shared.command({"EXISTS", "x"}), "0");
}

}  // namespace
}  // namespace citadel::test
