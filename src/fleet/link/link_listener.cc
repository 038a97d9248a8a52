#include "fleet/link/link_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace citadel::fleet::link {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string peer_name(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (ss.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
    ::inet_ntop(AF_INET6, &sin6.sin6_addr, text, sizeof text);
    port = ntohs(sin6.sin6_port);
  } else {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &sin.sin_addr, text, sizeof text);
    port = ntohs(sin.sin_port);
  }
  return std::string(text) + ":" + std::to_string(port);
}

}  // namespace

LinkListener::LinkListener(net::EventLoop& loop, const std::string& host, uint16_t port,
                           OnAccept on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto& sin = reinterpret_cast<sockaddr_in&>(ss);
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  if (::inet_pton(AF_INET, host.c_str(), &sin.sin_addr) == 1) {
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    len = sizeof sin;
  } else if (::inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) == 1) {
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    len = sizeof sin6;
  } else {
    throw std::system_error(EINVAL, std::generic_category(), "bad link listen address " + host);
  }
  listen_fd_.reset(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_fd_.valid()) throw_errno("socket");
  const int one = 1;
  ::setsockopt(listen_fd_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    throw_errno("bind link port " + host + ":" + std::to_string(port));
  }
  if (::listen(listen_fd_.get(), 128) != 0) throw_errno("listen");
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  ::getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                            : reinterpret_cast<sockaddr_in&>(bound).sin_port);
}

LinkListener::~LinkListener() = default;

void LinkListener::start_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (watching_ || !listen_fd_.valid()) return;
  loop_.add_fd_in_loop(listen_fd_.get(), EPOLLIN, this);
  watching_ = true;
}

void LinkListener::stop_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (watching_) loop_.remove_fd_in_loop(listen_fd_.get());
  watching_ = false;
  listen_fd_.reset();
}

void LinkListener::handle_events_in_loop(uint32_t) {
  for (int i = 0; i < 64 && listen_fd_.valid(); ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::warn("link accept failed: {}", std::strerror(errno));
      }
      return;
    }
    on_accept_(net::UniqueFd(fd), peer_name(ss));
  }
}

}  // namespace citadel::fleet::link
