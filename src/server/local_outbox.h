// The Outbox of one process: reaches the connections of its I/O loops by
// the loop index in the top bits of a connection id (EventLoop::loop_of).
// A connection that closed meanwhile is not found on its loop: the frame is
// dropped and counted in that loop's deliveries_dropped.
//
// Thread-safe, no lock: each call either runs on the caller's own loop (the
// `from` hint names the connection's loop) or posts one task per target
// loop.
#pragma once

#include <vector>

#include "server/outbox.h"

namespace citadel::server {

class LocalOutbox final : public Outbox {
 public:
  explicit LocalOutbox(std::vector<net::EventLoop*> io_loops);

  void send_from(net::EventLoop* from, uint64_t connection_id, net::SharedBytes frame) override;
  void send_many_from(net::EventLoop* from, std::span<const uint64_t> connection_ids,
                      const net::SharedBytes& frame) override;
  void with_connection_from(net::EventLoop* from, uint64_t connection_id,
                            std::function<void(net::Responder&)> f,
                            std::function<void()> on_gone) override;

 private:
  net::EventLoop* loop_of(uint64_t connection_id) const;

  const std::vector<net::EventLoop*> loops_;
};

}  // namespace citadel::server
