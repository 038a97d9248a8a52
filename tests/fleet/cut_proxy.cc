#include "cut_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

namespace citadel::test {
namespace {

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, const char* data, ssize_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    n -= w;
  }
  return true;
}

}  // namespace

CutProxy::CutProxy(uint16_t upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    throw std::runtime_error("CutProxy: cannot listen on loopback");
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

CutProxy::~CutProxy() {
  stop_ = true;
  wake();
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void CutProxy::wake() {
  const char c = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_[1], &c, 1);
}

void CutProxy::cut() {
  cut_ = true;
  wake();
}

void CutProxy::heal() {
  cut_ = false;
  wake();
}

void CutProxy::run() {
  std::vector<std::pair<int, int>> pairs;  // client, upstream
  const auto close_pair = [](const std::pair<int, int>& p) {
    ::close(p.first);
    ::close(p.second);
  };
  char buf[16384];
  while (!stop_) {
    if (cut_) {
      for (const auto& p : pairs) close_pair(p);
      pairs.clear();
    }
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& [c, u] : pairs) {
      fds.push_back({c, POLLIN, 0});
      fds.push_back({u, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
    if (fds[0].revents != 0) {
      ssize_t n = ::read(wake_[0], buf, sizeof buf);
      (void)n;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        const int u = cut_ ? -1 : connect_loopback(upstream_port_);
        if (u < 0) {
          if (cut_) ++refused_;
          ::close(c);
        } else {
          pairs.emplace_back(c, u);
        }
      }
    }
    std::vector<std::size_t> dead;
    for (std::size_t i = 0; 2 + i < fds.size(); i += 2) {
      const std::size_t pair = i / 2;
      bool ok = true;
      for (int side = 0; side < 2 && ok; ++side) {
        if (fds[2 + i + side].revents == 0) continue;
        const int from = side == 0 ? pairs[pair].first : pairs[pair].second;
        const int to = side == 0 ? pairs[pair].second : pairs[pair].first;
        const ssize_t n = ::read(from, buf, sizeof buf);
        ok = n > 0 && write_all(to, buf, n);
      }
      if (!ok) dead.push_back(pair);
    }
    for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
      close_pair(pairs[*it]);
      pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(*it));
    }
  }
  for (const auto& p : pairs) close_pair(p);
}

}  // namespace citadel::test
