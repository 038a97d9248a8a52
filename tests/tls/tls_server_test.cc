// TLS on the game port, black box: the real citadel binary, a plain OpenSSL
// client (tls_client.h), raw-TCP bystanders on the same port.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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

namespace citadel::test {
namespace {

// A port nothing listens on now (bound to 0, read, released): the config
// keys for extra listeners take a fixed port.
uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string reply_text(TestClient& c) {
  const auto reply = c.read_until_closed(5s);
  return reply ? std::string(reply->begin(), reply->end()) : "(timed out)";
}

constexpr std::string_view kUpgrade =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

TEST_F(TlsServer, ATlsOnlyPortServesTlsAndRefusesPlaintext) {
  const uint16_t tls_port = free_port();
  START_SERVER(tls_config("  port: " + std::to_string(tls_port) + "\n"));
  ASSERT_TRUE(server_->wait_for_output("for TLS only", 5s));
  TlsClient secure;
  std::string why;
  ASSERT_TRUE(secure.connect(tls_port, &why)) << why;
  EXPECT_TRUE(TlsPings(secure, "on the TLS port"));

  TestClient plain;
  ASSERT_TRUE(plain.connect(tls_port));
  ASSERT_TRUE(plain.send_frame(wire::cmd::kPing, "plain on the TLS port"));
  std::vector<Frame> frames;
  EXPECT_TRUE(plain.wait_closed(5s, &frames));
  EXPECT_TRUE(frames.empty());
  EXPECT_TRUE(server_->wait_for_output("not a TLS record on the TLS-only port", 5s));

  // The game port still takes every wire.
  TestClient main_port = connect_client();
  EXPECT_TRUE(Pings(main_port));
  TlsClient main_secure = connect_tls();
  EXPECT_TRUE(TlsPings(main_secure));
}

TEST_F(TlsServer, AWebSocketOnlyPortUpgradesAndAnswersFramesWithHttp) {
  const uint16_t ws_port = free_port();
  START_SERVER("websocket:\n  port: " + std::to_string(ws_port) + "\n");
  ASSERT_TRUE(server_->wait_for_output("for WebSocket only", 5s));
  TestClient ws;
  ASSERT_TRUE(ws.connect(ws_port));
  ASSERT_TRUE(ws.send_raw(to_bytes(kUpgrade)));
  Bytes head;
  while (head.size() < 12) {
    pollfd p{ws.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    uint8_t b = 0;
    ASSERT_EQ(::recv(ws.fd(), &b, 1, 0), 1);
    head.push_back(b);
  }
  EXPECT_EQ(std::string(head.begin(), head.end()), "HTTP/1.1 101");

  TestClient frames;
  ASSERT_TRUE(frames.connect(ws_port));
  // A frame, then a line end: the port reads HTTP, so this is a malformed
  // request line (without the line end it would wait for the rest of it,
  // up to websocket.handshake_timeout_ms, as for any slow client).
  Bytes frame = encode_frame(wire::cmd::kPing, "raw frame on the ws port");
  frame.push_back('\r');
  frame.push_back('\n');
  ASSERT_TRUE(frames.send_raw(frame));
  EXPECT_EQ(reply_text(frames).substr(0, 12), "HTTP/1.1 400");

  TestClient main_port = connect_client();
  EXPECT_TRUE(Pings(main_port));
}

TEST_F(TlsServer, TransportPortsAreCheckedAtStart) {
  auto run = [](const std::string& yaml) {
    const auto r = run_server_to_completion({"--config", TempFile(yaml).path()});
    return r.stderr_text;
  };
  EXPECT_NE(run("tls:\n  port: 7443\n").find("tls.port: needs tls.enabled"), std::string::npos);
  EXPECT_NE(run("websocket:\n  enabled: false\n  port: 7080\n").find("websocket.port"),
            std::string::npos);
  EXPECT_NE(run("server:\n  port: 7000\nwebsocket:\n  port: 7000\n")
                .find("websocket.port: must differ from server.port"),
            std::string::npos);
}

}  // namespace
}  // namespace citadel::test
