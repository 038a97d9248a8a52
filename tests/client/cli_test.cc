// citadel-cli as a script runner: commands on stdin, events on stdout, against
// the real server.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "child_process.h"
#include "cli_output.h"
#include "server_process.h"

namespace citadel::client {
namespace {

using namespace std::chrono_literals;
using citadel::test::ServerProcess;
using test::events;
using test::kCli;
using test::lines;
using test::number_field;
using test::run_program;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ASSERT_TRUE(server_.start(&why)) << why;
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  ServerProcess server_;
};

TEST_F(CliTest, ScriptedPingPrintsOneJsonLinePerEvent) {
  const auto r = run_program(kCli, {"--connect", target(), "--json"}, "ping\nquit\n", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;
  for (const std::string& l : lines(r.out)) {
    ASSERT_FALSE(l.empty());
    EXPECT_EQ(l.front(), '{') << l;
    EXPECT_EQ(l.back(), '}') << l;
  }
  ASSERT_EQ(events(r.out, "connected").size(), 1u) << r.out;
  const auto pongs = events(r.out, "pong");
  ASSERT_EQ(pongs.size(), 1u) << r.out;
  EXPECT_GT(number_field(pongs[0], "rtt_us"), 0) << pongs[0];
  EXPECT_EQ(number_field(pongs[0], "len"), 0) << pongs[0];
  // The connected line comes before the pong.
  EXPECT_LT(r.out.find("\"event\":\"connected\""), r.out.find("\"event\":\"pong\""));
}

TEST_F(CliTest, EveryCommandOfTheScriptAndEndOfInputExitsZero) {
  const std::string script =
      "# a comment\n"
      "ping hello\n"
      "echo some text\n"
      "send 0x0003 6869\n"  // ECHO, raw: the reply is a frame event
      "send 0x7FFF\n"       // nobody handles it: ERROR 3
      "send 0x0003 xyz\n"   // bad payload: failed locally
      "login\n"             // no user: failed locally, with the usage
      "watch off\n"
      "bogus\n"
      "close\n"
      "ping after close\n";  // no quit: end of input ends the session
  const auto r = run_program(kCli, {"--connect", target(), "--json"}, script, 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;

  const auto pongs = events(r.out, "pong");
  ASSERT_EQ(pongs.size(), 1u) << r.out;
  EXPECT_NE(pongs[0].find("\"text\":\"hello\""), std::string::npos) << pongs[0];
  const auto echoes = events(r.out, "echo");
  ASSERT_EQ(echoes.size(), 1u) << r.out;
  EXPECT_NE(echoes[0].find("\"text\":\"some text\""), std::string::npos) << echoes[0];
  const auto frames = events(r.out, "frame");
  ASSERT_EQ(frames.size(), 1u) << r.out;
  EXPECT_EQ(number_field(frames[0], "cmd"), 3);
  EXPECT_NE(frames[0].find("\"hex\":\"6869\""), std::string::npos) << frames[0];
  const auto errors = events(r.out, "error");
  ASSERT_EQ(errors.size(), 1u) << r.out;
  EXPECT_EQ(number_field(errors[0], "code"), 3);
  EXPECT_NE(errors[0].find("unknown_command"), std::string::npos) << errors[0];
  // Bad payload, login's usage, unknown command, and the ping after close.
  const auto failed = events(r.out, "failed");
  ASSERT_EQ(failed.size(), 4u) << r.out;
  EXPECT_NE(failed[1].find("usage: login USER PASSWORD"), std::string::npos) << failed[1];
  EXPECT_NE(failed[3].find("not connected"), std::string::npos) << failed[3];
  const auto gone = events(r.out, "disconnected");
  ASSERT_EQ(gone.size(), 1u) << r.out;
  EXPECT_NE(gone[0].find("closed by client"), std::string::npos) << gone[0];
}

TEST_F(CliTest, HumanOutputByDefault) {
  const auto r = run_program(kCli, {}, "connect " + target() + "\nping hi\nhelp\n", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe();
  EXPECT_NE(r.out.find("connected to 127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PONG 2 bytes \"hi\" in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("watch on|off"), std::string::npos) << r.out;  // the help text
  EXPECT_EQ(r.out.find("{\"event\""), std::string::npos) << r.out;
}

TEST_F(CliTest, ReportsReconnectingWhenTheServerGoesAway) {
  const uint16_t port = server_.port();
  ASSERT_TRUE(server_.stop(SIGTERM, 5s).has_value());
  const auto r = run_program(kCli,
                             {"--connect", "127.0.0.1:" + std::to_string(port), "--json",
                              "--max-tries", "2", "--backoff-base-ms", "20"},
                             "", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe();
  ASSERT_GE(events(r.out, "disconnected").size(), 1u) << r.out;
  EXPECT_NE(events(r.out, "disconnected")[0].find("refused"), std::string::npos) << r.out;
  EXPECT_GE(events(r.out, "reconnecting").size(), 1u) << r.out;
}

TEST(CliArgs, BadConnectTargetIsAnArgumentError) {
  const auto r = run_program(kCli, {"--connect", "nonsense"}, "", 10s);
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->describe();
  EXPECT_NE(r.err.find("HOST:PORT"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace citadel::client
