#include "tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "protocol/wire.h"

namespace citadel::test {

namespace wire = citadel::protocol;

TlsClient::~TlsClient() {
  ssl_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::connect(uint16_t port, std::string* why, int max_version,
                        std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *why = "TCP connect failed";
    return false;
  }
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);  // self-signed test certificates
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx_.get(), max_version);
  ssl_.reset(SSL_new(ctx_.get()));
  SSL_set_fd(ssl_.get(), fd_);
  ERR_clear_error();
  if (SSL_connect(ssl_.get()) != 1) {
    char text[256] = "no OpenSSL error";
    if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, text, sizeof text);
    *why = std::string("TLS handshake failed: ") + text;
    return false;
  }
  return true;
}

bool TlsClient::send_plain(std::span<const uint8_t> bytes) {
  std::size_t written = 0;
  return SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written) == 1 &&
         written == bytes.size();
}

bool TlsClient::send_frame(uint16_t cmd, std::string_view payload) {
  return send_plain(encode_frame(cmd, payload));
}

ReadResult TlsClient::read_frame() {
  ReadResult result;
  for (;;) {
    if (in_.size() >= wire::kHeaderBytes) {
      if (wire::load_be16(in_.data()) != wire::kMagic) {
        result.status = ReadStatus::kBadFrame;
        return result;
      }
      const uint32_t len = wire::load_be32(in_.data() + 4);
      if (in_.size() >= wire::kHeaderBytes + len) {
        result.status = ReadStatus::kFrame;
        result.frame.cmd = wire::load_be16(in_.data() + 2);
        result.frame.payload.assign(in_.begin() + wire::kHeaderBytes,
                                    in_.begin() + wire::kHeaderBytes + len);
        in_.erase(in_.begin(), in_.begin() + wire::kHeaderBytes + len);
        return result;
      }
    }
    uint8_t buf[16 * 1024];
    std::size_t n = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl_.get(), buf, sizeof buf, &n) == 1) {
      in_.insert(in_.end(), buf, buf + n);
      continue;
    }
    const int e = SSL_get_error(ssl_.get(), 0);
    if (e == SSL_ERROR_ZERO_RETURN) {
      got_close_notify_ = true;
      result.status = ReadStatus::kEof;
    } else if (e == SSL_ERROR_WANT_READ || (e == SSL_ERROR_SYSCALL && errno == EAGAIN)) {
      result.status = ReadStatus::kTimeout;
    } else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) {
      result.status = ReadStatus::kEof;  // EOF without close_notify
    } else {
      result.status = ReadStatus::kReset;
    }
    return result;
  }
}

bool TlsClient::wait_closed(std::vector<Frame>* frames) {
  for (;;) {
    ReadResult r = read_frame();
    switch (r.status) {
      case ReadStatus::kFrame:
        if (frames) frames->push_back(std::move(r.frame));
        break;
      case ReadStatus::kEof:
      case ReadStatus::kReset:
        return true;
      case ReadStatus::kTimeout:
      case ReadStatus::kBadFrame:
        return false;
    }
  }
}

std::string TlsClient::peer_common_name() const {
  X509* cert = SSL_get1_peer_certificate(ssl_.get());
  if (cert == nullptr) return "";
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

}  // namespace citadel::test
