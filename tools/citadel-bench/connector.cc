#include "connector.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "connect_targets.h"
#include "epoll_client.h"  // ClientCounters

namespace citadel::bench {
namespace {

constexpr auto kConnectBudgetPerTurn = std::chrono::milliseconds(2);
constexpr uint32_t kMaxConnectsInProgress = 1024;
// With TLS a connect in progress includes the handshake; the server closes
// handshakes past its cap (tls.max_concurrent_handshakes, 512 by default)
// at once, so stay well under it.
constexpr uint32_t kMaxTlsHandshakesInProgress = 256;
// Source ports tried per bind, and sockets tried per connection when the
// chosen port turns out to be in use towards this server already.
constexpr uint32_t kMaxBindAttempts = 64;
constexpr int kMaxConnectAttempts = 8;

}  // namespace

Connector::Connector(ConnectSettings settings, std::size_t total, int epoll_fd,
                     ClientCounters& counters, SlotOf slot_of)
    : settings_(std::move(settings)),
      total_(total),
      epoll_fd_(epoll_fd),
      counters_(counters),
      slot_of_(std::move(slot_of)),
      phase_start_(Clock::now()) {}

void Connector::start_due(Clock::time_point now, const std::function<void(ConnId)>& opened) {
  if (!restarts_.empty()) {
    std::erase_if(restarts_, [&](ConnId id) {
      ConnSlot& c = slot_of_(id);
      if (c.state != ConnState::kConnecting && c.state != ConnState::kHandshaking) return true;
      if (now - c.connect_started < settings_.timeout) return false;
      fail(c);
      return true;
    });
  }
  const Clock::duration elapsed = now - phase_start_;
  if (gave_up_) return;
  if (elapsed >= settings_.phase_limit) {
    gave_up_ = true;
    // Give up: whatever is not open by now will not be.
    for (; next_to_start_ < total_; ++next_to_start_) {
      slot_of_(static_cast<ConnId>(next_to_start_)).state = ConnState::kClosed;
      ++counters_.connect_failed;
    }
    for (; oldest_connecting_ < total_; ++oldest_connecting_) {
      ConnSlot& c = slot_of_(static_cast<ConnId>(oldest_connecting_));
      if (c.state == ConnState::kConnecting || c.state == ConnState::kHandshaking) fail(c);
    }
    return;
  }
  while (oldest_connecting_ < next_to_start_) {
    ConnSlot& c = slot_of_(static_cast<ConnId>(oldest_connecting_));
    if (c.state == ConnState::kConnecting || c.state == ConnState::kHandshaking) {
      if (now - c.connect_started < settings_.timeout) break;
      fail(c);
    }
    ++oldest_connecting_;
  }
  const double elapsed_s = std::chrono::duration<double>(elapsed).count();
  const auto due =
      std::min<std::size_t>(total_, static_cast<std::size_t>(elapsed_s * settings_.rate_per_s) + 1);
  const Clock::time_point budget_end = Clock::now() + kConnectBudgetPerTurn;
  const uint32_t cap = max_in_progress();
  while (next_to_start_ < due && in_progress_ < cap) {
    start(static_cast<ConnId>(next_to_start_++), now, opened);
    if (Clock::now() >= budget_end) break;
  }
}

void Connector::restart(ConnId id, Clock::time_point now,
                        const std::function<void(ConnId)>& opened) {
  ConnSlot& c = slot_of_(id);
  if (c.state != ConnState::kClosed) return;
  restarts_.push_back(id);
  start(id, now, opened);
}

void Connector::start(ConnId id, Clock::time_point now, const std::function<void(ConnId)>& opened) {
  ConnSlot& c = slot_of_(id);
  ++counters_.connects_started;
  c.connect_started = now;
  int rc = -1;
  for (int attempt = 0; attempt < kMaxConnectAttempts; ++attempt) {
    c.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!c.fd.valid()) break;
    // Requests are small frames, often pipelined: Nagle would hold them back.
    const int one = 1;
    ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const bool bound = bind_source_port(c.fd.get());
    const sockaddr_in& to = server_for(settings_.server, settings_.also_servers, id);
    rc = ::connect(c.fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
    const int connect_errno = errno;  // before close() can touch it
    if (rc == 0 || connect_errno == EINPROGRESS) break;
    c.fd.reset();
    // EADDRNOTAVAIL after our own bind: that port already has a connection to
    // this server (another bench process, or TIME_WAIT): try another port.
    if (!bound || connect_errno != EADDRNOTAVAIL) break;
  }
  if (!c.fd.valid()) {
    c.state = ConnState::kClosed;
    ++counters_.connect_failed;
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLOUT;  // writable = the handshake finished, one way or the other
  ev.data.u32 = id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd.get(), &ev) != 0) {
    c.fd.reset();
    c.state = ConnState::kClosed;
    ++counters_.connect_failed;
    return;
  }
  c.state = ConnState::kConnecting;
  ++in_progress_;
  if (rc == 0) opened(id);
}

bool Connector::bind_source_port(int fd) {
  if (!settings_.source_ports) return false;
  // Lets us take a port that only a TIME_WAIT socket of an earlier run holds;
  // connect() still refuses a 4-tuple that is really in use.
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  const uint32_t tries = std::min(kMaxBindAttempts, settings_.source_ports->size());
  for (uint32_t i = 0; i < tries; ++i) {
    local.sin_port = htons(settings_.source_ports->next());
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) == 0) return true;
    if (errno != EADDRINUSE) break;
  }
  return false;  // unbound: connect() picks a port itself
}

uint32_t Connector::max_in_progress() const {
  const bool tls = settings_.stream && client::transport::uses_tls(settings_.stream->transport);
  return tls ? kMaxTlsHandshakesInProgress : kMaxConnectsInProgress;
}

void Connector::fail(ConnSlot& c) {
  c.fd.reset();
  c.stream.reset();
  c.state = ConnState::kClosed;
  --in_progress_;
  ++counters_.connect_failed;
}

ConnState Connector::finish(ConnId id, std::vector<uint8_t>& first_bytes) {
  ConnSlot& c = slot_of_(id);
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    fail(c);
    return ConnState::kClosed;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) {
    fail(c);
    return ConnState::kClosed;
  }
  if (settings_.stream && settings_.stream->transport != client::transport::Transport::kTcp) {
    c.stream = std::make_unique<ClientStream>(*settings_.stream);
    c.state = ConnState::kHandshaking;
    if (c.stream->start(first_bytes) == ClientStream::Status::kFailed) {
      fail(c);
      return ConnState::kClosed;
    }
    return ConnState::kHandshaking;
  }
  opened(id);
  return ConnState::kOpen;
}

void Connector::opened(ConnId id) {
  ConnSlot& c = slot_of_(id);
  c.state = ConnState::kOpen;
  --in_progress_;
  ++counters_.connected;
  ++counters_.open;
}

void Connector::failed(ConnId id) {
  ConnSlot& c = slot_of_(id);
  if (c.state == ConnState::kHandshaking) fail(c);
}

}  // namespace citadel::bench
