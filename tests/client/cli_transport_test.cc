// citadel-cli over each transport of the game port (tcp, ws, tls, wss)
// against the real server with TLS on: a scripted ping and echo, the
// connected event naming the transport, and certificate verification with
// --tls-ca.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "child_process.h"
#include "cli_output.h"
#include "server_process.h"
#include "test_certificate.h"

namespace citadel::client {
namespace {

using namespace std::chrono_literals;
using citadel::test::ServerOptions;
using citadel::test::ServerProcess;
using citadel::test::TempFile;
using test::events;
using test::kCli;
using test::run_program;

class CliTransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto cert = citadel::test::make_test_certificate("citadel-cli-test");
    cert_ = std::make_unique<TempFile>(cert.certificate_pem, ".crt");
    key_ = std::make_unique<TempFile>(cert.private_key_pem, ".key");
    ServerOptions o;
    o.config_yaml = "tls:\n  enabled: true\n  certificate_file: " + cert_->path() +
                    "\n  private_key_file: " + key_->path() + "\n";
    server_ = std::make_unique<ServerProcess>(o);
    std::string why;
    ASSERT_TRUE(server_->start(&why)) << why;
  }
  std::string url(const std::string& scheme) const {
    const std::string path = scheme == "ws" || scheme == "wss" ? "/" : "";
    return scheme + "://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  std::unique_ptr<TempFile> cert_, key_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(CliTransportTest, PingAndEchoOverTheUrl) {
  const auto r = run_program(kCli, {"--connect", url(GetParam()), "--json", "--no-reconnect"},
                             "ping hi\necho over the wire\nquit\n", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;
  const auto connected = events(r.out, "connected");
  ASSERT_EQ(connected.size(), 1u) << r.out;
  EXPECT_NE(connected[0].find("\"transport\":\"" + GetParam() + "\""), std::string::npos)
      << connected[0];
  const auto pongs = events(r.out, "pong");
  ASSERT_EQ(pongs.size(), 1u) << r.out;
  EXPECT_NE(pongs[0].find("\"text\":\"hi\""), std::string::npos) << pongs[0];
  const auto echoes = events(r.out, "echo");
  ASSERT_EQ(echoes.size(), 1u) << r.out;
  EXPECT_NE(echoes[0].find("\"text\":\"over the wire\""), std::string::npos) << echoes[0];
  EXPECT_TRUE(events(r.out, "failed").empty()) << r.out;
}

TEST_P(CliTransportTest, TransportFlagWithHostPortAndTheConnectCommand) {
  const std::string target = "127.0.0.1:" + std::to_string(server_->port());
  const auto r = run_program(kCli, {"--transport", GetParam(), "--json", "--no-reconnect"},
                             "connect " + target + "\nping\nquit\n", 15s);
  ASSERT_TRUE(r.status.has_value()) << "timed out; stdout:\n" << r.out;
  const auto connected = events(r.out, "connected");
  ASSERT_EQ(connected.size(), 1u) << r.out;
  EXPECT_NE(connected[0].find("\"transport\":\"" + GetParam() + "\""), std::string::npos)
      << connected[0];
  EXPECT_EQ(events(r.out, "pong").size(), 1u) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Transports, CliTransportTest, ::testing::Values("tcp", "ws", "tls", "wss"),
                         [](const auto& info) { return info.param; });

class CliTlsVerify : public CliTransportTest {};

TEST_F(CliTlsVerify, ATrustedCertificatePassesAndAnUnknownOneFails) {
  const auto ok = run_program(
      kCli, {"--connect", url("wss"), "--tls-ca", cert_->path(), "--json", "--no-reconnect"},
      "ping\nquit\n", 15s);
  ASSERT_TRUE(ok.status.has_value()) << ok.out;
  EXPECT_EQ(events(ok.out, "pong").size(), 1u) << ok.out;

  const TempFile other(citadel::test::make_test_certificate("someone-else").certificate_pem,
                       ".crt");
  const auto bad = run_program(
      kCli, {"--connect", url("tls"), "--tls-ca", other.path(), "--json", "--no-reconnect"}, "",
      15s);
  ASSERT_TRUE(bad.status.has_value()) << bad.out;
  EXPECT_TRUE(events(bad.out, "connected").empty()) << bad.out;
  const auto gone = events(bad.out, "disconnected");
  ASSERT_GE(gone.size(), 1u) << bad.out;
  EXPECT_NE(gone[0].find("certificate verify failed"), std::string::npos) << gone[0];
}

TEST(CliTransportArgs, BadTransportsAreArgumentErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--transport", "udp"},
        std::vector<std::string>{"--connect", "http://127.0.0.1:1/"},
        std::vector<std::string>{"--connect", "tls://127.0.0.1:1/path"}}) {
    const auto r = run_program(kCli, args, "", 10s);
    ASSERT_TRUE(r.status.has_value());
    EXPECT_TRUE(r.status->exited && r.status->code == 1) << args[1] << ": " << r.status->describe();
  }
}

}  // namespace
}  // namespace citadel::client
