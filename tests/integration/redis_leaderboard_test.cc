// Black box: the citadel binary with redis.url pointing at a real
// redis-server (started by this test on a free loopback port). A client logs
// in as a guest, submits and reads a board over the wire; the records are in
// Redis; while Redis is away a submit is answered ServerBusy at once, and
// once it is back (its own snapshot reloaded) the board works again. With a
// password in redis.url the server authenticates, and the password shows
// in neither its output nor GET /config; a wrong one shows in /metrics.
#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "admin_process.h"
#include "fixture.h"
#include "http_client.h"
#include "protocol/auth_generated.h"
#include "protocol/commands.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/verified_payload.h"
#include "redis/redis_server.h"
#include "tool_checks.h"

namespace citadel::test {
namespace {

namespace cmd = protocol::cmd;

Bytes finish(flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// The next frame of type `want` (others, such as pushes, are skipped).
Frame next_of(TestClient& c, uint16_t want) {
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    const ReadResult r = c.read_frame(10s);
    if (r.status != ReadStatus::kFrame) break;
    if (r.frame.cmd == want) return r.frame;
  }
  ADD_FAILURE() << "no frame " << want;
  return {};
}

uint64_t guest_login(TestClient& c, const std::string& device) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateGuestLogin(fbb, 1, fbb.CreateString(device)));
  EXPECT_TRUE(c.send_frame(cmd::kGuestLogin, finish(fbb)));
  const Frame f = next_of(c, cmd::kAuthReply);
  const auto* m = protocol::verified_root<msg::AuthReply>(f.payload);
  EXPECT_TRUE(m != nullptr && m->result() == msg::AuthResult::Ok);
  return m != nullptr ? m->user_id() : 0;
}

struct Reply {
  msg::LeaderboardResult result = msg::LeaderboardResult::InternalError;
  std::string message;
  std::vector<std::pair<uint64_t, int64_t>> records;  // user, score
  uint64_t total = 0;
};

Reply read_reply(TestClient& c) {
  const Frame f = next_of(c, cmd::kLeaderboardReply);
  const auto* m = protocol::verified_root<msg::LeaderboardReply>(f.payload);
  Reply out;
  if (m == nullptr) return out;
  out.result = m->result();
  if (m->message()) out.message = m->message()->str();
  if (m->records()) {
    for (const auto* r : *m->records()) out.records.emplace_back(r->user_id(), r->score());
  }
  out.total = m->total();
  return out;
}

Reply submit(TestClient& c, int64_t score) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateLeaderboardSubmit(fbb, 7, fbb.CreateString("wire"), score, 0));
  EXPECT_TRUE(c.send_frame(cmd::kLeaderboardSubmit, finish(fbb)));
  return read_reply(c);
}

Reply top(TestClient& c) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateLeaderboardTop(fbb, 8, fbb.CreateString("wire"), 10));
  EXPECT_TRUE(c.send_frame(cmd::kLeaderboardTop, finish(fbb)));
  return read_reply(c);
}

TEST(RedisLeaderboardWireTest, SubmitAndReadThroughRedisAndSurviveAnOutage) {
  RedisServer redis;
  ServerOptions options;
  options.config_yaml = "redis:\n  url: " + redis.url(3) +
                        "\n"
                        "leaderboards:\n"
                        "  submits_per_second: 1000\n"
                        "  submit_burst: 1000\n"
                        "  boards:\n"
                        "    - {id: wire, sort: desc, operator: incr}\n";
  ServerProcess server(options);
  std::string why;
  ASSERT_TRUE(server.start(&why)) << why;
  // The service creates the configured board once its connection is up.
  const auto deadline = Clock::now() + 10s;
  while (redis.command({"EXISTS", "lb:{wire}:meta"}, 3) != "1") {
    ASSERT_LT(Clock::now(), deadline) << server.output();
    std::this_thread::sleep_for(10ms);  // polling the server's start, bounded
  }
  TestClient a, b;
  ASSERT_TRUE(a.connect(server.port()));
  ASSERT_TRUE(b.connect(server.port()));
  const uint64_t ua = guest_login(a, "redis-wire-a");
  const uint64_t ub = guest_login(b, "redis-wire-b");
  Reply r = submit(a, 5);
  ASSERT_EQ(r.result, msg::LeaderboardResult::Ok) << r.message << "\n" << server.output();
  EXPECT_EQ(submit(b, 7).result, msg::LeaderboardResult::Ok);
  r = submit(a, 4);  // incr: 9
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].second, 9);
  r = top(b);
  ASSERT_EQ(r.result, msg::LeaderboardResult::Ok);
  EXPECT_EQ(r.records, (std::vector<std::pair<uint64_t, int64_t>>{{ua, 9}, {ub, 7}}));
  EXPECT_EQ(r.total, 2u);
  // In Redis (database 3), not in process.
  const std::string period = redis.command({"HGET", "lb:{wire}:meta", "cur_start"}, 3);
  EXPECT_EQ(redis.command({"ZCARD", "lb:{wire}:z:" + period}, 3), "2");

  redis.command({"SAVE"});
  redis.stop();
  r = submit(a, 1);
  EXPECT_EQ(r.result, msg::LeaderboardResult::ServerBusy) << r.message;
  EXPECT_NE(r.message.find("redis"), std::string::npos) << r.message;
  redis.start();
  const auto back = Clock::now() + 10s;
  for (;;) {
    r = submit(a, 1);
    if (r.result == msg::LeaderboardResult::Ok || Clock::now() >= back) break;
    std::this_thread::sleep_for(20ms);  // the reconnect's backoff, bounded
  }
  ASSERT_EQ(r.result, msg::LeaderboardResult::Ok) << r.message << "\n" << server.output();
  EXPECT_EQ(r.records.at(0).second, 10);  // 9 from before the outage, kept by Redis
  EXPECT_EQ(top(b).records.size(), 2u);
}

std::string config_with_password(const RedisServer& redis, std::string_view password) {
  return "redis:\n  url: redis://:" + std::string(password) +
         "@127.0.0.1:" + std::to_string(redis.port()) +
         "/2\n"
         "leaderboards:\n"
         "  boards:\n"
         "    - {id: wire, sort: desc, operator: incr}\n";
}

TEST(RedisLeaderboardWireTest, PasswordAuthenticatesAndStaysOutOfLogsAndConfig) {
  const std::string password = "hunter2-Secret";
  RedisServer redis({{"--requirepass", password}, "", password});
  AdminServerProcess server;
  std::string why;
  ASSERT_TRUE(start_with_admin({config_with_password(redis, password), {}}, server, &why)) << why;
  const auto deadline = Clock::now() + 10s;
  while (redis.command({"EXISTS", "lb:{wire}:meta"}, 2) != "1") {
    ASSERT_LT(Clock::now(), deadline) << server.server->output();
    std::this_thread::sleep_for(10ms);  // polling the server's start, bounded
  }
  TestClient a;
  ASSERT_TRUE(a.connect(server.server->port()));
  guest_login(a, "redis-auth-a");
  const Reply r = submit(a, 5);
  ASSERT_EQ(r.result, msg::LeaderboardResult::Ok) << r.message;
  const auto config = http_get(server.admin_port, "/config");
  ASSERT_TRUE(config);
  EXPECT_NE(config->body.find("redis.url"), std::string::npos) << config->body;
  EXPECT_EQ(config->body.find(password), std::string::npos) << config->body;
  const auto metrics = http_get(server.admin_port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metric(metrics->body, "citadel_redis_connected"), 1);
  EXPECT_EQ(metric(metrics->body, "citadel_redis_auth_failures_total"), 0);
  EXPECT_EQ(server.server->output().find(password), std::string::npos) << server.server->output();
  const auto promtool = find_tool("promtool");
  if (!promtool) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const ToolRun check = promtool_check_metrics(*promtool, metrics->body);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(check.output, "") << "promtool lint findings (the Redis families included)";
}

TEST(RedisLeaderboardWireTest, WrongPasswordIsServerBusyLoggedAndCounted) {
  RedisServer redis({{"--requirepass", "the-right-one"}, "", "the-right-one"});
  AdminServerProcess server;
  std::string why;
  ASSERT_TRUE(
      start_with_admin({config_with_password(redis, "not-the-Right-one"), {}}, server, &why))
      << why;
  const auto deadline = Clock::now() + 10s;
  double failures = 0;
  while ((failures = [&] {
           const auto m = http_get(server.admin_port, "/metrics");
           return m ? metric(m->body, "citadel_redis_auth_failures_total") : -1;
         }()) < 2) {
    ASSERT_LT(Clock::now(), deadline) << server.server->output();
    std::this_thread::sleep_for(20ms);  // polling the retries, bounded
  }
  const auto metrics = http_get(server.admin_port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metric(metrics->body, "citadel_redis_connected"), 0);
  TestClient a;
  ASSERT_TRUE(a.connect(server.server->port()));
  guest_login(a, "redis-auth-wrong");
  const Reply r = submit(a, 5);
  EXPECT_EQ(r.result, msg::LeaderboardResult::ServerBusy) << r.message;
  const std::string output = server.server->output();
  EXPECT_NE(output.find("refused AUTH"), std::string::npos) << output;
  EXPECT_EQ(output.find("not-the-Right-one"), std::string::npos) << output;
}

}  // namespace
}  // namespace citadel::test
