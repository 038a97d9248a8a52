// Accepts connections on one loop and deals them round-robin to the I/O loops.
// Each socket is created on its target loop's io_context, so it is registered
// with that loop's epoll from the start and never migrates.
// Admission (global and per-address caps) is decided here, before a
// connection object exists: a refused client gets one ERROR frame and a FIN.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <vector>

#include "net/connection_limits.h"

namespace citadel::net {

class EventLoop;

class Acceptor {
 public:
  // Binds and listens at once (throws boost::system::system_error on
  // failure); accepting starts with start().
  Acceptor(EventLoop& accept_loop, std::vector<EventLoop*> io_loops,
           const boost::asio::ip::tcp::endpoint& endpoint, ConnectionLimits& limits);

  uint16_t port() const { return port_; }
  // Loop thread of accept_loop.
  void start_in_loop();
  void stop_in_loop();

 private:
  void accept_next();
  void on_accepted(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket,
                   EventLoop& target);
  void reject(boost::asio::ip::tcp::socket& socket, Admission why);

  EventLoop& accept_loop_;
  std::vector<EventLoop*> io_loops_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  ConnectionLimits& limits_;
  uint16_t port_ = 0;
  std::size_t next_loop_ = 0;
  bool stopped_ = false;
};

}  // namespace citadel::net
