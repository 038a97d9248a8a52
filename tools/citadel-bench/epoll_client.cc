#include "epoll_client.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <system_error>

#include "client/transport/client_stream.h"
#include "protocol/wire.h"
#include "read_budgets.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// The shared request block holds at least this much, so one send can carry a
// deep pipeline of small frames; larger than a socket send buffer is useless.
constexpr std::size_t kTargetBlockBytes = 256 * 1024;
// PONGs owed to the server beyond this are dropped and counted.
constexpr std::size_t kMaxControlBytes = 4096;
// Decrypted records land here: several 16 KiB records per read.
constexpr std::size_t kPlainBufferBytes = 64 * 1024;
// Plaintext sealed per send (whole requests, at least one): about what a
// socket takes at once, so little ciphertext waits in wire_out.
constexpr std::size_t kMaxSealBytes = 64 * 1024;

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

  // Each request in the stream's framing: as it is over tcp and tls, a masked
  // binary message over ws and wss (a key of its own for every copy).
  const auto transport =
      config_.stream ? config_.stream->transport : client::transport::Transport::kTcp;
  encrypted_ = client::transport::uses_tls(transport);
  frame_bytes_ = client::transport::framed_bytes(transport, config_.request_payload.size());
  const std::size_t frames =
      std::clamp<std::size_t>(kTargetBlockBytes / frame_bytes_, 1, config_.max_in_flight);
  block_.reserve(frames * frame_bytes_);
  client::transport::MaskKeys keys;
  for (std::size_t i = 0; i < frames; ++i) {
    client::transport::append_framed(transport, keys, block_, config_.request_cmd,
                                     config_.request_payload);
  }
  if (transport != client::transport::Transport::kTcp) plain_buf_.resize(kPlainBufferBytes);

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
  Connection& c = conns_[id];
  switch (connector_.finish(id, c.wire_out)) {
    case State::kOpen:
      events_.on_open(id, now);
      return;
    case State::kHandshaking:
      flush_handshake(id);
      return;
    default:
      return;
  }
}

void EpollClient::flush_handshake(ConnId id) {
  if (send_wire_out(id)) set_write_interest(id, false);
}

bool EpollClient::send_wire_out(ConnId id) {
  Connection& c = conns_[id];
  while (c.wire_sent < c.wire_out.size()) {
    const ssize_t n = ::send(c.fd.get(), c.wire_out.data() + c.wire_sent,
                             c.wire_out.size() - c.wire_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        set_write_interest(id, true);
      } else {
        close_connection(id);
      }
      return false;
    }
    c.wire_sent += static_cast<std::size_t>(n);
  }
  c.wire_out.clear();
  c.wire_sent = 0;
  return true;
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
    if (conns_[id].state == State::kOpen) {
      write_connection(id);
    } else if (conns_[id].state == State::kHandshaking) {
      flush_handshake(id);
    }
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
  if (encrypted_) {
    write_sealed(id);
    return;
  }
  if (!c.wire_out.empty() && !send_wire_out(id)) return;

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

// tls, wss: ciphertext left over first; then PONGs owed and up to
// kMaxSealBytes of whole requests from the block, sealed with one SSL_write
// each, in one send. Requests always go whole (stream_offset stays 0), so
// records the stream adds by itself (a pong, a close) fall between them.
void EpollClient::write_sealed(ConnId id) {
  Connection& c = conns_[id];
  if (!c.wire_out.empty() && !send_wire_out(id)) return;
  sealed_.clear();
  if (!c.control_out.empty()) {
    if (!c.stream->seal(c.control_out, sealed_)) return close_connection(id);
    c.control_out.clear();
    c.control_sent = 0;
  }
  const std::size_t most = std::max(frame_bytes_, kMaxSealBytes / frame_bytes_ * frame_bytes_);
  const std::size_t stream_len = std::min({c.unsent_bytes, block_.size(), most});
  if (stream_len > 0) {
    if (!c.stream->seal(std::span(block_.data(), stream_len), sealed_)) {
      return close_connection(id);
    }
    c.unsent_bytes -= stream_len;
  }
  if (sealed_.empty()) {
    set_write_interest(id, false);
    return;
  }
  ssize_t n = ::send(c.fd.get(), sealed_.data(), sealed_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return close_connection(id);
    n = 0;
  }
  if (static_cast<std::size_t>(n) < sealed_.size()) {
    c.wire_out.assign(sealed_.begin() + n, sealed_.end());
    c.wire_sent = 0;
    set_write_interest(id, true);  // the kernel buffer is full: wait for room
  } else if (c.unsent_bytes > 0) {
    queue_write(id);  // only our own per-send cap stopped it: go on next turn
  } else {
    set_write_interest(id, false);
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
    case State::kHandshaking:
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) read_connection(id);
      if ((c.state == State::kOpen || c.state == State::kHandshaking) && (events & EPOLLOUT)) {
        queue_write(id);
      }
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
    const std::span<const uint8_t> bytes(read_buf_.data(), static_cast<std::size_t>(n));
    if (c.stream) {
      if (!receive_stream(id, bytes, now)) return;
    } else {
      const auto result = c.reader.feed(
          bytes, [&](const protocol::FrameView& f) { return handle_frame(id, f, now); });
      if (result.error != protocol::DecodeError::kNone) {
        ++counters_.protocol_errors;
        close_connection(id);
        return;
      }
    }
    if (static_cast<std::size_t>(n) < read_buf_.size()) return;
  }
}

// The Citadel bytes a stream hands on, into the connection's FrameReader.
class EpollClient::StreamReader final : public client::transport::StreamSink {
 public:
  StreamReader(EpollClient& client, ConnId id, Clock::time_point now)
      : client_(client), id_(id), now_(now) {}
  bool on_stream_bytes(std::span<const uint8_t> bytes) override {
    const auto result = client_.conns_[id_].reader.feed(
        bytes, [&](const protocol::FrameView& f) { return client_.handle_frame(id_, f, now_); });
    bad_ = result.error != protocol::DecodeError::kNone;
    return !bad_;
  }
  bool bad() const { return bad_; }

 private:
  EpollClient& client_;
  const ConnId id_;
  const Clock::time_point now_;
  bool bad_ = false;
};

// Wire bytes of a ws, tls or wss connection, open or still in its
// handshake. False once the connection is closed or failed.
bool EpollClient::receive_stream(ConnId id, std::span<const uint8_t> bytes, Clock::time_point now) {
  Connection& c = conns_[id];
  const bool was_open = c.state == State::kOpen;
  StreamReader sink(*this, id, now);
  reply_.clear();
  const ClientStream::Status status = c.stream->receive(bytes, plain_buf_, reply_, sink);
  if (!reply_.empty()) {
    // Whole records or frames: ciphertext goes out ahead of everything;
    // a plain WebSocket pong waits for a frame boundary like a PONG.
    auto& to = encrypted_ || !was_open ? c.wire_out : c.control_out;
    to.insert(to.end(), reply_.begin(), reply_.end());
    queue_write(id);
  }
  if (sink.bad()) {
    ++counters_.protocol_errors;
    close_connection(id);
    return false;
  }
  switch (status) {
    case ClientStream::Status::kOpen:
      if (!was_open) {
        connector_.opened(id);
        events_.on_open(id, now);
      }
      return c.state == State::kOpen;
    case ClientStream::Status::kHandshaking:
      return true;
    case ClientStream::Status::kClosed:
    case ClientStream::Status::kFailed:
      if (!was_open && transport_error_.empty()) {
        transport_error_ = c.stream->error();
        std::fprintf(stderr, "citadel-bench: %s handshake failed: %s\n",
                     std::string(client::transport::to_string(c.stream->transport())).c_str(),
                     transport_error_.c_str());
      }
      close_connection(id);
      return false;
  }
  return false;
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
      if (c.stream) {
        c.stream->append_frame(c.control_out, proto::cmd::kPong, frame.payload);
      } else {
        proto::append_frame(c.control_out, proto::cmd::kPong, frame.payload);
      }
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
  if (c.state == State::kHandshaking) {
    connector_.failed(id);  // counted as a failed connect
    std::vector<uint8_t>().swap(c.wire_out);
    c.wire_sent = 0;
    return;
  }
  if (c.state != State::kOpen) return;
  c.fd.reset();
  c.stream.reset();
  std::vector<uint8_t>().swap(c.wire_out);
  c.wire_sent = 0;
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
