#include "fleet/link/link_connection.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "fleet/link/link_messages.h"

namespace citadel::fleet::link {
namespace {

constexpr int kMaxIov = 64;
// Reads per readiness report: a busy link drains what the kernel holds
// without an epoll_wait between reads, and still yields to the loop's other
// sockets after this many.
constexpr int kMaxReadsPerEvent = 4;

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// host:port to a socket address. A literal is parsed; a name is looked up
// (blocking: dials are rare, but production fleets should advertise
// addresses, not names; docs/fleet.md says so).
bool resolve(const std::string& host, uint16_t port, sockaddr_storage& out, socklen_t& len) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return false;
  std::memcpy(&out, found->ai_addr, found->ai_addrlen);
  len = found->ai_addrlen;
  ::freeaddrinfo(found);
  if (out.ss_family == AF_INET) {
    v4->sin_port = htons(port);
  } else {
    v6->sin6_port = htons(port);
  }
  return true;
}

}  // namespace

LinkConnection::LinkConnection(net::EventLoop& loop, Handler& handler, Options options)
    : loop_(loop), handler_(handler), options_(options), reader_(kMaxLinkPayloadBytes) {}

LinkConnection::~LinkConnection() {
  // The owner closes a link before it lets go of it; a link still open here
  // (the loop is being torn down) leaves epoll with its descriptor.
  if (timer_ && loop_.is_in_loop_thread()) loop_.cancel_timer_in_loop(*timer_);
}

void LinkConnection::connect_in_loop(const std::string& host, uint16_t port) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!resolve(host, port, addr, len)) {
    state_ = State::kClosed;
    handler_.on_link_closed(*this, fmt::format("cannot resolve {}", host));
    return;
  }
  fd_.reset(::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) {
    state_ = State::kClosed;
    handler_.on_link_closed(*this, fmt::format("socket: {}", std::strerror(errno)));
    return;
  }
  set_nodelay(fd_.get());
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    const int e = errno;
    fd_.reset();
    state_ = State::kClosed;
    handler_.on_link_closed(*this, fmt::format("connect {}:{}: {}", host, port, std::strerror(e)));
    return;
  }
  state_ = State::kConnecting;
  loop_.add_fd_in_loop(fd_.get(), EPOLLOUT, this);
  std::weak_ptr<LinkConnection> weak = weak_from_this();
  timer_ = loop_.run_at_in_loop(loop_.now() + options_.connect_timeout, [weak] {
    auto self = weak.lock();
    if (!self || self->state_ != State::kConnecting) return;
    self->timer_.reset();
    self->close_in_loop("connect timed out");
  });
}

void LinkConnection::adopt_in_loop(net::UniqueFd fd) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  fd_ = std::move(fd);
  set_nodelay(fd_.get());
  loop_.add_fd_in_loop(fd_.get(), EPOLLIN, this);
  opened_in_loop();
}

void LinkConnection::opened_in_loop() {
  state_ = State::kOpen;
  last_heard_ = loop_.now();
  if (timer_) loop_.cancel_timer_in_loop(*timer_);
  timer_.reset();
  std::weak_ptr<LinkConnection> weak = weak_from_this();
  timer_ = loop_.run_at_in_loop(loop_.now() + options_.heartbeat, [weak] {
    if (auto self = weak.lock()) {
      self->timer_.reset();
      self->heartbeat_in_loop();
    }
  });
  handler_.on_link_open(*this);
}

void LinkConnection::heartbeat_in_loop() {
  if (state_ != State::kOpen) return;
  const auto now = loop_.now();
  if (now - last_heard_ > options_.dead_after) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_heard_);
    close_in_loop(fmt::format("peer silent for {} ms", ms.count()));
    return;
  }
  if (outstanding_nonce_ == 0) {
    outstanding_nonce_ = ++next_nonce_;
    nonce_sent_ = now;
    scratch_.clear();
    append_heartbeat(scratch_, lcmd::kHeartbeat, outstanding_nonce_);
    send_in_loop(scratch_);
  }
  std::weak_ptr<LinkConnection> weak = weak_from_this();
  timer_ = loop_.run_at_in_loop(now + options_.heartbeat, [weak] {
    if (auto self = weak.lock()) {
      self->timer_.reset();
      self->heartbeat_in_loop();
    }
  });
}

void LinkConnection::handle_events_in_loop(uint32_t events) {
  auto self = shared_from_this();  // a handler may drop the owner's reference
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP)) != 0) {
      close_in_loop(fmt::format("connect: {}", std::strerror(err != 0 ? err : ECONNREFUSED)));
      return;
    }
    loop_.modify_fd_in_loop(fd_.get(), EPOLLIN, this);
    opened_in_loop();
    return;
  }
  if (state_ != State::kOpen) return;
  if ((events & EPOLLOUT) != 0) write_in_loop();
  if (state_ == State::kOpen && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) read_in_loop();
}

void LinkConnection::read_in_loop() {
  std::span<uint8_t> buffer = loop_.read_buffer_in_loop();
  for (int i = 0; i < kMaxReadsPerEvent && state_ == State::kOpen; ++i) {
    const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n == 0) return close_in_loop("peer closed the link");
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      return close_in_loop(fmt::format("read: {}", std::strerror(errno)));
    }
    counters_.bytes_in += static_cast<uint64_t>(n);
    last_heard_ = loop_.now();
    const auto result =
        reader_.feed(std::span<const uint8_t>(buffer.data(), static_cast<std::size_t>(n)),
                     [this](const protocol::FrameView& frame) {
                       on_frame_in_loop(frame);
                       return state_ == State::kOpen;
                     });
    if (result.error == protocol::DecodeError::kBadMagic) {
      return close_in_loop("bad magic in a link frame");
    }
    if (result.error == protocol::DecodeError::kFrameTooLarge) {
      return close_in_loop("a link frame over the size limit");
    }
    if (static_cast<std::size_t>(n) < buffer.size()) return;  // the kernel had no more
  }
}

void LinkConnection::on_frame_in_loop(const protocol::FrameView& frame) {
  ++counters_.frames_in;
  if (frame.cmd == lcmd::kHeartbeat) {
    const auto nonce = decode_heartbeat(frame.payload);
    if (!nonce) return close_in_loop("malformed Heartbeat");
    scratch_.clear();
    append_heartbeat(scratch_, lcmd::kHeartbeatAck, *nonce);
    send_in_loop(scratch_);
    return;
  }
  if (frame.cmd == lcmd::kHeartbeatAck) {
    const auto nonce = decode_heartbeat(frame.payload);
    if (!nonce) return close_in_loop("malformed HeartbeatAck");
    if (*nonce == outstanding_nonce_) {
      last_rtt_ = loop_.now() - nonce_sent_;
      outstanding_nonce_ = 0;
    }
    return;
  }
  handler_.on_link_frame(*this, frame.cmd, frame.payload);
}

void LinkConnection::send_in_loop(std::span<const uint8_t> frames) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ != State::kOpen || frames.empty()) return;
  materialise_deliver_in_loop();
  std::memcpy(queue_.append_inline(frames.size()), frames.data(), frames.size());
  ++counters_.frames_out;
  schedule_write_in_loop();
}

void LinkConnection::deliver_in_loop(uint64_t peer_connection_id, const net::SharedBytes& frames) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ != State::kOpen || !frames || frames->empty()) return;
  if (pending_frames_ == frames && pending_ids_.size() < kMaxDeliverIds) {
    pending_ids_.push_back(peer_connection_id);
    ++counters_.delivers_coalesced;
    return;
  }
  materialise_deliver_in_loop();
  pending_frames_ = frames;
  pending_ids_.push_back(peer_connection_id);
  schedule_write_in_loop();
}

void LinkConnection::deliver_copy_in_loop(uint64_t peer_connection_id,
                                          std::span<const uint8_t> frames) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ != State::kOpen || frames.empty()) return;
  materialise_deliver_in_loop();
  head_.clear();
  const uint64_t ids[] = {peer_connection_id};
  append_deliver_head(head_, ids, frames.size());
  uint8_t* at = queue_.append_inline(head_.size() + frames.size());
  std::memcpy(at, head_.data(), head_.size());
  std::memcpy(at + head_.size(), frames.data(), frames.size());
  ++counters_.frames_out;
  schedule_write_in_loop();
}

std::size_t LinkConnection::pending_deliver_bytes() const {
  return pending_frames_ ? pending_frames_->size() + pending_ids_.size() * 8 + 10 : 0;
}

void LinkConnection::materialise_deliver_in_loop() {
  if (!pending_frames_) return;
  head_.clear();
  append_deliver_head(head_, pending_ids_, pending_frames_->size());
  std::memcpy(queue_.append_inline(head_.size()), head_.data(), head_.size());
  queue_.append_shared(std::move(pending_frames_));
  pending_frames_.reset();
  pending_ids_.clear();
  ++counters_.frames_out;
}

void LinkConnection::schedule_write_in_loop() {
  if (queued_bytes() > options_.max_output_bytes) {
    return close_in_loop(
        fmt::format("the peer does not read: over {} bytes queued", options_.max_output_bytes));
  }
  if (write_scheduled_ || want_write_) return;
  write_scheduled_ = true;
  // Posted from the loop's own thread: runs at the end of this turn, after
  // the turn's other work has queued its frames too, with no wake-up.
  loop_.post([weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->write_scheduled_ = false;
      self->write_in_loop();
    }
  });
}

void LinkConnection::write_in_loop() {
  if (state_ != State::kOpen) return;
  materialise_deliver_in_loop();
  while (!queue_.empty()) {
    std::array<iovec, kMaxIov> iov;
    const int count = queue_.gather(iov.data(), kMaxIov);
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = static_cast<std::size_t>(count);
    const ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    ++counters_.writes;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return close_in_loop(fmt::format("write: {}", std::strerror(errno)));
    }
    counters_.bytes_out += static_cast<uint64_t>(n);
    queue_.consume(static_cast<std::size_t>(n));
  }
  const bool need_out = !queue_.empty();
  if (need_out != want_write_) {
    want_write_ = need_out;
    loop_.modify_fd_in_loop(fd_.get(), need_out ? (EPOLLIN | EPOLLOUT) : EPOLLIN, this);
  }
}

void LinkConnection::close_in_loop(std::string_view why) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ == State::kClosed) return;
  auto self = weak_from_this().lock();  // null only while being built
  const bool registered = state_ == State::kConnecting || state_ == State::kOpen;
  state_ = State::kClosed;
  if (timer_) loop_.cancel_timer_in_loop(*timer_);
  timer_.reset();
  if (registered && fd_.valid()) loop_.remove_fd_in_loop(fd_.get());
  fd_.reset();
  pending_frames_.reset();
  pending_ids_.clear();
  handler_.on_link_closed(*this, why);
}

}  // namespace citadel::fleet::link
