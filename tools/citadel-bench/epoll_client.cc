#include "epoll_client.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <system_error>

#include "protocol/wire.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// One read buffer per thread; big enough that a turn rarely needs a second read.
constexpr std::size_t kReadBufferBytes = 256 * 1024;
// Reads per readiness event before moving on, so one busy connection cannot
// starve the others in a turn (level-triggered: the rest waits for next turn).
constexpr int kMaxReadsPerEvent = 4;
// The shared request block holds at least this much, so one send can carry a
// deep pipeline of small frames; larger than a socket send buffer is useless.
constexpr std::size_t kTargetBlockBytes = 256 * 1024;
// The client is lenient about reply sizes; the server enforces its own limit.
constexpr uint32_t kMaxReplyPayloadBytes = 16 * 1024 * 1024;
// PONGs owed to the server beyond this are dropped and counted.
constexpr std::size_t kMaxControlBytes = 4096;

}  // namespace

EpollClient::EpollClient(ClientConfig config, ConnectionEvents& events)
    : config_(std::move(config)),
      events_(events),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      conns_(config_.connections),
      read_buf_(kReadBufferBytes),
      connector_(connect_settings_of(config_), conns_.size(), epoll_.get(), counters_,
                 [this](ConnId id) -> ConnSlot& { return conns_[id]; }) {
  if (!epoll_.valid()) throw std::system_error(errno, std::generic_category(), "epoll_create1");

  frame_bytes_ = proto::kHeaderBytes + config_.request_payload.size();
  const std::size_t frames =
      std::clamp<std::size_t>(kTargetBlockBytes / frame_bytes_, 1, config_.max_in_flight);
  block_.reserve(frames * frame_bytes_);
  for (std::size_t i = 0; i < frames; ++i) {
    proto::append_frame(block_, config_.request_cmd, config_.request_payload);
  }

  const uint32_t slots = ring_slots_for(config_.max_in_flight);
  ring_slab_.resize(std::size_t{slots} * conns_.size());
  for (std::size_t i = 0; i < conns_.size(); ++i) {
    conns_[i].sent = SendTimeRing(std::span(ring_slab_).subspan(i * slots, slots));
    conns_[i].reader.set_max_payload_bytes(kMaxReplyPayloadBytes);
  }
  pending_writes_.reserve(conns_.size());
  flushing_.reserve(conns_.size());
}

void EpollClient::start_due_connects(Clock::time_point now) {
  connector_.start_due(now, [&](ConnId id) { finish_connect(id, now); });
}

void EpollClient::finish_connect(ConnId id, Clock::time_point now) {
  if (connector_.finish(id)) events_.on_open(id, now);
}

uint32_t EpollClient::in_flight(ConnId id) const {
  return conns_[id].sent.size() + conns_[id].unstamped;
}

bool EpollClient::is_open(ConnId id) const {
  return conns_[id].state == State::kOpen;
}

uint32_t EpollClient::request(ConnId id, uint32_t n) {
  Connection& c = conns_[id];
  if (c.state != State::kOpen) return 0;
  n = std::min(n, config_.max_in_flight - in_flight(id));
  if (n == 0) return 0;
  c.unstamped += n;
  c.unsent_bytes += std::size_t{n} * frame_bytes_;
  queue_write(id);
  return n;
}

void EpollClient::queue_write(ConnId id) {
  Connection& c = conns_[id];
  if (c.write_queued) return;
  c.write_queued = true;
  pending_writes_.push_back(id);
}

void EpollClient::flush_writes() {
  // Swap first: a connection whose output outlasts one send queues itself again.
  flushing_.swap(pending_writes_);
  for (ConnId id : flushing_) {
    conns_[id].write_queued = false;
    if (conns_[id].state == State::kOpen) write_connection(id);
  }
  flushing_.clear();
}

void EpollClient::write_connection(ConnId id) {
  Connection& c = conns_[id];
  // A request's latency runs from the send that carries it; stamping here, not
  // when it was queued, leaves the loop's own turn time out of the figure.
  if (c.unstamped > 0) {
    const Clock::time_point now = Clock::now();
    counters_.requests_sent += c.unstamped;
    for (; c.unstamped > 0; --c.unstamped) c.sent.push(now);
  }

  // A PONG may only go out between two request frames: first if a PONG is
  // already half sent or the stream is at a frame boundary, else after the
  // current frame's tail.
  iovec iov[2];
  int iov_count = 0;
  const std::size_t control_left = c.control_out.size() - c.control_sent;
  const bool control_first = control_left > 0 && (c.control_sent > 0 || c.stream_offset == 0);
  if (control_first) iov[iov_count++] = {c.control_out.data() + c.control_sent, control_left};
  std::size_t stream_len = std::min(c.unsent_bytes, block_.size() - c.stream_offset);
  if (control_left > 0 && !control_first) {
    stream_len = std::min<std::size_t>(stream_len, frame_bytes_ - c.stream_offset);
  }
  if (stream_len > 0) iov[iov_count++] = {block_.data() + c.stream_offset, stream_len};
  if (iov_count == 0) {
    set_write_interest(id, false);
    return;
  }

  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<std::size_t>(iov_count);
  const ssize_t written = ::sendmsg(c.fd.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (written < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      set_write_interest(id, true);
    } else {
      close_connection(id);
    }
    return;
  }

  std::size_t left = static_cast<std::size_t>(written);
  if (control_first) {
    const std::size_t take = std::min(left, control_left);
    c.control_sent += take;
    left -= take;
    if (c.control_sent == c.control_out.size()) {
      c.control_out.clear();
      c.control_sent = 0;
    }
  }
  c.unsent_bytes -= left;
  c.stream_offset = static_cast<uint32_t>((c.stream_offset + left) % frame_bytes_);

  const bool more = c.unsent_bytes > 0 || !c.control_out.empty();
  const std::size_t wanted = (control_first ? control_left : 0) + stream_len;
  if (!more) {
    set_write_interest(id, false);
  } else if (static_cast<std::size_t>(written) < wanted) {
    set_write_interest(id, true);  // the kernel buffer is full: wait for room
  } else {
    queue_write(id);  // only our own per-send cap stopped it: go on next turn
  }
}

void EpollClient::set_write_interest(ConnId id, bool want) {
  Connection& c = conns_[id];
  if (c.write_armed == want) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.u32 = id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) == 0) c.write_armed = want;
}

void EpollClient::poll(Clock::duration timeout) {
  // Round up, so a 0.3 ms wait for a timer does not turn into a busy spin.
  const auto timeout_ms = static_cast<int>(
      std::max<int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(timeout).count()));
  const int n = ::epoll_wait(epoll_.get(), events_buf_.data(), static_cast<int>(events_buf_.size()),
                             timeout_ms);
  for (int i = 0; i < n; ++i) handle_event(events_buf_[i].data.u32, events_buf_[i].events);
}

void EpollClient::handle_event(ConnId id, uint32_t events) {
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
      return;  // closed earlier in this batch of events
  }
}

void EpollClient::read_connection(ConnId id) {
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
                      [&](const protocol::FrameView& f) { return handle_frame(id, f, now); });
    if (result.error != protocol::DecodeError::kNone) {
      ++counters_.protocol_errors;
      close_connection(id);
      return;
    }
    if (static_cast<std::size_t>(n) < read_buf_.size()) return;
  }
}

bool EpollClient::handle_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now) {
  Connection& c = conns_[id];
  switch (frame.cmd) {
    case proto::cmd::kError: {
      ++counters_.error_frames;
      uint16_t code = 0;
      std::string_view text;
      if (!first_error_.seen && proto::parse_error_payload(frame.payload, code, text)) {
        first_error_ = {true, code, std::string(text)};
      }
      // The server answers in order, so an ERROR while requests are in flight
      // stands for the oldest one's reply; freeing its slot keeps the pipeline
      // full if the server keeps the connection open.
      if (!c.sent.empty()) {
        c.sent.pop();
        events_.on_reply(id, ReplyStatus::kError, {}, now);
      }
      return true;
    }
    case proto::cmd::kPing: {
      // PING goes either way; a client that ignored it could be dropped as dead.
      ++counters_.server_pings;
      if (c.control_out.size() + proto::kHeaderBytes + frame.payload.size() > kMaxControlBytes) {
        ++counters_.pongs_dropped;
        return true;
      }
      proto::append_frame(c.control_out, proto::cmd::kPong, frame.payload);
      queue_write(id);
      return true;
    }
    default:
      break;
  }
  if (c.sent.empty()) {
    ++counters_.replies_mismatched;  // nothing in flight that this could answer
    return true;
  }
  const Clock::time_point sent_at = c.sent.pop();
  if (frame.cmd != config_.reply_cmd || frame.payload.size() != config_.request_payload.size()) {
    ++counters_.replies_mismatched;
    events_.on_reply(id, ReplyStatus::kMismatch, {}, now);
    return true;
  }
  ++counters_.replies_ok;
  if (!c.answered) {
    c.answered = true;
    ++counters_.open_answered;
  }
  events_.on_reply(id, ReplyStatus::kOk, now - sent_at, now);
  return true;
}

void EpollClient::close_connection(ConnId id) {
  Connection& c = conns_[id];
  if (c.state != State::kOpen) return;
  c.fd.reset();
  c.state = State::kClosed;
  --counters_.open;
  ++counters_.disconnects;
  if (c.answered) --counters_.open_answered;
  c.sent.clear();
  c.unstamped = 0;
  c.unsent_bytes = 0;
  std::vector<uint8_t>().swap(c.control_out);
  c.reader = protocol::FrameReader(kMaxReplyPayloadBytes);
}

}  // namespace citadel::bench
