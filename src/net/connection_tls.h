// A Connection's TLS side: the session over memory BIOs and the ciphertext
// waiting for the socket. Allocated only for a connection whose first byte
// is a TLS handshake record, so a raw-TCP connection pays one null pointer.
#pragma once

#include "net/connection.h"
#include "net/output_queue.h"
#include "net/tls/tls_session.h"

namespace citadel::net {

struct TlsState {
  explicit TlsState(const tls::ContextPtr& context) : session(context, /*server=*/true) {}

  tls::TlsSession session;
  // Encrypted output, in order, waiting for the socket. Plaintext queues in
  // the connection's own OutputQueue as on every wire, and is encrypted when
  // the loop flushes (one SSL_write per connection per turn).
  OutputQueue ciphertext;
  // Counted in the loop's handshakes in progress until it completes or the
  // connection dies.
  bool holds_handshake_slot = false;
};

}  // namespace citadel::net
