// TLS on the game port, black box: the real citadel binary, a plain OpenSSL
// client (tls_client.h), raw-TCP bystanders on the same port.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "fixture.h"
#include "test_certificate.h"
#include "tls_client.h"

namespace citadel::test {
namespace {

class TlsServer : public ServerTest {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "citadel-tls-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    cert_file_ = dir_ + "/server.crt";
    key_file_ = dir_ + "/server.key";
    write_certificate("first");
  }
  void TearDown() override {
    ServerTest::TearDown();
    std::filesystem::remove_all(dir_);
  }
  void write_certificate(std::string_view cn) {
    const auto cert = make_test_certificate(cn);
    write_text_file(cert_file_, cert.certificate_pem);
    write_text_file(key_file_, cert.private_key_pem);
  }
  std::string tls_config(std::string_view extra = "") const {
    return "tls:\n  enabled: true\n  certificate_file: " + cert_file_ +
           "\n  private_key_file: " + key_file_ + "\n" + std::string(extra);
  }
  TlsClient connect_tls(int max_version = 0) {
    TlsClient c;
    std::string why;
    EXPECT_TRUE(c.connect(port_, &why, max_version)) << why;
    return c;
  }

  std::string dir_, cert_file_, key_file_;
};

testing::AssertionResult TlsPings(TlsClient& c, std::string_view payload = "ping") {
  if (!c.send_frame(wire::cmd::kPing, payload)) return testing::AssertionFailure() << "send failed";
  const ReadResult r = c.read_frame();
  if (r.status != ReadStatus::kFrame || r.frame.cmd != wire::cmd::kPong ||
      r.frame.payload != to_bytes(payload)) {
    return testing::AssertionFailure() << "expected PONG, got " << r.describe();
  }
  return testing::AssertionSuccess();
}

TEST_F(TlsServer, TlsAndPlainTcpOnOnePort) {
  START_SERVER(tls_config());
  TlsClient secure = connect_tls();
  EXPECT_EQ(secure.version(), "TLSv1.3");
  EXPECT_EQ(secure.peer_common_name(), "first");
  TestClient plain = connect_client();
  EXPECT_TRUE(TlsPings(secure, "over tls"));
  EXPECT_TRUE(Pings(plain, "over tcp"));
  // A reply larger than a TLS record (16 KiB) and many frames in one write.
  const Bytes big = pattern_bytes(60 * 1024, 3);
  const std::string big_text(big.begin(), big.end());
  Bytes burst;
  for (int i = 0; i < 20; ++i) {
    const Bytes f = encode_frame(wire::cmd::kEcho, "frame " + std::to_string(i));
    burst.insert(burst.end(), f.begin(), f.end());
  }
  const Bytes f = encode_frame(wire::cmd::kEcho, big_text);
  burst.insert(burst.end(), f.begin(), f.end());
  ASSERT_TRUE(secure.send_plain(burst));
  for (int i = 0; i < 20; ++i) {
    const ReadResult r = secure.read_frame();
    ASSERT_EQ(r.status, ReadStatus::kFrame) << r.describe();
    EXPECT_EQ(r.frame.payload, to_bytes("frame " + std::to_string(i)));
  }
  const ReadResult r = secure.read_frame();
  ASSERT_EQ(r.status, ReadStatus::kFrame) << r.describe();
  EXPECT_EQ(r.frame.payload, big);
}

TEST_F(TlsServer, TlsIsOffByDefaultAndItsFirstByteIsBadMagic) {
  START_SERVER();
  TestClient c = connect_client();
  const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x00, 0x00};
  ASSERT_TRUE(c.send_raw(hello));
  EXPECT_TRUE(GetsErrorThenClose(c, wire::ErrorCode::kBadMagic));
}

TEST_F(TlsServer, AFrameErrorInsideTlsGetsItsErrorThenCloseNotify) {
  START_SERVER(tls_config());
  TlsClient c = connect_tls();
  ASSERT_TRUE(c.send_plain(to_bytes("XXXXXXXX")));
  const ReadResult r = c.read_frame();
  ASSERT_EQ(r.status, ReadStatus::kFrame) << r.describe();
  EXPECT_EQ(r.frame.error_code(), code_of(wire::ErrorCode::kBadMagic));
  EXPECT_TRUE(c.wait_closed());
  EXPECT_TRUE(c.got_close_notify());
}

TEST_F(TlsServer, GarbageAfterAHandshakeByteEndsOnlyThatConnection) {
  START_SERVER(tls_config());
  TestClient bystander = connect_client();
  TlsClient secure = connect_tls();
  for (int round = 0; round < 5; ++round) {
    TestClient c = connect_client();
    Bytes garbage = pattern_bytes(100 + 1000 * round, round);
    garbage[0] = 0x16;
    c.send_raw(garbage);  // may fail once the server has closed
    EXPECT_TRUE(c.wait_closed(5s)) << "round " << round;
    ASSERT_TRUE(Pings(bystander, "round " + std::to_string(round)));
    ASSERT_TRUE(TlsPings(secure, "round " + std::to_string(round)));
  }
  EXPECT_TRUE(server_->wait_for_output("TLS handshake failed", 5s));
}

TEST_F(TlsServer, AClientBelowMinVersionIsRefused) {
  START_SERVER(tls_config("  min_version: \"1.3\"\n"));
  TlsClient old_client;
  std::string why;
  EXPECT_FALSE(old_client.connect(port_, &why, TLS1_2_VERSION));
  EXPECT_NE(why.find("alert"), std::string::npos) << why;
  TlsClient current = connect_tls();
  EXPECT_TRUE(TlsPings(current));
}

TEST_F(TlsServer, AnUnfinishedHandshakeIsCutAtTheTimeout) {
  START_SERVER(tls_config("  handshake_timeout_ms: 300\n"));
  TestClient stalled = connect_client();
  // The start of a ClientHello record, and nothing more.
  const uint8_t partial[] = {0x16, 0x03, 0x01, 0x02, 0x00};
  ASSERT_TRUE(stalled.send_raw(partial));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(stalled.wait_closed(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  TestClient bystander = connect_client();
  EXPECT_TRUE(Pings(bystander));
}

TEST_F(TlsServer, HandshakesOverTheCapAreCutAndTheRestServed) {
  // One loop, two handshakes at a time.
  START_SERVER(tls_config("  max_concurrent_handshakes: 2\n"), {"--threads", "1"});
  const uint8_t partial[] = {0x16, 0x03, 0x01, 0x02, 0x00};
  std::vector<TestClient> stalled;
  for (int i = 0; i < 2; ++i) {
    stalled.push_back(connect_client());
    ASSERT_TRUE(stalled.back().send_raw(partial));
  }
  // Each was seen by the loop once the bystander's PING is answered (one
  // loop: events are served in order).
  TestClient bystander = connect_client();
  ASSERT_TRUE(Pings(bystander));
  TestClient over_cap = connect_client();
  ASSERT_TRUE(over_cap.send_raw(partial));
  EXPECT_TRUE(over_cap.wait_closed(5s));
  EXPECT_TRUE(server_->wait_for_output("TLS handshake refused", 5s));
  // The stalled ones still hold their slots; once they go, TLS works again.
  stalled.clear();
  ASSERT_TRUE(Pings(bystander));  // their closes have been handled
  TlsClient secure = connect_tls();
  EXPECT_TRUE(TlsPings(secure));
}

TEST_F(TlsServer, SighupReloadsTheCertificateWithoutDroppingAnyone) {
  START_SERVER(tls_config());
  TlsClient before = connect_tls();
  ASSERT_EQ(before.peer_common_name(), "first");

  write_certificate("second");
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(server_->wait_for_output("TLS certificate reloaded", 5s));
  TlsClient after = connect_tls();
  EXPECT_EQ(after.peer_common_name(), "second");
  EXPECT_TRUE(TlsPings(before, "still connected"));

  // A broken file changes nothing.
  write_text_file(cert_file_, "not a certificate");
  ASSERT_EQ(::kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(server_->wait_for_output("TLS certificate not reloaded", 5s));
  TlsClient third = connect_tls();
  EXPECT_EQ(third.peer_common_name(), "second");
  EXPECT_TRUE(TlsPings(before, "still here"));
  EXPECT_TRUE(TlsPings(after));
  EXPECT_TRUE(server_->running());
}

TEST_F(TlsServer, AMissingCertificateStopsStartUpWithTheReason) {
  const auto result = run_server_to_completion(
      {"--port", "0", "--admin-port", "0", "--config",
       TempFile("tls:\n  enabled: true\n  certificate_file: /nonexistent/cert.pem\n"
                "  private_key_file: /nonexistent/key.pem\n")
           .path()});
  ASSERT_TRUE(result.status.has_value());
  EXPECT_EQ(result.status->code, 1) << result.status->describe();
  EXPECT_NE((result.stdout_text + result.stderr_text).find("/nonexistent/cert.pem"),
            std::string::npos)
      << result.stdout_text << result.stderr_text;
}

TEST_F(TlsServer, EnabledWithoutFilesIsAConfigError) {
  const auto result =
      run_server_to_completion({"--config", TempFile("tls:\n  enabled: true\n").path()});
  ASSERT_TRUE(result.status.has_value());
  EXPECT_EQ(result.status->code, 2) << result.status->describe();
  EXPECT_NE(result.stderr_text.find("tls.certificate_file"), std::string::npos)
      << result.stderr_text;
}

}  // namespace
}  // namespace citadel::test
