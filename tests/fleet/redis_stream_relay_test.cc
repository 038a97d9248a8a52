// Messages between nodes through one Redis stream (src/fleet/relay),
// against a real redis-server (tests/support/redis): another node's
// messages arrive in order and byte for byte, a node's own are skipped,
// what was appended before a node started is not replayed, nothing is
// lost across empty blocks, malformed entries are skipped and counted, and
// with Redis away publishing fails clearly and reading resumes when it is
// back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fleet/relay/redis_stream_relay.h"
#include "redis/redis_server.h"
#include "redis_test_loop.h"

namespace citadel::fleet::relay {
namespace {

using test::RedisServer;
using test::TestLoop;
using namespace std::chrono_literals;

struct Received {
  std::string origin, topic, payload;
  bool operator==(const Received&) const = default;
};

// One node: its two connections and its relay, on the test's loop.
struct Node {
  Node(TestLoop& loop, const RedisServer& server, std::string id,
       std::chrono::milliseconds block = 1000ms)
      : writer(loop.get(), *redis::parse_redis_url(server.url())),
        reader(loop.get(), *redis::parse_redis_url(server.url())),
        relay(writer, reader, options(std::move(id), block),
              [this](std::string_view o, std::string_view t, std::string_view p) {
                received.push_back({std::string(o), std::string(t), std::string(p)});
              }) {}

  static RedisStreamRelay::Options options(std::string id, std::chrono::milliseconds block) {
    RedisStreamRelay::Options o;
    o.stream_key = "t:relay";
    o.origin = std::move(id);
    o.block = block;
    o.retry_delay = 20ms;
    return o;
  }

  redis::RedisClient writer;
  redis::RedisClient reader;
  RedisStreamRelay relay;
  std::vector<Received> received;
};

class RelayTest : public ::testing::Test {
 protected:
  RelayTest() { RedisServer::shared().flush_all(); }
  // Started, and past its XREVRANGE: reading from a concrete entry.
  void start(Node& n) {
    ASSERT_TRUE(loop_.run_until([&] { return n.reader.connected() && n.writer.connected(); }));
    n.relay.start();
    ASSERT_TRUE(loop_.run_until([&] { return !n.relay.last_id().empty(); }));
  }
  TestLoop loop_;
};

TEST_F(RelayTest, AnotherNodesMessagesArriveInOrderAndAnOwnAreSkipped) {
  Node a(loop_, RedisServer::shared(), "node-a");
  Node b(loop_, RedisServer::shared(), "node-b");
  start(a);
  start(b);
  std::vector<Received> sent;
  for (int i = 0; i < 200; ++i) {
    std::string payload = "msg " + std::to_string(i) + std::string("\0\xff", 2);
    std::string topic = i % 2 ? "chat" : "presence";
    a.relay.publish(topic, payload);
    sent.push_back({"node-a", topic, payload});
  }
  ASSERT_TRUE(loop_.run_until([&] { return b.received.size() == sent.size(); }))
      << b.received.size();
  EXPECT_EQ(b.received, sent);
  ASSERT_TRUE(loop_.run_until([&] { return a.relay.counters().own_skipped == sent.size(); }));
  EXPECT_TRUE(a.received.empty());
  EXPECT_EQ(a.relay.counters().published, sent.size());
  EXPECT_EQ(b.relay.counters().received, sent.size());
}

TEST_F(RelayTest, WhatCameBeforeANodeStartedIsNotReplayedAndEmptyBlocksLoseNothing) {
  Node a(loop_, RedisServer::shared(), "node-a");
  ASSERT_TRUE(loop_.run_until([&] { return a.writer.connected(); }));
  bool done = false;
  a.relay.publish("chat", "before", [&](std::string_view e) { done = e.empty(); });
  ASSERT_TRUE(loop_.run_until([&] { return done; }));

  Node b(loop_, RedisServer::shared(), "node-b", 20ms);
  start(b);
  // Several blocks run out empty; a message after them still arrives.
  ASSERT_TRUE(loop_.run_until([&] { return b.relay.counters().empty_reads >= 3; }));
  a.relay.publish("chat", "after");
  ASSERT_TRUE(loop_.run_until([&] { return !b.received.empty(); }));
  ASSERT_EQ(b.received.size(), 1u);
  EXPECT_EQ(b.received[0].payload, "after");
}

TEST_F(RelayTest, MalformedEntriesAreSkippedAndCounted) {
  Node b(loop_, RedisServer::shared(), "node-b");
  start(b);
  RedisServer::shared().command({"XADD", "t:relay", "*", "o", "node-x", "t", "chat"});  // no p
  RedisServer::shared().command({"XADD", "t:relay", "*", "junk", "1"});
  RedisServer::shared().command({"XADD", "t:relay", "*", "o", "node-x", "t", "chat", "p", "ok"});
  ASSERT_TRUE(loop_.run_until([&] { return !b.received.empty(); }));
  EXPECT_EQ(b.received, (std::vector<Received>{{"node-x", "chat", "ok"}}));
  EXPECT_EQ(b.relay.counters().malformed, 2u);
}

// Its own Redis: this one is stopped and started.
TEST(RelayOutageTest, PublishingFailsClearlyAndReadingResumesWhenRedisIsBack) {
  RedisServer server;
  TestLoop loop;
  Node a(loop, server, "node-a");
  Node b(loop, server, "node-b", 50ms);
  ASSERT_TRUE(loop.run_until([&] { return b.reader.connected() && a.writer.connected(); }));
  b.relay.start();
  ASSERT_TRUE(loop.run_until([&] { return !b.relay.last_id().empty(); }));

  server.stop();
  std::string error;
  bool answered = false;
  a.relay.publish("chat", "lost", [&](std::string_view e) {
    error = std::string(e);
    answered = true;
  });
  ASSERT_TRUE(loop.run_until([&] { return answered; }));
  EXPECT_NE(error.find("redis"), std::string::npos) << error;
  EXPECT_EQ(a.relay.counters().publish_failures, 1u);
  ASSERT_TRUE(loop.run_until([&] { return b.relay.counters().read_failures > 0; }));

  server.start();
  ASSERT_TRUE(loop.run_until([&] { return a.writer.connected() && b.reader.connected(); }, 10s));
  a.relay.publish("chat", "back");
  ASSERT_TRUE(loop.run_until([&] { return !b.received.empty(); }, 10s));
  EXPECT_EQ(b.received.back().payload, "back");
}

}  // namespace
}  // namespace citadel::fleet::relay
