#include "net/acceptor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "protocol/wire.h"

namespace citadel::net {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

boost::asio::ip::address to_address(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &sin6.sin6_addr, bytes.size());
    return boost::asio::ip::address_v6(bytes, sin6.sin6_scope_id);
  }
  const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
  return boost::asio::ip::address_v4(ntohl(sin.sin_addr.s_addr));
}

}  // namespace

Acceptor::Acceptor(EventLoop& accept_loop, std::vector<EventLoop*> io_loops,
                   const std::string& host, uint16_t port, ConnectionLimits& limits,
                   PortWires wires)
    : accept_loop_(accept_loop), io_loops_(std::move(io_loops)), limits_(limits), wires_(wires) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) throw std::system_error(EINVAL, std::generic_category(), "bad listen address " + host);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (address.is_v6()) {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    const auto bytes = address.to_v6().to_bytes();
    std::memcpy(&sin6.sin6_addr, bytes.data(), bytes.size());
    len = sizeof sin6;
  } else {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(address.to_v4().to_uint());
    len = sizeof sin;
  }
  listen_fd_ = UniqueFd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd_.valid()) throw_errno("socket");
  const int one = 1;
  ::setsockopt(listen_fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    throw_errno("bind " + host + ":" + std::to_string(port));
  }
  // A deep backlog absorbs connect storms (thousands of clients at once)
  // while loop 0 catches up; the kernel caps it at net.core.somaxconn.
  if (::listen(listen_fd_.get(), SOMAXCONN) != 0) throw_errno("listen");
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                            : reinterpret_cast<sockaddr_in&>(bound).sin_port);
}

void Acceptor::start_in_loop() {
  CITADEL_ASSERT_IN_LOOP(accept_loop_);
  if (stopped_ || watching_) return;
  accept_loop_.add_fd_in_loop(listen_fd_.get(), EPOLLIN, this);
  watching_ = true;
}

void Acceptor::stop_in_loop() {
  CITADEL_ASSERT_IN_LOOP(accept_loop_);
  stopped_ = true;
  if (watching_) accept_loop_.remove_fd_in_loop(listen_fd_.get());
  watching_ = false;
  listen_fd_.reset();
}

void Acceptor::handle_events_in_loop(uint32_t) {
  CITADEL_ASSERT_IN_LOOP(accept_loop_);
  if (stopped_) return;
  LoopStats& stats = accept_loop_.mutable_stats();
  for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of descriptors (EMFILE/ENFILE) or memory: back off instead of
      // spinning on a listener that stays readable.
      stats.accept_errors.add();
      uint64_t suppressed = 0;
      if (accept_loop_.protocol_error_log_in_loop().allow(accept_loop_.now(), suppressed)) {
        spdlog::error("accept failed: {}; pausing accepts for 100 ms", std::strerror(errno));
      }
      pause_after_error_in_loop();
      return;
    }
    UniqueFd conn_fd(fd);
    const auto peer = to_address(ss);
    const Admission admission = limits_.try_admit(peer);
    if (admission != Admission::kAdmitted) {
      reject(conn_fd.get(), admission);
      continue;
    }
    EventLoop& target = *io_loops_[next_loop_];
    next_loop_ = (next_loop_ + 1) % io_loops_.size();
    // std::function needs a copyable callable, so the descriptor travels as an
    // int and is owned again on arrival.
    target.post([&target, raw = conn_fd.release(), peer, wires = wires_] {
      target.adopt_in_loop(UniqueFd(raw), peer, wires);
    });
  }
}

void Acceptor::pause_after_error_in_loop() {
  accept_loop_.remove_fd_in_loop(listen_fd_.get());
  watching_ = false;
  accept_loop_.run_at_in_loop(accept_loop_.now() + std::chrono::milliseconds(100),
                              [this] { start_in_loop(); });
}

void Acceptor::reject(int fd, Admission why) {
  LoopStats& stats = accept_loop_.mutable_stats();
  const bool full = why == Admission::kServerFull;
  (full ? stats.rejected_server_full : stats.rejected_per_ip).add();
  std::array<uint8_t, 64> frame{};
  const std::string_view text =
      full ? "server full: connection limit reached" : "too many connections from your address";
  protocol::write_header(frame.data(), protocol::cmd::kError,
                         static_cast<uint32_t>(2 + text.size()));
  protocol::store_be16(frame.data() + protocol::kHeaderBytes,
                       static_cast<uint16_t>(full ? protocol::ErrorCode::kServerFull
                                                  : protocol::ErrorCode::kTooManyFromAddress));
  std::memcpy(frame.data() + protocol::kHeaderBytes + 2, text.data(), text.size());
  // A fresh socket's send buffer always has room for one small frame, so this
  // non-blocking send completes; then FIN (the descriptor closes with its
  // owner). The client reads the ERROR and sees the end of the stream.
  (void)::send(fd, frame.data(), protocol::kHeaderBytes + 2 + text.size(),
               MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
}

}  // namespace citadel::net
