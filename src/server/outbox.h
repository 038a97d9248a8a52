// The one way to reach a player's connection by id, from services and rooms
// alike (issue 18's player-link seam). Services and rooms hold ids, never
// Connection pointers; a message for a connection that has meanwhile closed
// is dropped and counted (deliveries_dropped).
//
// Implementations: LocalOutbox (local_outbox.h) reaches the connections of
// this process's I/O loops, by the loop index a connection id carries. A
// fleet's gateway/game split will put an implementation in front of it that
// sends what is meant for another node's connection over the link to it:
// callers do not change.
//
// Every call is thread-safe. `from` is a hint, the loop the caller is
// running on now (a room's executor, an I/O loop) or null: a frame for a
// connection of that same loop is queued at once, with no post and no
// hop; any other goes to the connection's loop as a task. Frames and calls
// from one sender to one connection keep their order either way.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "net/responder.h"
#include "net/shared_bytes.h"

namespace citadel::net {
class EventLoop;
}

namespace citadel::server {

class Outbox {
 public:
  // Queues an encoded frame (or frames) for one connection.
  virtual void send_from(net::EventLoop* from, uint64_t connection_id, net::SharedBytes frame) = 0;
  // Queues the same bytes for many connections: grouped by loop, one task
  // per loop, the bytes shared by every output queue.
  virtual void send_many_from(net::EventLoop* from, std::span<const uint64_t> connection_ids,
                              const net::SharedBytes& frame) = 0;
  // Runs f with the connection on its own loop, if it is still open, else
  // on_gone (if given) on that loop.
  virtual void with_connection_from(net::EventLoop* from, uint64_t connection_id,
                                    std::function<void(net::Responder&)> f,
                                    std::function<void()> on_gone) = 0;

  // The same, from a thread that is no I/O loop's (a service loop's tasks
  // pass no hint: their connections are on every loop).
  void send(uint64_t connection_id, net::SharedBytes frame) {
    send_from(nullptr, connection_id, std::move(frame));
  }
  void send_many(std::span<const uint64_t> connection_ids, const net::SharedBytes& frame) {
    send_many_from(nullptr, connection_ids, frame);
  }
  void with_connection(uint64_t connection_id, std::function<void(net::Responder&)> f,
                       std::function<void()> on_gone = nullptr) {
    with_connection_from(nullptr, connection_id, std::move(f), std::move(on_gone));
  }

 protected:
  ~Outbox() = default;
};

// Encodes one frame (header + payload) into bytes that many queues can share.
net::SharedBytes make_shared_frame(uint16_t cmd, std::span<const uint8_t> payload);

}  // namespace citadel::server
