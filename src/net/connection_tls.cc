// The TLS half of Connection (declared in connection.h): the handshake, the
// record layer in and out, and its limits. Inside TLS the plaintext goes
// through on_bytes() like a plain socket's bytes, so raw frames and
// WebSocket (wss) both work over it.
#include <spdlog/spdlog.h>

#include <cstring>

#include "net/connection.h"
#include "net/connection_tls.h"
#include "net/tls/tls_context.h"

namespace citadel::net {

namespace {
// A loop keeps a scratch buffer this large between turns; a larger one
// (a burst to one TLS peer) is released after use.
constexpr std::size_t kRetainedScratchBytes = 256 * 1024;
}  // namespace

bool Connection::tls_handshaking() const {
  return tls_ && !tls_->session.handshake_done();
}

bool Connection::start_tls_in_loop() {
  const ConnectionOptions& options = loop_.options();
  uint32_t& in_progress = loop_.tls_handshakes_in_loop();
  LoopStats& stats = loop_.mutable_stats();
  tls::ContextPtr context = options.tls->current();
  if (in_progress >= options.tls_max_handshakes_per_loop || !context) {
    stats.tls_handshakes_refused.add();
    uint64_t suppressed = 0;
    if (loop_.protocol_error_log_in_loop().allow(loop_.now(), suppressed)) {
      ops::log_conn(spdlog::level::warn, id_,
                    "from {}: TLS handshake refused, {} already in progress on this loop{}",
                    peer_.to_string(), in_progress,
                    suppressed ? fmt::format("; {} similar lines suppressed", suppressed) : "");
    }
    abort_in_loop(CloseReason::kTlsHandshake);
    return false;
  }
  tls_ = std::make_unique<TlsState>(context);
  tls_->holds_handshake_slot = true;
  ++in_progress;
  return true;
}

void Connection::refuse_plaintext_in_loop() {
  loop_.mutable_stats().tls_handshake_failures.add();
  uint64_t suppressed = 0;
  if (loop_.protocol_error_log_in_loop().allow(loop_.now(), suppressed)) {
    ops::log_conn(spdlog::level::warn, id_,
                  "from {}: TLS handshake failed: not a TLS record on the TLS-only port{}",
                  peer_.to_string(),
                  suppressed ? fmt::format("; {} similar lines suppressed", suppressed) : "");
  }
  abort_in_loop(CloseReason::kTlsHandshake);
}

void Connection::on_tls_bytes(std::span<const uint8_t> ciphertext) {
  LoopStats& stats = loop_.mutable_stats();
  tls_->session.feed(ciphertext);
  // The ciphertext is copied into the session, so the loop's read buffer
  // can take the plaintext.
  const auto plaintext = loop_.read_buffer_in_loop();
  for (;;) {
    std::size_t n = 0;
    const auto result = tls_->session.read(plaintext, n);
    if (tls_->holds_handshake_slot && tls_->session.handshake_done()) {
      tls_->holds_handshake_slot = false;
      --loop_.tls_handshakes_in_loop();
      stats.tls_handshakes.add();
      ops::log_conn(spdlog::level::debug, id_, "TLS handshake done ({})",
                    tls_->session.protocol_version());
    }
    if (result == tls::TlsSession::Read::kData) {
      on_bytes(plaintext.first(n));
      if (state_ != State::kOpen) break;
      continue;
    }
    if (result == tls::TlsSession::Read::kWantMore) break;
    if (result == tls::TlsSession::Read::kPeerClosed) {
      take_tls_ciphertext();
      on_peer_closed();
      return;
    }
    // Failed: the alert OpenSSL queued goes out, then the connection closes.
    const bool in_handshake = !tls_->session.handshake_done();
    (in_handshake ? stats.tls_handshake_failures : stats.tls_errors).add();
    uint64_t suppressed = 0;
    if (loop_.protocol_error_log_in_loop().allow(loop_.now(), suppressed)) {
      ops::log_conn(spdlog::level::warn, id_, "from {}: {} (closing){}", peer_.to_string(),
                    tls_->session.error(),
                    suppressed ? fmt::format("; {} similar lines suppressed", suppressed) : "");
    }
    take_tls_ciphertext();
    begin_close_in_loop(in_handshake ? CloseReason::kTlsHandshake : CloseReason::kTlsError);
    return;
  }
  // Handshake flights (and alerts) the reads produced.
  take_tls_ciphertext();
}

void Connection::encrypt_output_in_loop() {
  if (!tls_ || output_.empty() || tls_handshaking()) return;
  if (!tls_->session.error().empty()) {
    // The session failed (its alert is queued): nothing more can be said.
    loop_.mutable_stats().output_queue_bytes.sub(output_.bytes());
    output_.consume(output_.bytes());
    return;
  }
  std::vector<uint8_t>& scratch = loop_.tls_scratch_in_loop();
  const std::size_t plain_bytes = output_.bytes();
  scratch.resize(plain_bytes);
  std::size_t at = 0;
  while (!output_.empty()) {
    iovec iov[kMaxSendIovecs];
    const int count = output_.gather(iov, kMaxSendIovecs);
    std::size_t taken = 0;
    for (int i = 0; i < count; ++i) {
      std::memcpy(scratch.data() + at, iov[i].iov_base, iov[i].iov_len);
      at += iov[i].iov_len;
      taken += iov[i].iov_len;
    }
    output_.consume(taken);
  }
  loop_.mutable_stats().output_queue_bytes.sub(plain_bytes);
  const bool written = tls_->session.write(scratch);
  if (scratch.capacity() > kRetainedScratchBytes) {
    std::vector<uint8_t>().swap(scratch);
  }
  if (!written) {
    loop_.mutable_stats().tls_errors.add();
    ops::log_conn(spdlog::level::warn, id_, "from {}: {} (closing)", peer_.to_string(),
                  tls_->session.error());
    abort_in_loop(CloseReason::kTlsError);
    return;
  }
  take_tls_ciphertext();
}

void Connection::take_tls_ciphertext() {
  const std::size_t n = tls_->session.pending_ciphertext();
  if (n == 0) return;
  uint8_t* dst = tls_->ciphertext.append_inline(n);
  std::size_t got = 0;
  while (got < n) {
    const std::size_t k = tls_->session.take_ciphertext({dst + got, n - got});
    if (k == 0) break;
    got += k;
  }
  loop_.mutable_stats().output_queue_bytes.add(n);
  // A memory BIO hands over all it reported pending; anything else would
  // put garbage on the wire.
  if (got != n) abort_in_loop(CloseReason::kTlsError);
}

}  // namespace citadel::net
