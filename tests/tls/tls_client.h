// A blocking TLS client for the black-box tests: plain OpenSSL on a socket
// (SSL_set_fd), none of the server's TLS code, speaking Citadel frames.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>

#include "test_client.h"

namespace citadel::test {

using namespace std::chrono_literals;

class TlsClient {
 public:
  TlsClient() = default;
  ~TlsClient();
  TlsClient(TlsClient&&) = default;
  TlsClient& operator=(TlsClient&&) = default;

  // TCP connect to 127.0.0.1:port and the TLS handshake; every later call
  // waits at most `timeout` (socket timeouts). `max_version` 0: any.
  bool connect(uint16_t port, std::string* why, int max_version = 0,
               std::chrono::milliseconds timeout = 5s);
  bool send_frame(uint16_t cmd, std::string_view payload);
  bool send_plain(std::span<const uint8_t> bytes);
  ReadResult read_frame();
  // Reads until the server ends the stream: true if it did (close_notify,
  // EOF or reset) within the timeout. Frames seen go to `frames`.
  bool wait_closed(std::vector<Frame>* frames = nullptr);
  // Whether the server's last words included close_notify.
  bool got_close_notify() const { return got_close_notify_; }
  // The CN of the certificate the server presented.
  std::string peer_common_name() const;
  std::string version() const { return ssl_ ? SSL_get_version(ssl_.get()) : ""; }
  int fd() const { return fd_; }

 private:
  struct SslFree {
    void operator()(SSL* s) const { SSL_free(s); }
  };
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
  int fd_ = -1;
  bool got_close_notify_ = false;
  Bytes in_;
};

}  // namespace citadel::test
