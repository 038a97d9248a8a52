// ClientStream over every transport against an in-memory server made of
// the server's own pieces: net::tls::TlsSession (server side), the
// WebSocket HandshakeParser and FrameParser, the frame writer. No sockets:
// bytes are pumped between the two sides by hand.
#include "client/transport/client_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "client/transport/tls_client_context.h"
#include "net/websocket/accept_key.h"
#include "net/websocket/frame_parser.h"
#include "net/websocket/frame_writer.h"
#include "net/websocket/handshake.h"
#include "protocol/frame_reader.h"
#include "protocol/wire.h"
#include "test_certificate.h"

namespace citadel::client::transport {
namespace {

namespace ws = net::websocket;
namespace tls = net::tls;
using Bytes = std::vector<uint8_t>;
using Status = ClientStream::Status;

class CertFiles {
 public:
  CertFiles() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "citadel-stream-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    const auto cert = test::make_test_certificate("citadel-stream-test");
    config_.certificate_file = dir_ + "/server.crt";
    config_.private_key_file = dir_ + "/server.key";
    test::write_text_file(config_.certificate_file, cert.certificate_pem);
    test::write_text_file(config_.private_key_file, cert.private_key_pem);
  }
  ~CertFiles() { std::filesystem::remove_all(dir_); }
  const tls::TlsConfig& config() const { return config_; }

 private:
  std::string dir_;
  tls::TlsConfig config_;
};

// The server's side of one connection, built from the server's codecs:
// answers the upgrade, records every Citadel frame it gets and echoes it.
class MemoryServer final : ws::FrameEventHandler {
 public:
  MemoryServer(Transport t, const tls::ContextPtr& server_ctx, ws::HandshakeConfig config = {})
      : transport_(t), config_(std::move(config)), upgrade_(config_) {
    if (uses_tls(t)) tls_ = std::make_unique<tls::TlsSession>(server_ctx, true);
  }

  // Wire bytes from the client; returns the wire bytes to send back.
  Bytes receive(const Bytes& wire) {
    out_.clear();
    if (!tls_) {
      Bytes copy = wire;
      plain(copy);
      return out_;
    }
    tls_->feed(wire);
    for (;;) {
      uint8_t buf[16 * 1024];
      std::size_t n = 0;
      const auto r = tls_->read(buf, n);
      if (r != tls::TlsSession::Read::kData) {
        tls_failed_ = r == tls::TlsSession::Read::kFailed;
        break;
      }
      Bytes copy(buf, buf + n);
      plain(copy);
    }
    return take_ciphertext();
  }

  // Pushes a frame (or raw WebSocket bytes) to the client; returns wire bytes.
  Bytes push_frame(uint16_t cmd, std::span<const uint8_t> payload) {
    Bytes frame;
    protocol::append_frame(frame, cmd, payload);
    Bytes message;
    if (uses_websocket(transport_)) {
      message.resize(ws::kMaxServerHeaderBytes);
      message.resize(ws::write_binary_header(frame.size(), message));
    }
    message.insert(message.end(), frame.begin(), frame.end());
    return push_raw(message);
  }
  Bytes push_raw(const Bytes& plain_bytes) {
    out_.clear();
    send(plain_bytes);
    return tls_ ? take_ciphertext() : out_;
  }

  std::vector<std::pair<uint16_t, Bytes>> frames;  // Citadel frames received
  std::vector<Bytes> pongs;
  uint16_t close_code = 0;
  bool upgraded = false;
  bool tls_failed_ = false;
  int upgrade_status = 0;

 private:
  void plain(Bytes& bytes) {
    std::span<uint8_t> rest(bytes);
    if (uses_websocket(transport_) && !upgraded) {
      const auto fed = upgrade_.feed(rest);
      if (fed.state == ws::HandshakeParser::State::kReading) return;
      upgrade_status = upgrade_.status_code();
      send(Bytes(upgrade_.response().begin(), upgrade_.response().end()));
      if (fed.state != ws::HandshakeParser::State::kAccepted) return;
      upgraded = true;
      rest = rest.subspan(fed.consumed_bytes);
    }
    if (uses_websocket(transport_)) {
      parser_.feed(rest, *this);
    } else {
      citadel_bytes(rest);
    }
  }

  void citadel_bytes(std::span<const uint8_t> bytes) {
    reader_.feed(bytes, [&](const protocol::FrameView& f) {
      frames.emplace_back(f.cmd, Bytes(f.payload.begin(), f.payload.end()));
      Bytes echo;
      protocol::append_frame(echo, f.cmd, f.payload);
      if (uses_websocket(transport_)) {
        Bytes header(ws::kMaxServerHeaderBytes);
        header.resize(ws::write_binary_header(echo.size(), header));
        echo.insert(echo.begin(), header.begin(), header.end());
      }
      send(echo);
      return true;
    });
  }

  bool on_frame_event(const ws::FrameEvent& event) override {
    if (const auto* m = std::get_if<ws::BinaryMessage>(&event)) citadel_bytes(m->bytes);
    if (const auto* p = std::get_if<ws::Pong>(&event))
      pongs.emplace_back(p->payload.begin(), p->payload.end());
    if (const auto* c = std::get_if<ws::Close>(&event)) close_code = c->code;
    return true;
  }

  void send(const Bytes& plain_bytes) {
    if (tls_) {
      ASSERT_TRUE(tls_->write(plain_bytes)) << tls_->error();
    } else {
      out_.insert(out_.end(), plain_bytes.begin(), plain_bytes.end());
    }
  }

  Bytes take_ciphertext() {
    Bytes c(tls_->pending_ciphertext());
    c.resize(tls_->take_ciphertext(c));
    return c;
  }

  Transport transport_;
  ws::HandshakeConfig config_;
  ws::HandshakeParser upgrade_;
  ws::FrameParser parser_;
  protocol::FrameReader reader_;
  std::unique_ptr<tls::TlsSession> tls_;
  Bytes out_;
};

struct Sink final : StreamSink {
  bool on_stream_bytes(std::span<const uint8_t> bytes) override {
    reader.feed(bytes, [&](const protocol::FrameView& f) {
      frames.emplace_back(f.cmd, Bytes(f.payload.begin(), f.payload.end()));
      return true;
    });
    return true;
  }
  protocol::FrameReader reader;
  std::vector<std::pair<uint16_t, Bytes>> frames;
};

class ClientStreamTest : public ::testing::TestWithParam<Transport> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tls::make_server_context(certs_.config(), server_ctx_).has_value());
    settings_.transport = GetParam();
    settings_.host = "127.0.0.1:7777";
    ASSERT_FALSE(make_client_context({}, settings_.tls_context).has_value());
  }

  // Delivers `wire` to the client and whatever it answers to the server,
  // back and forth until both are quiet.
  Status exchange(ClientStream& client, MemoryServer& server, Bytes to_client) {
    Status s = client.status();
    for (int round = 0; round < 10; ++round) {
      Bytes to_server;
      s = client.receive(to_client, scratch_, to_server, sink_);
      if (to_server.empty()) break;
      to_client = server.receive(to_server);
      if (to_client.empty()) break;
    }
    return s;
  }

  Status open(ClientStream& client, MemoryServer& server) {
    Bytes first;
    client.start(first);
    if (client.status() == Status::kOpen) return Status::kOpen;
    return exchange(client, server, server.receive(first));
  }

  CertFiles certs_;
  tls::ContextPtr server_ctx_;
  StreamSettings settings_;
  Sink sink_;
  uint8_t scratch_[16 * 1024];
};

TEST_P(ClientStreamTest, OpensThenFramesGoBothWays) {
  MemoryServer server(GetParam(), server_ctx_);
  ClientStream client(settings_);
  ASSERT_EQ(open(client, server), Status::kOpen) << client.error();
  EXPECT_EQ(client.encrypted(), uses_tls(GetParam()));
  EXPECT_EQ(server.upgraded, uses_websocket(GetParam()));
  if (uses_tls(GetParam())) {
    EXPECT_FALSE(client.tls_version().empty());
  }

  // Three frames, one seal: the server gets all three and echoes them.
  Bytes plain;
  const Bytes big(3000, 0x5A);
  client.append_frame(plain, protocol::cmd::kEcho, Bytes{1, 2, 3});
  client.append_frame(plain, protocol::cmd::kPing, {});
  client.append_frame(plain, protocol::cmd::kEcho, big);
  EXPECT_EQ(plain.size(), framed_bytes(GetParam(), 3) + framed_bytes(GetParam(), 0) +
                              framed_bytes(GetParam(), big.size()));
  Bytes wire;
  ASSERT_TRUE(client.seal(plain, wire));
  const Bytes echoed = server.receive(wire);
  ASSERT_EQ(server.frames.size(), 3u);
  EXPECT_EQ(server.frames[0].second, (Bytes{1, 2, 3}));
  EXPECT_EQ(server.frames[2].second, big);

  // The echoes, fed to the client one byte at a time.
  for (uint8_t b : echoed) {
    Bytes none;
    ASSERT_EQ(client.receive(Bytes{b}, scratch_, none, sink_), Status::kOpen) << client.error();
    EXPECT_TRUE(none.empty());
  }
  ASSERT_EQ(sink_.frames.size(), 3u);
  EXPECT_EQ(sink_.frames[1].first, protocol::cmd::kPing);
  EXPECT_EQ(sink_.frames[2].second, big);
}

TEST_P(ClientStreamTest, ClosesPolitely) {
  MemoryServer server(GetParam(), server_ctx_);
  ClientStream client(settings_);
  ASSERT_EQ(open(client, server), Status::kOpen) << client.error();
  Bytes bye;
  client.close(bye);
  EXPECT_EQ(client.status(), Status::kClosed);
  EXPECT_EQ(bye.empty(), GetParam() == Transport::kTcp);
  server.receive(bye);
  if (uses_websocket(GetParam())) {
    EXPECT_EQ(server.close_code, 1000);
  }
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientStreamTest,
                         ::testing::Values(Transport::kTcp, Transport::kWs, Transport::kTls,
                                           Transport::kWss),
                         [](const auto& info) { return std::string(to_string(info.param)); });

class ClientStreamWebSocket : public ClientStreamTest {};

TEST_P(ClientStreamWebSocket, AnswersPingsAndTheServersClose) {
  MemoryServer server(GetParam(), server_ctx_);
  ClientStream client(settings_);
  ASSERT_EQ(open(client, server), Status::kOpen) << client.error();
  Bytes ping(8);
  ping.resize(ws::write_server_header(ws::opcode::kPing, 2, ping));
  ping.push_back('h');
  ping.push_back('i');
  EXPECT_EQ(exchange(client, server, server.push_raw(ping)), Status::kOpen);
  ASSERT_EQ(server.pongs.size(), 1u);
  EXPECT_EQ(server.pongs[0], (Bytes{'h', 'i'}));

  // An ERROR frame then close 1008, as the server ends a connection.
  const std::string text = "\x00\x0blogged in elsewhere";
  Bytes to_client = server.push_frame(protocol::cmd::kError,
                                      {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  Bytes close(32);
  close.resize(ws::write_close_frame(1008, "policy", close));
  const Bytes close_wire = server.push_raw(close);
  to_client.insert(to_client.end(), close_wire.begin(), close_wire.end());
  EXPECT_EQ(exchange(client, server, to_client), Status::kClosed);
  EXPECT_NE(client.error().find("1008: policy"), std::string::npos) << client.error();
  ASSERT_EQ(sink_.frames.size(), 1u);  // the ERROR came through first
  EXPECT_EQ(sink_.frames[0].first, protocol::cmd::kError);
  EXPECT_EQ(server.close_code, 1008);  // the close was answered with its code
}

TEST_P(ClientStreamWebSocket, ARefusedUpgradeFailsWithTheStatus) {
  MemoryServer server(GetParam(), server_ctx_, {.path = "/game"});
  ClientStream client(settings_);  // asks for "/"
  EXPECT_EQ(open(client, server), Status::kFailed);
  EXPECT_EQ(server.upgrade_status, 404);
  EXPECT_NE(client.error().find("404"), std::string::npos) << client.error();
}

TEST_P(ClientStreamWebSocket, ServerFramingErrorsFail) {
  MemoryServer server(GetParam(), server_ctx_);
  ClientStream client(settings_);
  ASSERT_EQ(open(client, server), Status::kOpen) << client.error();
  Bytes to_server;
  const Bytes masked = server.push_raw({0x82, 0x81, 1, 2, 3, 4, 5});
  EXPECT_EQ(client.receive(masked, scratch_, to_server, sink_), Status::kFailed);
  EXPECT_NE(client.error().find("masked"), std::string::npos) << client.error();
  EXPECT_FALSE(to_server.empty());  // a close 1002 goes back
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientStreamWebSocket,
                         ::testing::Values(Transport::kWs, Transport::kWss),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(ClientStreamTls, VerifiesTheServerOnlyWithACaFile) {
  CertFiles certs;
  tls::ContextPtr server_ctx;
  ASSERT_FALSE(tls::make_server_context(certs.config(), server_ctx).has_value());
  for (const auto& [host, ok] : std::vector<std::pair<std::string, bool>>{
           {"127.0.0.1", true}, {"localhost", true}, {"example.com", false}}) {
    StreamSettings settings;
    settings.transport = Transport::kTls;
    ASSERT_FALSE(make_client_context({certs.config().certificate_file, host}, settings.tls_context)
                     .has_value());
    MemoryServer server(Transport::kTls, server_ctx);
    ClientStream client(settings);
    Sink sink;
    uint8_t scratch[16 * 1024];
    Bytes to_server;
    client.start(to_server);
    Status s = client.status();
    for (int round = 0; round < 10 && !to_server.empty(); ++round) {
      const Bytes to_client = server.receive(to_server);
      to_server.clear();
      s = client.receive(to_client, scratch, to_server, sink);
    }
    if (ok) {
      EXPECT_EQ(s, Status::kOpen) << host << ": " << client.error();
    } else {
      EXPECT_EQ(s, Status::kFailed) << host;
      EXPECT_NE(client.error().find("certificate verify failed"), std::string::npos)
          << client.error();
    }
  }
  tls::ContextPtr unused;
  const auto problem = make_client_context({"/nonexistent/ca.pem", ""}, unused);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("/nonexistent/ca.pem"), std::string::npos) << *problem;
}

}  // namespace
}  // namespace citadel::client::transport
