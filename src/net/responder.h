// The transport seam: what routers, services and rooms may do with a peer,
// whatever carries it (raw TCP, WebSocket, TLS, both). The network layer's
// Connection implements it; tests and fuzz targets implement it with a
// recorder. No code above net/ names a transport's class. All calls happen on
// the connection's own loop thread.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <span>
#include <string_view>

#include "net/shared_bytes.h"
#include "protocol/wire.h"

namespace citadel::net {

class Responder {
 public:
  // Queues one frame; it goes out with the rest of this loop turn's output in
  // one gather write. The payload is copied, so it may live on the stack.
  virtual void send(uint16_t cmd, std::span<const uint8_t> payload) = 0;
  // Queues an encoded frame (or frames) shared with other recipients, by
  // reference: a broadcast is encoded once per wire encoding, not once per
  // recipient (a WebSocket peer adds only its message header).
  virtual void send_shared(SharedBytes frames) = 0;
  // Queues an ERROR frame (code, text). The connection stays open.
  virtual void send_error(protocol::ErrorCode code, std::string_view text) = 0;
  // Stable id of the connection, for logs and handles held elsewhere.
  virtual uint64_t connection_id() const = 0;
  // The logged-in user on this connection; 0 until a login succeeds. Set by
  // the session layer; the router refuses login-only commands while it is 0.
  virtual uint64_t user_id() const = 0;
  virtual void set_user_id(uint64_t user_id) = 0;
  // The peer's address, for per-address limits.
  virtual const boost::asio::ip::address& peer_address() const = 0;
  // Queues ERROR(code, text) behind pending output, then closes the connection.
  virtual void close_with_error(protocol::ErrorCode code, std::string_view text) = 0;

 protected:
  ~Responder() = default;
};

}  // namespace citadel::net
