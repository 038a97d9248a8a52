#include "frame_client.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "protocol/wire.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// The same budgets as EpollClient (see epoll_client.cc for the reasons).
constexpr std::size_t kReadBufferBytes = 256 * 1024;
constexpr int kMaxReadsPerEvent = 4;
constexpr uint32_t kMaxReplyPayloadBytes = 16 * 1024 * 1024;
// An output buffer that grew past this (a burst of frames) is given back once
// it has been sent, so 10,000 connections do not each keep their peak.
constexpr std::size_t kRetainedOutputBytes = 1024;

}  // namespace

FrameClient::FrameClient(FrameClientConfig config, FrameEvents& events)
    : config_(std::move(config)),
      events_(events),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      conns_(config_.connections),
      read_buf_(kReadBufferBytes),
      connector_(connect_settings_of(config_), conns_.size(), epoll_.get(), counters_,
                 [this](ConnId id) -> ConnSlot& { return conns_[id]; }) {
  if (!epoll_.valid()) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  for (Connection& c : conns_) c.reader.set_max_payload_bytes(kMaxReplyPayloadBytes);
  pending_writes_.reserve(conns_.size());
  flushing_.reserve(conns_.size());
}

void FrameClient::start_due_connects(Clock::time_point now) {
  connector_.start_due(now, [&](ConnId id) { finish_connect(id, now); });
}

void FrameClient::finish_connect(ConnId id, Clock::time_point now) {
  if (connector_.finish(id)) events_.on_open(id, now);
}

void FrameClient::send(ConnId id, uint16_t cmd, std::span<const uint8_t> payload) {
  Connection& c = conns_[id];
  if (c.state != State::kOpen) return;
  proto::append_frame(c.out, cmd, payload);
  queue_write(id);
}

void FrameClient::queue_write(ConnId id) {
  Connection& c = conns_[id];
  if (c.write_queued) return;
  c.write_queued = true;
  pending_writes_.push_back(id);
}

void FrameClient::flush_writes() {
  flushing_.swap(pending_writes_);
  if (!batch_tried_ && flushing_.size() > 1) {
    // Made on first use, on the worker thread that sends (an io_uring
    // belongs to the thread that submits).
    batch_tried_ = true;
    batch_ = std::make_unique<net::SendBatch>(kSendBatchEntries);
    if (!batch_->available()) batch_.reset();
  }
  if (batch_ && flushing_.size() > 1) {
    flush_batched();
  } else {
    for (ConnId id : flushing_) {
      conns_[id].write_queued = false;
      if (conns_[id].state == State::kOpen) write_connection(id);
    }
  }
  flushing_.clear();
  if (batch_ && !batch_->available()) batch_.reset();  // the ring failed: send one by one
}

// The same writes as write_connection, up to kSendBatchEntries per
// io_uring submission (each send finishes inside it: MSG_DONTWAIT). The
// send time is taken once, before the first submission.
void FrameClient::flush_batched() {
  const Clock::time_point at = Clock::now();
  batch_->send_all(
      flushing_,
      [&](ConnId id, net::SendRequest& req) {
        Connection& c = conns_[id];
        c.write_queued = false;
        if (c.state != State::kOpen) return -1;
        const std::size_t left = c.out.size() - c.out_sent;
        if (left == 0) {
          set_write_interest(id, false);
          return -1;
        }
        req.iov[0] = {c.out.data() + c.out_sent, left};
        req.msg.msg_iovlen = 1;
        req.offered = left;
        return c.fd.get();
      },
      [&](ConnId id, const net::SendRequest&, int result) {
        if (result == net::SendBatch::kNotSent) return write_connection(id);
        apply_write(id, result, at);
      });
}

void FrameClient::write_connection(ConnId id) {
  Connection& c = conns_[id];
  const std::size_t left = c.out.size() - c.out_sent;
  if (left == 0) {
    set_write_interest(id, false);
    return;
  }
  const Clock::time_point at = Clock::now();
  const ssize_t n =
      ::send(c.fd.get(), c.out.data() + c.out_sent, left, MSG_NOSIGNAL | MSG_DONTWAIT);
  apply_write(id, n < 0 ? -errno : n, at);
}

// One send's result (bytes, or -errno) on connection id, taken at `at`.
void FrameClient::apply_write(ConnId id, ssize_t result, Clock::time_point at) {
  Connection& c = conns_[id];
  if (c.state != State::kOpen) return;
  if (result < 0) {
    if (result == -EAGAIN || result == -EWOULDBLOCK || result == -EINTR) {
      set_write_interest(id, true);
    } else {
      close_connection(id);
    }
    return;
  }
  if (c.out_sent == 0) events_.on_sent(id, at);  // the first bytes of what was queued
  c.out_sent += static_cast<std::size_t>(result);
  if (c.out_sent < c.out.size()) {
    set_write_interest(id, true);  // the kernel buffer is full: wait for room
    return;
  }
  if (c.out.capacity() > kRetainedOutputBytes) {
    std::vector<uint8_t>().swap(c.out);
  } else {
    c.out.clear();
  }
  c.out_sent = 0;
  set_write_interest(id, false);
}

void FrameClient::set_write_interest(ConnId id, bool want) {
  Connection& c = conns_[id];
  if (c.write_armed == want) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.u32 = id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) == 0) c.write_armed = want;
}

void FrameClient::poll(Clock::duration timeout) {
  const auto timeout_ms = static_cast<int>(
      std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(timeout).count()));
  const int n = ::epoll_wait(epoll_.get(), events_buf_.data(), static_cast<int>(events_buf_.size()),
                             timeout_ms);
  for (int i = 0; i < n; ++i) handle_event(events_buf_[i].data.u32, events_buf_[i].events);
}

void FrameClient::handle_event(ConnId id, uint32_t events) {
  Connection& c = conns_[id];
  switch (c.state) {
    case State::kConnecting:
      finish_connect(id, Clock::now());
      return;
    case State::kOpen:
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_connection(id);
      if (c.state == State::kOpen && (events & EPOLLOUT)) queue_write(id);
      return;
    case State::kNotStarted:
    case State::kClosed:
      return;
  }
}

void FrameClient::read_connection(ConnId id) {
  Connection& c = conns_[id];
  for (int i = 0; i < kMaxReadsPerEvent; ++i) {
    const ssize_t n = ::read(c.fd.get(), read_buf_.data(), read_buf_.size());
    if (n == 0) {
      close_connection(id);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_connection(id);
      return;
    }
    const Clock::time_point now = Clock::now();
    const auto result =
        c.reader.feed(std::span<const uint8_t>(read_buf_.data(), static_cast<std::size_t>(n)),
                      [&](const protocol::FrameView& f) {
                        handle_frame(id, f, now);
                        return c.state == State::kOpen;  // the scenario may not close, but be safe
                      });
    if (result.error != protocol::DecodeError::kNone) {
      ++counters_.protocol_errors;
      close_connection(id);
      return;
    }
    if (c.state != State::kOpen || static_cast<std::size_t>(n) < read_buf_.size()) return;
  }
}

void FrameClient::handle_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now) {
  if (frame.cmd == proto::cmd::kPing) {
    ++counters_.server_pings;
    send(id, proto::cmd::kPong, frame.payload);
    return;
  }
  if (frame.cmd == proto::cmd::kError) {
    ++counters_.error_frames;
    uint16_t code = 0;
    std::string_view text;
    if (!first_error_.seen && proto::parse_error_payload(frame.payload, code, text)) {
      first_error_ = {true, code, std::string(text)};
    }
  }
  events_.on_frame(id, frame, now);
}

void FrameClient::close_connection(ConnId id) {
  Connection& c = conns_[id];
  if (c.state != State::kOpen) return;
  c.fd.reset();
  c.state = State::kClosed;
  --counters_.open;
  ++counters_.disconnects;
  std::vector<uint8_t>().swap(c.out);
  c.out_sent = 0;
  c.reader = protocol::FrameReader(kMaxReplyPayloadBytes);
  events_.on_close(id);
}

}  // namespace citadel::bench
