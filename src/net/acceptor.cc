#include "net/acceptor.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <vector>

#include "net/event_loop.h"
#include "protocol/wire.h"

namespace citadel::net {

Acceptor::Acceptor(EventLoop& accept_loop, std::vector<EventLoop*> io_loops,
                   const boost::asio::ip::tcp::endpoint& endpoint, ConnectionLimits& limits)
    : accept_loop_(accept_loop),
      io_loops_(std::move(io_loops)),
      acceptor_(accept_loop.context()),
      retry_timer_(accept_loop.context()),
      limits_(limits) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  // A deep backlog absorbs connect storms (thousands of clients at once)
  // while the accept loop catches up; the kernel caps it at somaxconn.
  acceptor_.listen(boost::asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void Acceptor::start_in_loop() {
  accept_loop_.assert_in_loop_thread();
  accept_next();
}

void Acceptor::stop_in_loop() {
  accept_loop_.assert_in_loop_thread();
  stopped_ = true;
  boost::system::error_code ec;
  retry_timer_.cancel();
  acceptor_.close(ec);
}

void Acceptor::accept_next() {
  if (stopped_) return;
  EventLoop& target = *io_loops_[next_loop_];
  next_loop_ = (next_loop_ + 1) % io_loops_.size();
  acceptor_.async_accept(target.context(), [this, &target](const boost::system::error_code& ec,
                                                           boost::asio::ip::tcp::socket socket) {
    on_accepted(ec, std::move(socket), target);
  });
}

void Acceptor::on_accepted(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket,
                           EventLoop& target) {
  if (stopped_ || ec == boost::asio::error::operation_aborted) return;
  LoopStats& stats = accept_loop_.mutable_stats();
  if (ec) {
    // Out of descriptors (EMFILE/ENFILE) or a transient error: back off a
    // little instead of spinning on a listener that stays readable.
    stats.accept_errors.add();
    uint64_t suppressed = 0;
    if (accept_loop_.protocol_error_log_in_loop().allow(accept_loop_.now(), suppressed)) {
      spdlog::error("accept failed: {}; retrying in 100 ms", ec.message());
    }
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) accept_next();
    });
    return;
  }
  boost::system::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec);
  if (peer_ec) {  // already gone: nothing to serve
    accept_next();
    return;
  }
  const Admission admission = limits_.try_admit(peer.address());
  if (admission != Admission::kAdmitted) {
    reject(socket, admission);
  } else {
    target.post([&target, s = std::move(socket), address = peer.address()]() mutable {
      target.adopt_in_loop(std::move(s), address);
    });
  }
  accept_next();
}

void Acceptor::reject(boost::asio::ip::tcp::socket& socket, Admission why) {
  LoopStats& stats = accept_loop_.mutable_stats();
  const bool full = why == Admission::kServerFull;
  (full ? stats.rejected_server_full : stats.rejected_per_ip).add();
  std::vector<uint8_t> frame;
  if (full) {
    protocol::append_error_frame(frame, protocol::ErrorCode::kServerFull,
                                 "server full: connection limit reached");
  } else {
    protocol::append_error_frame(frame, protocol::ErrorCode::kTooManyFromAddress,
                                 "too many connections from your address");
  }
  // A fresh socket's send buffer always has room for one small frame, so this
  // non-blocking send completes; then FIN, and the socket closes with its
  // object. The client reads the ERROR and sees the end of the stream.
  (void)::send(socket.native_handle(), frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  boost::system::error_code ec;
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

}  // namespace citadel::net
