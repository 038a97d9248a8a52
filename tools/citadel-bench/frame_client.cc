#include "frame_client.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include "protocol/wire.h"
#include "read_budgets.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

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
  if (config_.stream) plain_buf_.resize(kReadBufferBytes);
  pending_writes_.reserve(conns_.size());
  flushing_.reserve(conns_.size());
}

void FrameClient::start_due_connects(Clock::time_point now) {
  connector_.start_due(now, [&](ConnId id) { finish_connect(id, now); });
}

void FrameClient::reconnect(ConnId id, Clock::time_point now) {
  connector_.restart(id, now, [&](ConnId opened) { finish_connect(opened, now); });
}

void FrameClient::finish_connect(ConnId id, Clock::time_point now) {
  Connection& c = conns_[id];
  switch (connector_.finish(id, c.out)) {
    case State::kOpen:
      events_.on_open(id, now);
      return;
    case State::kHandshaking:
      write_connection(id);  // the ClientHello or the upgrade request
      return;
    default:
      return;
  }
}

void FrameClient::send(ConnId id, uint16_t cmd, std::span<const uint8_t> payload) {
  Connection& c = conns_[id];
  if (c.state != State::kOpen) return;
  if (!c.stream) {
    proto::append_frame(c.out, cmd, payload);
  } else {
    c.stream->append_frame(c.stream->encrypted() ? c.plain : c.out, cmd, payload);
  }
  queue_write(id);
}

// tls, wss: the frames queued since the last flush become records in `out`
// (one SSL_write). False if the connection failed.
bool FrameClient::seal_pending(ConnId id) {
  Connection& c = conns_[id];
  if (c.plain.empty() || !c.stream) return true;
  if (!c.stream->seal(c.plain, c.out)) {
    close_connection(id);
    return false;
  }
  if (c.plain.capacity() > kRetainedOutputBytes) {
    std::vector<uint8_t>().swap(c.plain);
  } else {
    c.plain.clear();
  }
  return true;
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
      const State state = conns_[id].state;
      if (state == State::kOpen || state == State::kHandshaking) write_connection(id);
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
        if (c.state == State::kHandshaking) {  // handshake bytes: rare, not batched
          write_connection(id);
          return -1;
        }
        if (c.state != State::kOpen || !seal_pending(id)) return -1;
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
  if (c.state == State::kOpen && !seal_pending(id)) return;
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
  if (c.state != State::kOpen && c.state != State::kHandshaking) return;
  if (result < 0) {
    if (result == -EAGAIN || result == -EWOULDBLOCK || result == -EINTR) {
      set_write_interest(id, true);
    } else {
      close_connection(id);
    }
    return;
  }
  // The first bytes of what was queued (handshake bytes are no request).
  if (c.out_sent == 0 && c.state == State::kOpen) events_.on_sent(id, at);
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
  // epoll_pwait2: a timeout finer than epoll_wait's milliseconds, for
  // open-loop senders whose next send is due within one.
  const auto ns =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count());
  const timespec wait{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
  const int n = ::epoll_pwait2(epoll_.get(), events_buf_.data(),
                               static_cast<int>(events_buf_.size()), &wait, nullptr);
  for (int i = 0; i < n; ++i) handle_event(events_buf_[i].data.u32, events_buf_[i].events);
}

void FrameClient::handle_event(ConnId id, uint32_t events) {
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
    const std::span<const uint8_t> bytes(read_buf_.data(), static_cast<std::size_t>(n));
    if (c.stream) {
      if (!receive_stream(id, bytes, now)) return;
    } else {
      const auto result = c.reader.feed(bytes, [&](const protocol::FrameView& f) {
        handle_frame(id, f, now);
        return c.state == State::kOpen;  // the scenario may not close, but be safe
      });
      if (result.error != protocol::DecodeError::kNone) {
        ++counters_.protocol_errors;
        close_connection(id);
        return;
      }
    }
    if (c.state != State::kOpen || static_cast<std::size_t>(n) < read_buf_.size()) return;
  }
}

// The Citadel bytes a stream hands on, into the connection's FrameReader.
class FrameClient::StreamReader final : public client::transport::StreamSink {
 public:
  StreamReader(FrameClient& client, ConnId id, Clock::time_point now)
      : client_(client), id_(id), now_(now) {}
  bool on_stream_bytes(std::span<const uint8_t> bytes) override {
    Connection& c = client_.conns_[id_];
    const auto result = c.reader.feed(bytes, [&](const protocol::FrameView& f) {
      client_.handle_frame(id_, f, now_);
      return c.state == State::kOpen || c.state == State::kHandshaking;
    });
    bad_ = result.error != protocol::DecodeError::kNone;
    return !bad_;
  }
  bool bad() const { return bad_; }

 private:
  FrameClient& client_;
  const ConnId id_;
  const Clock::time_point now_;
  bool bad_ = false;
};

// Wire bytes of a ws, tls or wss connection, open or still in its
// handshake. False once the connection is closed or failed.
bool FrameClient::receive_stream(ConnId id, std::span<const uint8_t> bytes, Clock::time_point now) {
  Connection& c = conns_[id];
  const bool was_open = c.state == State::kOpen;
  StreamReader sink(*this, id, now);
  reply_.clear();
  const ClientStream::Status status = c.stream->receive(bytes, plain_buf_, reply_, sink);
  if (!reply_.empty()) {
    // Whole records (tls, wss) or whole frames (ws): they go after what
    // `out` holds, which is whole too.
    c.out.insert(c.out.end(), reply_.begin(), reply_.end());
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
  if (c.state == State::kHandshaking) {
    connector_.failed(id);  // counted as a failed connect
    std::vector<uint8_t>().swap(c.out);
    c.out_sent = 0;
    return;
  }
  if (c.state != State::kOpen) return;
  c.fd.reset();
  c.stream.reset();
  std::vector<uint8_t>().swap(c.plain);
  c.state = State::kClosed;
  --counters_.open;
  ++counters_.disconnects;
  std::vector<uint8_t>().swap(c.out);
  c.out_sent = 0;
  c.reader = protocol::FrameReader(kMaxReplyPayloadBytes);
  events_.on_close(id);
}

}  // namespace citadel::bench
