// Reaches connections on any loop by connection id, from any thread. Services
// and rooms hold ids, never Connection pointers: a message for a connection
// that has meanwhile closed is dropped and counted (deliveries_dropped).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "net/responder.h"
#include "net/shared_bytes.h"

namespace citadel::server {

class Outbox {
 public:
  // Queues an encoded frame (or frames) for one connection. Thread-safe.
  virtual void send(uint64_t connection_id, net::SharedBytes frame) = 0;
  // Queues the same bytes for many connections: grouped by loop, one task
  // per loop, the bytes shared by every output queue. Thread-safe.
  virtual void send_many(const std::vector<uint64_t>& connection_ids, net::SharedBytes frame) = 0;
  // Runs f with the connection on its own loop, if it is still open, else
  // on_gone (if given) on that loop. Thread-safe; both run later.
  virtual void with_connection(uint64_t connection_id, std::function<void(net::Responder&)> f,
                               std::function<void()> on_gone = nullptr) = 0;

 protected:
  ~Outbox() = default;
};

// Encodes one frame (header + payload) into bytes that many queues can share.
net::SharedBytes make_shared_frame(uint16_t cmd, std::span<const uint8_t> payload);

}  // namespace citadel::server
