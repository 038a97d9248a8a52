// The Redis client on our event loop, against a real redis-server: the URL,
// pipelining and order, the database, and what happens while Redis is away
// (requests fail at once with a clear error, the client reconnects).
#include "redis/redis_client.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "redis/redis_server.h"
#include "redis_test_loop.h"

namespace citadel::redis {
namespace {

using test::RedisServer;
using test::TestLoop;
using namespace std::chrono_literals;

TEST(RedisUrlTest, ParsesAndRefuses) {
  auto url = parse_redis_url("redis://127.0.0.1:7000/3");
  ASSERT_TRUE(url);
  EXPECT_EQ(*url, (RedisUrl{"127.0.0.1", 7000, 3, "", ""}));
  EXPECT_EQ(*parse_redis_url("redis://cache.internal"),
            (RedisUrl{"cache.internal", 6379, 0, "", ""}));
  EXPECT_EQ(*parse_redis_url("redis://h:1/"), (RedisUrl{"h", 1, 0, "", ""}));
  std::string why;
  for (const char* bad :
       {"", "http://h:1", "redis://", "redis://:1", "redis://h:0", "redis://h:65536", "redis://h:x",
        "redis://h:1/16", "redis://h:1/a", "redis://user@h:1", "redis://h:1/0?x=1"}) {
    EXPECT_FALSE(parse_redis_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

TEST(RedisUrlTest, PasswordsAndAclUsersArePercentDecoded) {
  RedisUrl url = *parse_redis_url("redis://:s3cret@127.0.0.1:7000/3");
  EXPECT_EQ(url, (RedisUrl{"127.0.0.1", 7000, 3, "", "s3cret"}));
  EXPECT_EQ(*parse_redis_url("redis://alice:p%40ss%3Aw%2Fd%25@cache"),
            (RedisUrl{"cache", 6379, 0, "alice", "p@ss:w/d%"}));
  // An '@' left unescaped in the password: the last '@' ends the user info.
  EXPECT_EQ(*parse_redis_url("redis://u:p@ss@h:1"), (RedisUrl{"h", 1, 0, "u", "p@ss"}));
  std::string why;
  for (const char* bad :
       {"redis://:@h", "redis://u:@h", "redis://u:%zz@h", "redis://u:pw%4@h", "redis://hunter2@h:1",
        "redis://:hunter2@", "redis://:hunter2@h:0", "redis://u:hunter2@h:1/99"}) {
    why.clear();
    EXPECT_FALSE(parse_redis_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
    EXPECT_EQ(why.find("hunter2"), std::string::npos) << "the error shows the password: " << why;
  }
}

TEST(RedisUrlTest, TlsIsRefusedWithWhyAndWhereToRead) {
  std::string why;
  EXPECT_FALSE(parse_redis_url("rediss://:pw@cache.example:6380", &why));
  EXPECT_NE(why.find("TLS"), std::string::npos) << why;
  EXPECT_NE(why.find("hiredis"), std::string::npos) << why;
  EXPECT_NE(why.find("docs/operations.md"), std::string::npos) << why;
}

TEST(RedisUrlTest, RedactedHidesOnlyThePassword) {
  EXPECT_EQ(redacted_redis_url("redis://alice:hunter2@h:1/2"), "redis://alice:***@h:1/2");
  EXPECT_EQ(redacted_redis_url("redis://:hunter2@h"), "redis://:***@h");
  EXPECT_EQ(redacted_redis_url("redis://hunter2@h"), "redis://:***@h");
  EXPECT_EQ(redacted_redis_url("rediss://u:p@ss@h"), "rediss://u:***@h");
  EXPECT_EQ(redacted_redis_url("redis://h:1/2"), "redis://h:1/2");
  EXPECT_EQ(redacted_redis_url("not a url"), "not a url");
}

RedisUrl url_of(const RedisServer& server, int db = 0) {
  return *parse_redis_url(server.url(db));
}

std::string text(const RedisResult& r) {
  if (!r.ok()) return "error: " + std::string(r.error_text());
  if (r.reply->type == REDIS_REPLY_INTEGER) return std::to_string(r.reply->integer);
  if (r.reply->type == REDIS_REPLY_NIL) return "(nil)";
  return std::string(r.reply->str, r.reply->len);
}

TEST(RedisClientTest, PipelinesInOrderAndSelectsTheDatabase) {
  RedisServer& server = RedisServer::shared();
  server.flush_all();
  TestLoop loop;
  RedisClient client(loop.get(), url_of(server, 2));
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  // A thousand commands in one turn: one pipeline, replies in order.
  std::vector<std::string> replies;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    const std::string_view args[] = {"INCR", "counter"};
    client.command(args, [&replies](const RedisResult& r) { replies.push_back(text(r)); });
  }
  EXPECT_EQ(client.in_flight(), 1000u);
  ASSERT_TRUE(loop.run_until([&] { return replies.size() == 1000; }));
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(replies[i], std::to_string(i + 1));
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(server.command({"GET", "counter"}, 2), "1000");
  EXPECT_EQ(server.command({"EXISTS", "counter"}, 0), "0");
  // Binary-safe arguments, and an error reply is an error.
  std::string got;
  const std::string binary("a\0b\r\n", 5);
  const std::string_view set[] = {"SET", "bin", binary};
  client.command(set, [](const RedisResult&) {});
  const std::string_view get[] = {"GET", "bin"};
  client.command(get, [&](const RedisResult& r) { got = text(r); });
  ASSERT_TRUE(loop.run_until([&] { return !got.empty(); }));
  EXPECT_EQ(got, binary);
  got.clear();
  const std::string_view wrong[] = {"INCR", "bin"};
  client.command(wrong, [&](const RedisResult& r) {
    EXPECT_FALSE(r.ok());
    got = text(r);
  });
  ASSERT_TRUE(loop.run_until([&] { return !got.empty(); }));
  EXPECT_NE(got.find("ERR"), std::string::npos) << got;
}

TEST(RedisClientTest, RefusesBeforeConnectedAndBeyondTheInFlightCap) {
  RedisServer& server = RedisServer::shared();
  TestLoop loop;
  RedisClient::Options options;
  options.max_in_flight = 2;
  RedisClient client(loop.get(), url_of(server), options);
  std::string early;
  const std::string_view ping[] = {"PING"};
  client.command(ping, [&](const RedisResult& r) { early = text(r); });
  EXPECT_EQ(early, "error: redis: not connected");  // at once, not queued
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  std::vector<std::string> replies;
  for (int i = 0; i < 3; ++i) {
    client.command(ping, [&](const RedisResult& r) { replies.push_back(text(r)); });
  }
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0], "error: redis: too many requests in flight");
  ASSERT_TRUE(loop.run_until([&] { return replies.size() == 3; }));
  EXPECT_EQ(replies[1], "PONG");
  EXPECT_EQ(replies[2], "PONG");
}

TEST(RedisClientTest, FailsClearlyWhileRedisIsAwayAndReconnects) {
  RedisServer server;  // its own: this test stops it
  TestLoop loop;
  RedisClient::Options options;
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisClient client(loop.get(), url_of(server), options);
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  EXPECT_EQ(client.connections(), 1u);
  // In flight when Redis goes: the request fails (it may also have been answered first).
  std::vector<std::string> replies;
  const std::string_view block[] = {"BLPOP", "never", "0"};  // waits forever
  client.command(block, [&](const RedisResult& r) { replies.push_back(text(r)); });
  loop.run_until([] { return false; }, 50ms);
  server.stop();
  ASSERT_TRUE(loop.run_until([&] { return replies.size() == 1; }));
  EXPECT_EQ(replies[0], "error: redis: connection lost");
  EXPECT_FALSE(client.connected());
  // While it is away: at once, every time, nothing queued.
  for (int i = 0; i < 100; ++i) {
    const std::string_view ping[] = {"PING"};
    client.command(ping, [&](const RedisResult& r) { replies.push_back(text(r)); });
  }
  ASSERT_EQ(replies.size(), 101u);
  EXPECT_EQ(replies[100], "error: redis: not connected");
  EXPECT_EQ(client.in_flight(), 0u);
  loop.run_until([] { return false; }, 300ms);  // several failed attempts
  EXPECT_FALSE(client.connected());
  server.start();
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  EXPECT_EQ(client.connections(), 2u);
  std::string after;
  const std::string_view ping[] = {"PING"};
  client.command(ping, [&](const RedisResult& r) { after = text(r); });
  ASSERT_TRUE(loop.run_until([&] { return !after.empty(); }));
  EXPECT_EQ(after, "PONG");
}

TEST(RedisClientTest, DestroyingCompletesWhatIsInFlight) {
  RedisServer& server = RedisServer::shared();
  TestLoop loop;
  std::string result;
  {
    RedisClient client(loop.get(), url_of(server));
    ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
    const std::string_view block[] = {"BLPOP", "never-either", "0"};
    client.command(block, [&](const RedisResult& r) { result = text(r); });
    loop.run_until([] { return false; }, 20ms);
  }
  EXPECT_EQ(result, "error: redis: client closed");
  loop.run_until([] { return false; }, 50ms);  // no timer of the client's fires on a dead one
}

// With a password: AUTH first on every connection, the reconnect included.
TEST(RedisClientTest, AuthenticatesWithAPasswordOnEveryConnection) {
  RedisServer server({{"--requirepass", "s3cret:@/pw"}, "", "s3cret:@/pw"});
  TestLoop loop;
  RedisClient::Options options;
  options.reconnect_min = 20ms;
  options.reconnect_max = 100ms;
  RedisUrl url = url_of(server, 2);
  url.password = "s3cret:@/pw";
  RedisClient client(loop.get(), url, options);
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  std::string reply;
  const std::string_view set[] = {"SET", "k", "v"};
  client.command(set, [&](const RedisResult& r) { reply = text(r); });
  ASSERT_TRUE(loop.run_until([&] { return !reply.empty(); }));
  EXPECT_EQ(reply, "OK");
  EXPECT_EQ(server.command({"GET", "k"}, 2), "v") << "SELECT ran after AUTH";
  server.stop();
  ASSERT_TRUE(loop.run_until([&] { return !client.connected(); }));
  server.start();
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  reply.clear();
  const std::string_view ping[] = {"PING"};
  client.command(ping, [&](const RedisResult& r) { reply = text(r); });
  ASSERT_TRUE(loop.run_until([&] { return !reply.empty(); }));
  EXPECT_EQ(reply, "PONG") << "authenticated again after the reconnect";
  EXPECT_EQ(client.stats().connections.load(), 2u);
  EXPECT_EQ(client.stats().auth_failures.load(), 0u);
  EXPECT_TRUE(client.stats().connected.load());
}

TEST(RedisClientTest, AuthenticatesAsAnAclUser) {
  RedisServer server(
      {{"--user", "alice", "on", ">al1ce-pw", "~*", "&*", "+@all", "--user", "default", "off"},
       "alice",
       "al1ce-pw"});
  TestLoop loop;
  RedisUrl url =
      *parse_redis_url("redis://alice:al1ce-pw@127.0.0.1:" + std::to_string(server.port()));
  RedisClient client(loop.get(), url);
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  std::string reply;
  const std::string_view whoami[] = {"ACL", "WHOAMI"};
  client.command(whoami, [&](const RedisResult& r) { reply = text(r); });
  ASSERT_TRUE(loop.run_until([&] { return !reply.empty(); }));
  EXPECT_EQ(reply, "alice");
}

// A refused AUTH: never connected, requests refused at once, retried with
// the backoff (counted), and up by itself once the password is right.
TEST(RedisClientTest, WrongPasswordIsRefusedCountedAndRetried) {
  RedisServer server({{"--requirepass", "right"}, "", "right"});
  TestLoop loop;
  RedisClient::Options options;
  options.reconnect_min = 10ms;
  options.reconnect_max = 40ms;
  RedisUrl url = url_of(server);
  url.password = "wrong";
  RedisClient client(loop.get(), url, options);
  ASSERT_TRUE(loop.run_until([&] { return client.stats().auth_failures.load() >= 3; }));
  EXPECT_FALSE(client.connected());
  EXPECT_FALSE(client.stats().connected.load());
  EXPECT_GE(client.stats().connect_failures.load(), 3u);
  EXPECT_EQ(client.stats().connections.load(), 0u);
  std::string reply;
  const std::string_view ping[] = {"PING"};
  client.command(ping, [&](const RedisResult& r) { reply = text(r); });
  EXPECT_EQ(reply, "error: redis: not connected");
  // The operator fixes the server's side: the next attempt gets in.
  server.command({"CONFIG", "SET", "requirepass", "wrong"});
  ASSERT_TRUE(loop.run_until([&] { return client.connected(); }));
  EXPECT_EQ(client.stats().connections.load(), 1u);
}

TEST(RedisClientTest, NoServerNeverHangs) {
  TestLoop loop;
  RedisUrl nowhere{"127.0.0.1", 1, 0, "", ""};  // nothing listens on port 1
  RedisClient::Options options;
  options.reconnect_min = 10ms;
  options.reconnect_max = 20ms;
  RedisClient client(loop.get(), nowhere, options);
  loop.run_until([] { return false; }, 100ms);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.connections(), 0u);
  std::string result;
  const std::string_view ping[] = {"PING"};
  client.command(ping, [&](const RedisResult& r) { result = text(r); });
  EXPECT_EQ(result, "error: redis: not connected");
}

}  // namespace
}  // namespace citadel::redis
