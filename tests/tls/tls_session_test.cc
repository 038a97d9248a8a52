// TlsSession and the context store, in process: a server session against a
// client session over memory, no sockets.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "net/tls/tls_context.h"
#include "net/tls/tls_session.h"
#include "test_certificate.h"

namespace citadel::net::tls {
namespace {

using Bytes = std::vector<uint8_t>;
using test::make_test_certificate;
using test::write_text_file;

class TempCertDir {
 public:
  TempCertDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "citadel-tls-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempCertDir() { std::filesystem::remove_all(path_); }
  // Writes a fresh certificate named `cn` under `stem` and returns the config.
  TlsConfig write(std::string_view cn, const std::string& stem = "server") const {
    const auto cert = make_test_certificate(cn);
    TlsConfig config;
    config.certificate_file = path_ + "/" + stem + ".crt";
    config.private_key_file = path_ + "/" + stem + ".key";
    write_text_file(config.certificate_file, cert.certificate_pem);
    write_text_file(config.private_key_file, cert.private_key_pem);
    return config;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ContextPtr server_context(const TlsConfig& config) {
  ContextPtr ctx;
  const auto problem = make_server_context(config, ctx);
  EXPECT_FALSE(problem.has_value()) << *problem;
  return ctx;
}

ContextPtr client_context(int max_version = 0) {
  ContextPtr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  return ctx;
}

// Moves all pending ciphertext from one session to the other.
bool pump(TlsSession& from, TlsSession& to) {
  Bytes buf(from.pending_ciphertext());
  if (buf.empty()) return false;
  buf.resize(from.take_ciphertext(buf));
  to.feed(buf);
  return true;
}

// Reads all plaintext a session has; the last read's status in `last`.
Bytes read_all(TlsSession& s, TlsSession::Read& last) {
  Bytes out;
  uint8_t buf[16 * 1024];
  for (;;) {
    std::size_t n = 0;
    last = s.read(buf, n);
    if (last != TlsSession::Read::kData) return out;
    out.insert(out.end(), buf, buf + n);
  }
}

// Runs the handshake to its end (or failure); true if both sides finished.
bool handshake(TlsSession& client, TlsSession& server) {
  for (int round = 0; round < 10; ++round) {
    TlsSession::Read last;
    read_all(client, last);
    if (last == TlsSession::Read::kFailed) return false;
    const bool sent = pump(client, server);
    read_all(server, last);
    if (last == TlsSession::Read::kFailed) {
      pump(server, client);  // the alert
      read_all(client, last);
      return false;
    }
    const bool answered = pump(server, client);
    if (!sent && !answered) break;
  }
  return client.handshake_done() && server.handshake_done();
}

TEST(TlsSession, HandshakeThenDataBothWays) {
  TempCertDir dir;
  const auto server_ctx = server_context(dir.write("citadel-test"));
  TlsSession server(server_ctx, true);
  TlsSession client(client_context(), false);
  EXPECT_FALSE(server.handshake_done());
  ASSERT_TRUE(handshake(client, server)) << server.error() << client.error();
  EXPECT_EQ(server.protocol_version(), "TLSv1.3");

  const std::string hello = "CT frames inside TLS";
  ASSERT_TRUE(client.write({reinterpret_cast<const uint8_t*>(hello.data()), hello.size()}));
  pump(client, server);
  TlsSession::Read last;
  const Bytes got = read_all(server, last);
  EXPECT_EQ(std::string(got.begin(), got.end()), hello);
  EXPECT_EQ(last, TlsSession::Read::kWantMore);

  // One write larger than a record (16 KiB) becomes several records, all
  // produced by that one call.
  Bytes big(200 * 1024);
  std::mt19937 rng(7);
  for (auto& b : big) b = static_cast<uint8_t>(rng());
  ASSERT_TRUE(server.write(big));
  EXPECT_GT(server.pending_ciphertext(), big.size());
  pump(server, client);
  EXPECT_EQ(read_all(client, last), big);
}

TEST(TlsSession, CloseNotifyReadsAsPeerClosed) {
  TempCertDir dir;
  TlsSession server(server_context(dir.write("c")), true);
  TlsSession client(client_context(), false);
  ASSERT_TRUE(handshake(client, server));
  server.close();
  ASSERT_TRUE(pump(server, client));
  TlsSession::Read last;
  read_all(client, last);
  EXPECT_EQ(last, TlsSession::Read::kPeerClosed);
}

TEST(TlsSession, NotTlsFailsTheHandshakeWithAReason) {
  TempCertDir dir;
  TlsSession server(server_context(dir.write("c")), true);
  const std::string http = "\x16GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  server.feed({reinterpret_cast<const uint8_t*>(http.data()), http.size()});
  TlsSession::Read last;
  read_all(server, last);
  EXPECT_EQ(last, TlsSession::Read::kFailed);
  EXPECT_NE(server.error().find("TLS handshake failed"), std::string::npos) << server.error();
  EXPECT_FALSE(server.handshake_done());
  // Failed stays failed, and nothing can be written.
  EXPECT_EQ(read_all(server, last).size(), 0u);
  EXPECT_EQ(last, TlsSession::Read::kFailed);
  const uint8_t one = 1;
  EXPECT_FALSE(server.write({&one, 1}));
}

TEST(TlsSession, MinVersion13RefusesATls12ClientWithAnAlert) {
  TempCertDir dir;
  auto config = dir.write("c");
  config.min_version = "1.3";
  TlsSession server(server_context(config), true);
  TlsSession client(client_context(TLS1_2_VERSION), false);
  EXPECT_FALSE(handshake(client, server));
  EXPECT_NE(server.error().find("unsupported protocol"), std::string::npos) << server.error();
  EXPECT_FALSE(client.error().empty());  // the client heard the alert
}

TEST(TlsSession, ATamperedRecordFailsTheSession) {
  TempCertDir dir;
  TlsSession server(server_context(dir.write("c")), true);
  TlsSession client(client_context(), false);
  ASSERT_TRUE(handshake(client, server));
  const std::string text = "payload";
  ASSERT_TRUE(client.write({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
  Bytes record(client.pending_ciphertext());
  record.resize(client.take_ciphertext(record));
  record.back() ^= 0x01;  // the authentication tag no longer matches
  server.feed(record);
  TlsSession::Read last;
  EXPECT_TRUE(read_all(server, last).empty());
  EXPECT_EQ(last, TlsSession::Read::kFailed);
  EXPECT_NE(server.error().find("TLS record failed"), std::string::npos) << server.error();
}

TEST(TlsContext, ProblemsAreNamed) {
  TempCertDir dir;
  ContextPtr ctx;
  TlsConfig missing;
  missing.certificate_file = dir.path() + "/absent.crt";
  missing.private_key_file = dir.path() + "/absent.key";
  auto problem = make_server_context(missing, ctx);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("absent.crt"), std::string::npos) << *problem;
  EXPECT_EQ(ctx, nullptr);

  auto a = dir.write("a", "a");
  const auto b = dir.write("b", "b");
  a.private_key_file = b.private_key_file;  // someone else's key
  problem = make_server_context(a, ctx);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("does not match"), std::string::npos) << *problem;

  auto c = dir.write("c", "c");
  c.min_version = "1.1";
  problem = make_server_context(c, ctx);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("min_version"), std::string::npos) << *problem;

  TlsConfig empty;
  EXPECT_TRUE(make_server_context(empty, ctx).has_value());
}

TEST(TlsContextStore, ReloadSwapsOnlyAWorkingCertificate) {
  TempCertDir dir;
  const auto config = dir.write("first");
  ContextStore store(config);
  EXPECT_EQ(store.current(), nullptr);
  ASSERT_FALSE(store.load().has_value());
  const ContextPtr first = store.current();
  ASSERT_NE(first, nullptr);

  // A session started on the first context keeps working across reloads.
  TlsSession old_server(first, true);
  TlsSession old_client(client_context(), false);
  ASSERT_TRUE(handshake(old_client, old_server));

  write_text_file(config.certificate_file, "not a certificate");
  const auto problem = store.load();
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(store.current(), first);  // nothing changed
  EXPECT_EQ(store.reload_failures(), 1u);
  EXPECT_EQ(store.reloads(), 0u);

  const auto second = make_test_certificate("second");
  write_text_file(config.certificate_file, second.certificate_pem);
  write_text_file(config.private_key_file, second.private_key_pem);
  ASSERT_FALSE(store.load().has_value());
  EXPECT_NE(store.current(), first);
  EXPECT_EQ(store.reloads(), 1u);

  TlsSession server(store.current(), true);
  TlsSession client(client_context(), false);
  ASSERT_TRUE(handshake(client, server));

  const std::string text = "still here";
  ASSERT_TRUE(old_client.write({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
  pump(old_client, old_server);
  TlsSession::Read last;
  const Bytes got = read_all(old_server, last);
  EXPECT_EQ(std::string(got.begin(), got.end()), text);
}

}  // namespace
}  // namespace citadel::net::tls
