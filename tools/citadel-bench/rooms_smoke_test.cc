// Black box: the real `citadel-bench arena`, `arena --join-storm` and
// `lockstep` against the real `citadel` for a second or two each, with a
// few players, and what their JSON lines say. The server runs in its own
// temp directory (SQLite file, token secret) with the admin port off.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_runner.h"
#include "server_process.h"

namespace citadel::bench {
namespace {

using citadel::test::ServerOptions;
using citadel::test::ServerProcess;

BenchRun run_bench(const std::vector<std::string>& args) {
  return citadel::bench::run_bench(args, 60);
}

class BenchRoomsSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.extra_args = {"--admin-port", "0", "--threads", "1"};
    o.config_yaml = "limits:\n  max_connections_per_ip: 0\n";
    server_ = std::make_unique<ServerProcess>(o);
    std::string why;
    ASSERT_TRUE(server_->start(&why)) << why;
    port_ = std::to_string(server_->port());
  }

  std::unique_ptr<ServerProcess> server_;
  std::string port_;
};

TEST_F(BenchRoomsSmoke, ArenaPlayersGetTheirInputsAcked) {
  // 20 players: two rooms (16 + 4).
  const std::string window_file = ::testing::TempDir() + "arena-window.txt";
  std::remove(window_file.c_str());
  const BenchRun r = run_bench({"arena", "--port", port_, "--players", "20", "--warmup", "0.3",
                                "--duration", "1.5", "--server-pid", std::to_string(server_->pid()),
                                "--window-file", window_file, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.json;
  EXPECT_TRUE(has(r.json, R"("scenario":"arena")")) << r.json;
  EXPECT_TRUE(has(r.json, R"("joined":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("joins_refused":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("disconnects":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("rooms":2,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("tick_hz":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("errors":0,)")) << r.json;
  EXPECT_FALSE(has(r.json, R"("acks":0,)")) << r.json;  // inputs were acked
  EXPECT_FALSE(has(r.json, R"("server_cpu_s":null)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("tick_gaps":0,)")) << r.json;  // every tick reached every player
  // The window as Unix seconds: "<start> <end>", 1.5 s apart.
  std::ifstream in(window_file);
  double start = 0, end = 0;
  ASSERT_TRUE(in >> start >> end) << window_file;
  EXPECT_GT(start, 1.7e9);
  EXPECT_NEAR(end - start, 1.5, 0.01);
}

// --input-step-us: inputs wait for the step's wake-up and go out together,
// so they lag their due times by up to a step (here 10 ms, the worker's
// idle wake-up, which is shorter than the 20 ms step; without a step they
// leave within a millisecond), and every one is still sent and acked.
TEST_F(BenchRoomsSmoke, InputStepSendsDueInputsTogether) {
  const BenchRun r = run_bench({"arena", "--port", port_, "--players", "8", "--warmup", "0.3",
                                "--duration", "1.5", "--input-step-us", "20000", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.json;
  EXPECT_TRUE(has(r.json, R"("input_step_us":20000,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("errors":0,)")) << r.json;
  EXPECT_FALSE(has(r.json, R"("acks":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("input_hz":20.0,)")) << r.json;
  const double lag_p99_us = json_number(r.json, "input_lag_p99_us");
  EXPECT_GT(lag_p99_us, 5000) << r.json;
  EXPECT_LT(lag_p99_us, 20000 + 100000) << r.json;  // a step, with room for a loaded CI machine
}

TEST_F(BenchRoomsSmoke, AlsoPortSpreadsPlayersOverTwoServers) {
  // A second server; 8 players round robin over both (4 each; the exact
  // split is checked in BenchScenarioSmoke.AlsoPortTakesTheServersInTurn):
  // all play on both. --also-pid reads the second server's CPU over the
  // same window.
  ServerOptions o;
  o.extra_args = {"--admin-port", "0", "--threads", "1"};
  o.config_yaml = "limits:\n  max_connections_per_ip: 0\n";
  ServerProcess second(o);
  std::string why;
  ASSERT_TRUE(second.start(&why)) << why;
  const BenchRun r = run_bench({"arena", "--port", port_, "--also-port",
                                std::to_string(second.port()), "--players", "8", "--warmup", "0.3",
                                "--duration", "1", "--server-pid", std::to_string(server_->pid()),
                                "--also-pid", std::to_string(second.pid()), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.json;
  EXPECT_TRUE(has(r.json, R"("joined":8,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("in_room_at_end":8,)")) << r.json;
  EXPECT_FALSE(has(r.json, R"("acks":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("errors":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("also_cpu_s":[)")) << r.json;
  EXPECT_FALSE(has(r.json, R"("also_cpu_s":[null])")) << r.json;
  // Over WebSocket the Host header names one port: refused, not half-done.
  const BenchRun ws =
      run_bench({"arena", "--port", port_, "--also-port", std::to_string(second.port()),
                 "--transport", "ws", "--players", "2", "--duration", "0.1", "--quiet"});
  EXPECT_EQ(ws.exit_code, 1);
}

TEST_F(BenchRoomsSmoke, DroppedPlayersResumeIntoTheirRooms) {
  // The bench drops every connection 0.3 s into the window; each player
  // reconnects, resumes with its token (within the session grace), gets
  // RoomEvent Rejoined and a snapshot, and plays on.
  const BenchRun r = run_bench({"arena", "--port", port_, "--players", "20", "--warmup", "0.2",
                                "--duration", "1.5", "--resume", "--drop-after", "0.3", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.json;
  EXPECT_TRUE(has(r.json, R"("disconnects":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("drops":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("resumes_ok":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("rejoined":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("resumed":20,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("resume_lost":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("in_room_at_end":20,)")) << r.json;
  EXPECT_FALSE(has(r.json, R"("gap_max_us":0.0,)")) << r.json;  // every gap was timed
}

TEST_F(BenchRoomsSmoke, JoinStormGetsEveryoneIn) {
  const BenchRun r =
      run_bench({"arena", "--join-storm", "--port", port_, "--players", "30", "--join-window",
                 "0.3", "--warmup", "0", "--duration", "0.5", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.json;
  EXPECT_TRUE(has(r.json, R"("join_storm":true)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("joins_sent":30,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("joined":30,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("join_timeouts":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("errors":0,)")) << r.json;
}

TEST_F(BenchRoomsSmoke, LockstepFramesArriveWithoutGaps) {
  // 16 players: two full rooms of 8.
  const BenchRun r = run_bench({"lockstep", "--port", port_, "--players", "16", "--warmup", "0.3",
                                "--duration", "1.5", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.json;
  EXPECT_TRUE(has(r.json, R"("scenario":"lockstep")")) << r.json;
  EXPECT_TRUE(has(r.json, R"("joined":16,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("rooms":2,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("tick_hz":30,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("frame_gaps":0,)")) << r.json;
  EXPECT_TRUE(has(r.json, R"("errors":0,)")) << r.json;
  EXPECT_FALSE(has(r.json, R"("inputs_framed":0,)")) << r.json;
}

}  // namespace
}  // namespace citadel::bench
