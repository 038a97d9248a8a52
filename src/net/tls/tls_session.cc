#include "net/tls/tls_session.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <limits>
#include <stdexcept>

namespace citadel::net::tls {

namespace {

int clamp_int(std::size_t n) {
  return static_cast<int>(std::min<std::size_t>(n, std::numeric_limits<int>::max()));
}

}  // namespace

TlsSession::TlsSession(const ContextPtr& context, bool server)
    : ssl_(SSL_new(context.get()), SSL_free) {
  if (!ssl_) throw std::runtime_error("SSL_new failed");
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  if (in_ == nullptr || out_ == nullptr) {
    BIO_free(in_);
    BIO_free(out_);
    throw std::runtime_error("BIO_new failed");
  }
  // An empty memory BIO means "no data yet", not end of file.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_.get(), in_, out_);
  if (server) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

TlsSession::~TlsSession() = default;

void TlsSession::feed(std::span<const uint8_t> ciphertext) {
  // A memory BIO grows as needed; a write to it fails only without memory.
  while (!ciphertext.empty()) {
    const int n = BIO_write(in_, ciphertext.data(), clamp_int(ciphertext.size()));
    if (n <= 0) throw std::bad_alloc();
    ciphertext = ciphertext.subspan(static_cast<std::size_t>(n));
  }
}

TlsSession::Read TlsSession::read(std::span<uint8_t> out, std::size_t& n) {
  n = 0;
  if (!error_.empty()) return Read::kFailed;
  ERR_clear_error();
  std::size_t got = 0;
  const int ok = SSL_read_ex(ssl_.get(), out.data(), out.size(), &got);
  note_established();
  if (ok == 1) {
    n = got;
    return Read::kData;
  }
  const int e = SSL_get_error(ssl_.get(), 0);
  switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:  // never with a memory BIO; harmless
      return Read::kWantMore;
    case SSL_ERROR_ZERO_RETURN:
      return Read::kPeerClosed;
    default:
      fail(e, handshake_done() ? "TLS record" : "TLS handshake");
      return Read::kFailed;
  }
}

bool TlsSession::write(std::span<const uint8_t> plaintext) {
  if (!error_.empty()) return false;
  if (plaintext.empty()) return true;
  ERR_clear_error();
  std::size_t written = 0;
  // A memory BIO takes everything, so one call writes it all (no partial
  // writes to resume).
  if (SSL_write_ex(ssl_.get(), plaintext.data(), plaintext.size(), &written) == 1 &&
      written == plaintext.size()) {
    return true;
  }
  fail(SSL_get_error(ssl_.get(), 0), "TLS write");
  return false;
}

void TlsSession::close() {
  if (!error_.empty() || !handshake_done()) return;
  ERR_clear_error();
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

std::size_t TlsSession::pending_ciphertext() const {
  return BIO_ctrl_pending(out_);
}

std::size_t TlsSession::take_ciphertext(std::span<uint8_t> out) {
  const int n = BIO_read(out_, out.data(), clamp_int(out.size()));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool TlsSession::handshake_done() const {
  return established_ || SSL_is_init_finished(ssl_.get()) == 1;
}

void TlsSession::note_established() {
  if (!established_ && error_.empty()) established_ = SSL_is_init_finished(ssl_.get()) == 1;
}

std::string TlsSession::protocol_version() const {
  return SSL_get_version(ssl_.get());
}

void TlsSession::fail(int ssl_error, std::string_view what) {
  const unsigned long code = ERR_peek_error();
  std::string detail;
  if (code != 0) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    detail = text;
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    detail = "unexpected end of stream";
  } else {
    detail = "SSL error " + std::to_string(ssl_error);
  }
  ERR_clear_error();
  error_ = std::string(what) + " failed: " + detail;
}

}  // namespace citadel::net::tls
