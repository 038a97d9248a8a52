// One server-side TLS session over memory BIOs: ciphertext in, plaintext
// out, and the reverse. It does no I/O, so the connection's loop keeps
// owning the socket and a turn's output still leaves in one batched send:
// the loop feeds what recv() returned, reads plaintext, writes a turn's
// plaintext with ONE SSL_write, and sends the ciphertext taken out.
// Pure: unit-tested against an in-memory client session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "net/tls/tls_context.h"

struct ssl_st;
struct bio_st;

namespace citadel::net::tls {

class TlsSession {
 public:
  enum class Read : uint8_t {
    kData,        // `n` plaintext bytes were read
    kWantMore,    // nothing more until more ciphertext arrives
    kPeerClosed,  // the peer sent close_notify
    kFailed,      // a protocol error: error() says which; an alert may be queued
  };

  // Server side (`server` true, the game port) or client side (tests, tools).
  TlsSession(const ContextPtr& context, bool server);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext received from the peer (copied into the session).
  void feed(std::span<const uint8_t> ciphertext);
  // Drives the handshake and reads plaintext into `out`.
  Read read(std::span<uint8_t> out, std::size_t& n);
  // Encrypts all of `plaintext` (one call, as many records as it takes).
  // False on failure (error() says why). Only after the handshake.
  bool write(std::span<const uint8_t> plaintext);
  // Queues close_notify (then take the ciphertext out).
  void close();

  // Ciphertext waiting to be sent, and taking it out.
  std::size_t pending_ciphertext() const;
  std::size_t take_ciphertext(std::span<uint8_t> out);

  bool handshake_done() const;
  const std::string& error() const { return error_; }
  // "TLSv1.3" etc., once the handshake is done.
  std::string protocol_version() const;

 private:
  void fail(int ssl_error, std::string_view what);
  // Remembers that the handshake completed: OpenSSL stops saying so once a
  // later error has put the session in its error state.
  void note_established();

  std::unique_ptr<ssl_st, void (*)(ssl_st*)> ssl_;
  bio_st* in_ = nullptr;   // owned by ssl_: ciphertext from the peer
  bio_st* out_ = nullptr;  // owned by ssl_: ciphertext for the peer
  std::string error_;
  bool established_ = false;
};

}  // namespace citadel::net::tls
