// Accepts connections on one loop and deals them round-robin to the I/O loops
// (the accepted descriptor is handed over by post; its connection then lives
// on that loop only). Admission (global and per-address caps) is decided here,
// before a connection object exists: a refused client gets one ERROR frame
// and a FIN.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "net/connection_limits.h"
#include "net/event_loop.h"
#include "net/unique_fd.h"

namespace citadel::net {

class Acceptor final : public IoHandler {
 public:
  // Binds and listens at once; throws std::system_error on failure (e.g. the
  // port is in use). Accepting starts with start_in_loop().
  Acceptor(EventLoop& accept_loop, std::vector<EventLoop*> io_loops, const std::string& host,
           uint16_t port, ConnectionLimits& limits, PortWires wires = PortWires::kAll);

  uint16_t port() const { return port_; }
  // Loop thread of accept_loop.
  void start_in_loop();
  void stop_in_loop();
  void handle_events_in_loop(uint32_t events) override;

 private:
  void reject(int fd, Admission why);
  void pause_after_error_in_loop();

  // Accepts per readiness report; the rest wait for the next turn so a
  // connect storm cannot monopolise loop 0.
  static constexpr int kMaxAcceptsPerTurn = 256;

  EventLoop& accept_loop_;
  std::vector<EventLoop*> io_loops_;
  ConnectionLimits& limits_;
  const PortWires wires_;
  UniqueFd listen_fd_;
  uint16_t port_ = 0;
  std::size_t next_loop_ = 0;
  bool watching_ = false;
  bool stopped_ = false;
};

}  // namespace citadel::net
