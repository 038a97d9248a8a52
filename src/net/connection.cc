#include "net/connection.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "net/connection_limits.h"
#include "net/connection_tls.h"
#include "net/connection_websocket.h"
#include "net/event_loop.h"
#include "net/frame_dispatcher.h"

namespace citadel::net {

namespace {
// SO_LINGER with a zero timeout makes close() send a reset and drop whatever
// the kernel still holds for this socket.
void set_reset_on_close_fd(int fd) {
  const linger lg{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}
}  // namespace

std::string_view to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed:
      return "peer_closed";
    case CloseReason::kReadError:
      return "read_error";
    case CloseReason::kWriteError:
      return "write_error";
    case CloseReason::kBadMagic:
      return "bad_magic";
    case CloseReason::kFrameTooLarge:
      return "frame_too_large";
    case CloseReason::kIdleTimeout:
      return "idle_timeout";
    case CloseReason::kSlowConsumer:
      return "slow_consumer";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kLingerTimeout:
      return "linger_timeout";
    case CloseReason::kLoginTimeout:
      return "login_timeout";
    case CloseReason::kWebSocketHandshake:
      return "websocket_handshake";
    case CloseReason::kWebSocketProtocol:
      return "websocket_protocol";
    case CloseReason::kWebSocketClose:
      return "websocket_close";
    case CloseReason::kTlsHandshake:
      return "tls_handshake";
    case CloseReason::kTlsError:
      return "tls_error";
    case CloseReason::kHttpServed:
      return "http_served";
    case CloseReason::kClosedByServer:
      return "closed_by_server";
    case CloseReason::kServerStopped:
      return "server_stopped";
  }
  return "unknown";
}

Connection::Connection(EventLoop& loop, UniqueFd fd, uint64_t id, boost::asio::ip::address peer,
                       PortWires wires)
    : loop_(loop),
      fd_(std::move(fd)),
      id_(id),
      peer_(std::move(peer)),
      port_wires_(wires),
      reader_(loop.options().max_payload_bytes),
      last_frame_at_(loop.now()),
      opened_at_(loop.now()) {}

Connection::~Connection() {
  if (loop_.options().limits != nullptr) loop_.options().limits->release(peer_);
}

void Connection::start_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  const int one = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  loop_.add_fd_in_loop(fd_.get(), interest(), this);
  ops::log_conn(spdlog::level::debug, id_, "open from {}", peer_.to_string());
}

void Connection::handle_events_in_loop(uint32_t events) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ == State::kClosed) return;  // closed earlier in this batch
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    read_in_loop();
    // The peer's FIN came in the same edge as the bytes just read, which a
    // short read leaves behind: no further event will report it.
    if (events & (EPOLLRDHUP | EPOLLHUP)) read_more_in_loop();
  }
  if (state_ != State::kClosed && (events & EPOLLOUT)) {
    set_want_writable(false);
    flush_in_loop();
  }
}

// One recv per readiness report, edge-triggered: a read shorter than the
// buffer took everything the socket held, and the next bytes to arrive raise
// a new edge; a read that filled the buffer may have left more, so the loop
// reads this connection again next turn (EventLoop::read_again_in_loop)
// instead of now, which keeps one busy peer from starving the rest of the
// loop. Level-triggered epoll would report each socket once more after its
// read only to find it empty: a second poll of every socket per input.
void Connection::read_in_loop() {
  auto buffer = loop_.read_buffer_in_loop();
  LoopStats& stats = loop_.mutable_stats();
  ssize_t n;
  do {
    n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  stats.read_calls.add();
  if (n < 0) {
    abort_in_loop(CloseReason::kReadError);
    return;
  }
  if (n == 0) {
    flush_in_loop();
    if (state_ != State::kClosed) on_peer_closed();
    return;
  }
  if (static_cast<std::size_t>(n) == buffer.size()) loop_.read_again_in_loop(shared_from_this());
  stats.bytes_in.add(static_cast<uint64_t>(n));
  if (state_ != State::kOpen) return flush_in_loop();
  const auto bytes = buffer.first(static_cast<std::size_t>(n));
  // A TLS handshake record (0x16) can start neither a frame ('C') nor an
  // HTTP request ('G'): inside TLS, the plaintext is told apart the same way.
  if (wire_ == Wire::kUnknown && !tls_) {
    const bool tls_record = loop_.options().tls != nullptr && bytes.front() == 0x16;
    if (!tls_record && port_wires_ == PortWires::kTlsOnly) return refuse_plaintext_in_loop();
    if (tls_record && !start_tls_in_loop()) return;
  }
  if (tls_) {
    on_tls_bytes(bytes);
  } else {
    on_bytes(bytes);
  }
  // The replies go out at the end of this loop turn, with the output of
  // every other connection served in it: one batched submission for all.
  if (state_ == State::kClosed) return;
  if (has_output() || state_ != State::kOpen) request_flush();
}

void Connection::on_bytes(std::span<uint8_t> bytes) {
  if (wire_ == Wire::kUnknown) {
    // An HTTP upgrade starts "GET "; a Citadel frame starts 'C' (0x43). A
    // WebSocket-only port parses everything as HTTP (a stray frame gets 400).
    // With static files, "HEAD " is HTTP too; by its first five bytes, since
    // 'H' alone also starts garbage that must keep getting ERROR 1 ("HELLO").
    // A first read shorter than that which could still be "HEAD " counts as
    // HTTP: only a client dribbling bytes one at a time sees the difference.
    const websocket::HandshakeConfig* ws = loop_.options().websocket;
    const auto starts_like_head = [&] {
      constexpr std::string_view kHead = "HEAD ";
      const std::size_t n = std::min(bytes.size(), kHead.size());
      return ws->static_site != nullptr &&
             std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n),
                        kHead.begin());
    };
    const bool upgrade =
        ws != nullptr &&
        (bytes.front() == 'G' || port_wires_ == PortWires::kWebSocketOnly || starts_like_head());
    wire_ = upgrade ? Wire::kWebSocketHandshake : Wire::kFrames;
    if (upgrade) websocket_ = std::make_unique<WebSocketState>(*this);
  }
  if (wire_ == Wire::kFrames) return on_frame_bytes(bytes);
  on_websocket_bytes(bytes);
}

void Connection::on_frame_bytes(std::span<const uint8_t> bytes) {
  const auto started = Clock::now();
  dispatching_ = true;
  const protocol::DecodeError error = dispatch_frames(bytes);
  dispatching_ = false;
  observe_handler_time(started);
  if (error != protocol::DecodeError::kNone && state_ == State::kOpen) on_protocol_error(error);
}

protocol::DecodeError Connection::dispatch_frames(std::span<const uint8_t> bytes) {
  LoopStats& stats = loop_.mutable_stats();
  const FrameDispatcher& dispatcher = *loop_.options().dispatcher;
  uint64_t frames = 0;
  const auto result = reader_.feed(bytes, [&](const protocol::FrameView& frame) {
    ++frames;
    if (!dispatcher.dispatch(*this, frame)) stats.unknown_commands.add();
    return state_ == State::kOpen;
  });
  stats.frames_in.add(frames);
  if (frames > 0) last_frame_at_ = loop_.now();
  return result.error;
}

void Connection::observe_handler_time(Clock::time_point started) {
  loop_.mutable_stats().handler_time.observe_ns(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count()));
}

void Connection::on_protocol_error(protocol::DecodeError error) {
  LoopStats& stats = loop_.mutable_stats();
  const bool bad_magic = error == protocol::DecodeError::kBadMagic;
  (bad_magic ? stats.protocol_errors_bad_magic : stats.protocol_errors_frame_too_large).add();
  uint64_t suppressed = 0;
  if (loop_.protocol_error_log_in_loop().allow(loop_.now(), suppressed)) {
    ops::log_conn(spdlog::level::warn, id_, "from {}: protocol error {} (closing){}",
                  peer_.to_string(), bad_magic ? "bad_magic" : "frame_too_large",
                  suppressed ? fmt::format("; {} similar lines suppressed", suppressed) : "");
  }
  if (bad_magic) {
    close_after_flush_in_loop(protocol::ErrorCode::kBadMagic, "bad magic: frames must start 0x4354",
                              CloseReason::kBadMagic);
  } else {
    const auto text = fmt::format("frame too large: maximum payload is {} bytes",
                                  loop_.options().max_payload_bytes);
    close_after_flush_in_loop(protocol::ErrorCode::kFrameTooLarge, text,
                              CloseReason::kFrameTooLarge);
  }
}

void Connection::on_peer_closed() {
  // The peer will send nothing more; deliver what is queued, then close.
  peer_closed_ = true;
  if (state_ == State::kOpen) {
    state_ = State::kClosing;
    close_reason_ = CloseReason::kPeerClosed;
    close_deadline_ = loop_.now() + loop_.options().close_linger;
  }
  if (!has_output()) {
    abort_in_loop(close_reason_);
    return;
  }
  // Its end of file stays readable: were the socket level-triggered, epoll
  // would report it every turn while the queued output waits for a peer
  // that is not reading. Only writability matters from now on.
  loop_.modify_fd_in_loop(fd_.get(), interest(), this);
}

void Connection::send(uint16_t cmd, std::span<const uint8_t> payload) {
  if (state_ != State::kOpen) return;
  if (enqueue(cmd, payload)) request_flush();
}

void Connection::send_error(protocol::ErrorCode code, std::string_view text) {
  if (state_ != State::kOpen) return;
  enqueue_error(code, text);
  request_flush();
}

void Connection::send_shared_in_loop(SharedBytes frame_bytes) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ != State::kOpen || !frame_bytes) return;
  if (!can_queue_frames()) return;  // not upgraded: nothing to say yet
  const std::size_t n = frame_bytes->size() + wire_overhead(frame_bytes->size());
  if (queued_bytes() + n > loop_.options().output_queue_bytes) {
    abort_in_loop(CloseReason::kSlowConsumer);
    return;
  }
  append_wire_header(frame_bytes->size());
  output_.append_shared(std::move(frame_bytes));
  loop_.mutable_stats().frames_out.add();
  loop_.mutable_stats().output_queue_bytes.add(n);
  request_flush();
}

// Returns false (and drops the connection) if the frame would pass the output
// cap: a peer that stops reading must not grow the server's memory.
bool Connection::enqueue(uint16_t cmd, std::span<const uint8_t> payload) {
  if (!can_queue_frames()) return false;  // not upgraded: nothing to say yet
  const std::size_t n = protocol::kHeaderBytes + payload.size();
  const std::size_t on_wire = n + wire_overhead(n);
  if (queued_bytes() + on_wire > loop_.options().output_queue_bytes) {
    abort_in_loop(CloseReason::kSlowConsumer);
    return false;
  }
  append_wire_header(n);
  uint8_t* dst = output_.append_inline(n);
  protocol::write_header(dst, cmd, static_cast<uint32_t>(payload.size()));
  if (!payload.empty()) std::memcpy(dst + protocol::kHeaderBytes, payload.data(), payload.size());
  loop_.mutable_stats().frames_out.add();
  loop_.mutable_stats().output_queue_bytes.add(on_wire);
  return true;
}

// ERROR frames are small and always queued, even past the cap: they are the
// last thing a closing connection says.
void Connection::enqueue_error(protocol::ErrorCode code, std::string_view text) {
  if (!can_queue_frames()) return;  // not upgraded: an ERROR frame means nothing
  const std::size_t n = protocol::kHeaderBytes + 2 + text.size();
  append_wire_header(n);
  uint8_t* dst = output_.append_inline(n);
  protocol::write_header(dst, protocol::cmd::kError, static_cast<uint32_t>(2 + text.size()));
  protocol::store_be16(dst + protocol::kHeaderBytes, static_cast<uint16_t>(code));
  std::memcpy(dst + protocol::kHeaderBytes + 2, text.data(), text.size());
  loop_.mutable_stats().frames_out.add();
  loop_.mutable_stats().output_queue_bytes.add(n + wire_overhead(n));
}

// Output queued while a read batch is dispatched goes out when the batch ends;
// output queued from anywhere else goes out at the end of this loop turn, so
// many frames queued in one turn still cost one write.
void Connection::request_flush() {
  if (dispatching_ || flush_posted_ || waiting_writable_) return;
  flush_posted_ = true;
  loop_.schedule_flush_in_loop(shared_from_this());
}

OutputQueue& Connection::wire_output() {
  return tls_ ? tls_->ciphertext : output_;
}

std::size_t Connection::queued_bytes() const {
  return output_.bytes() + (tls_ ? tls_->ciphertext.bytes() : 0);
}

bool Connection::can_queue_frames() const {
  return wire_ != Wire::kWebSocketHandshake && !tls_handshaking();
}

void Connection::run_scheduled_flush_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  flush_posted_ = false;
  flush_in_loop();
}

void Connection::flush_in_loop() {
  if (state_ == State::kClosed || waiting_writable_) return;
  if (tls_) encrypt_output_in_loop();
  if (state_ == State::kClosed) return;
  OutputQueue& out = wire_output();
  while (!out.empty()) {
    iovec iov[kMaxSendIovecs];
    const int count = out.gather(iov, kMaxSendIovecs);
    std::size_t offered = 0;
    for (int i = 0; i < count; ++i) offered += iov[i].iov_len;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t n;
    do {
      n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (!on_sent(n < 0 ? -errno : n, offered)) return;
  }
  if (state_ == State::kClosing) finish_close_in_loop();
}

bool Connection::prepare_send_in_loop(SendRequest& request) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  flush_posted_ = false;
  if (tls_ && state_ != State::kClosed && !waiting_writable_) encrypt_output_in_loop();
  if (state_ == State::kClosed || waiting_writable_ || wire_output().empty()) {
    flush_in_loop();  // nothing to send; finishes a close whose output is out
    return false;
  }
  const int count = wire_output().gather(request.iov, kMaxSendIovecs);
  request.msg.msg_iovlen = static_cast<std::size_t>(count);
  request.offered = 0;
  for (int i = 0; i < count; ++i) request.offered += request.iov[i].iov_len;
  return true;
}

void Connection::complete_send_in_loop(const SendRequest& request, int result) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  // Another connection's completion may have closed this one meanwhile.
  if (state_ == State::kClosed) return;
  if (result == SendBatch::kNotSent) return flush_in_loop();
  // All offered bytes went out: send what is left (more than one request's
  // worth was queued) and finish a close whose output is now out.
  if (on_sent(result, request.offered)) flush_in_loop();
}

// Applies one send's result (bytes, or -errno). True if all `offered` bytes
// went out and the caller may send again.
bool Connection::on_sent(ssize_t result, std::size_t offered) {
  LoopStats& stats = loop_.mutable_stats();
  stats.write_calls.add();
  if (result < 0) {
    if (result == -EAGAIN || result == -EWOULDBLOCK) {
      set_want_writable(true);
    } else {
      abort_in_loop(CloseReason::kWriteError);
    }
    return false;
  }
  const auto n = static_cast<std::size_t>(result);
  wire_output().consume(n);
  stats.bytes_out.add(n);
  stats.output_queue_bytes.sub(n);
  // A static file still on its way out (megabytes, where the close linger
  // was sized for a last frame): the linger counts from the last progress,
  // so a slow but moving download finishes and a stalled one is still cut.
  if (n > 0 && state_ == State::kClosing && close_reason_ == CloseReason::kHttpServed) {
    close_deadline_ = loop_.now() + loop_.options().close_linger;
  }
  // A partial write means the socket buffer is full: trying again now would
  // only return EAGAIN, so wait for writability instead.
  if (n < offered) {
    set_want_writable(true);
    return false;
  }
  return true;
}

// EPOLLOUT is armed only while output waits for socket space: left on, it
// would report every send that frees space. Arming it with EPOLL_CTL_MOD
// reports a socket that is already writable at once, edge-triggered or not.
void Connection::set_want_writable(bool want) {
  if (want == waiting_writable_) return;
  waiting_writable_ = want;
  loop_.modify_fd_in_loop(fd_.get(), interest(), this);
}

uint32_t Connection::interest() const {
  return uint32_t{EPOLLET} | (peer_closed_ ? 0u : uint32_t{EPOLLIN | EPOLLRDHUP}) |
         (waiting_writable_ ? uint32_t{EPOLLOUT} : 0u);
}

void Connection::close_after_flush_in_loop(protocol::ErrorCode code, std::string_view text,
                                           CloseReason reason) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ != State::kOpen) return;
  enqueue_error(code, text);
  if (wire_ == Wire::kWebSocket) queue_websocket_close(websocket_close_code(code), text);
  begin_close_in_loop(reason);
}

void Connection::begin_close_in_loop(CloseReason reason) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  close_reason_ = reason;
  close_deadline_ = loop_.now() + loop_.options().close_linger;
  if (tls_ && !tls_handshaking()) {
    // The last output, then close_notify: the peer learns the stream ended
    // here and was not cut.
    encrypt_output_in_loop();
    if (state_ == State::kClosed) return;
    tls_->session.close();
    take_tls_ciphertext();
  }
  if (!dispatching_) flush_in_loop();
}

// Output is flushed: send FIN, then wait for the peer's (reading and dropping
// whatever it still sends) so our last frame is not lost to a reset.
void Connection::finish_close_in_loop() {
  if (peer_closed_) {
    abort_in_loop(close_reason_);
    return;
  }
  ::shutdown(fd_.get(), SHUT_WR);
  state_ = State::kLingering;
}

void Connection::abort_in_loop(CloseReason reason) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();  // keep alive until this method returns
  const State was = state_;
  state_ = State::kClosed;
  close_reason_ = (was == State::kOpen) ? reason : close_reason_;
  LoopStats& stats = loop_.mutable_stats();
  if (reason == CloseReason::kSlowConsumer) {
    stats.slow_consumer_disconnects.add();
    // Reset rather than FIN: the peer is not reading, so nothing queued in
    // the kernel would reach it either; free that memory now.
    set_reset_on_close_fd(fd_.get());
    uint64_t suppressed = 0;
    if (loop_.protocol_error_log_in_loop().allow(loop_.now(), suppressed)) {
      ops::log_conn(spdlog::level::warn, id_,
                    "from {}: slow consumer, output above {} bytes (closing)", peer_.to_string(),
                    loop_.options().output_queue_bytes);
    }
  }
  if (reason == CloseReason::kLingerTimeout && was == State::kClosing)
    set_reset_on_close_fd(fd_.get());
  stats.output_queue_bytes.sub(queued_bytes());
  output_.consume(output_.bytes());
  if (tls_) {
    tls_->ciphertext.consume(tls_->ciphertext.bytes());
    if (tls_->holds_handshake_slot) {
      tls_->holds_handshake_slot = false;
      --loop_.tls_handshakes_in_loop();
    }
  }
  fd_.reset();  // closing the descriptor also removes it from the loop's epoll set
  if (loop_.options().on_closed) loop_.options().on_closed(id_, user_id_);
  ops::log_conn(spdlog::level::debug, id_, "closed: {}", to_string(close_reason_));
  loop_.forget_in_loop(id_);
}

bool Connection::deadline_passed_in_loop(Clock::time_point now) const {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ == State::kOpen) {
    const auto& options = loop_.options();
    if (options.idle_timeout.count() > 0 && now - last_frame_at_ >= options.idle_timeout) {
      return true;
    }
    if (wire_ == Wire::kWebSocketHandshake &&
        now - opened_at_ >= options.websocket_handshake_timeout) {
      return true;
    }
    if (tls_handshaking() && now - opened_at_ >= options.tls_handshake_timeout) return true;
    return user_id_ == 0 && options.login_timeout.count() > 0 &&
           now - opened_at_ >= options.login_timeout;
  }
  return state_ != State::kClosed && now >= close_deadline_;
}

void Connection::on_deadline_in_loop(Clock::time_point now) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (state_ == State::kOpen) {
    const auto& options = loop_.options();
    if (tls_handshaking() && now - opened_at_ >= options.tls_handshake_timeout) {
      // No alert: a client this slow (or a scanner) gets a FIN.
      loop_.mutable_stats().tls_handshake_timeouts.add();
      abort_in_loop(CloseReason::kTlsHandshake);
      return;
    }
    if (wire_ == Wire::kWebSocketHandshake) {
      // No HTTP response: a client this slow (or a scanner) gets a FIN.
      loop_.mutable_stats().websocket_handshakes_refused.add();
      begin_close_in_loop(CloseReason::kWebSocketHandshake);
      return;
    }
    if (options.idle_timeout.count() > 0 && now - last_frame_at_ >= options.idle_timeout) {
      loop_.mutable_stats().idle_timeouts.add();
      const auto text =
          fmt::format("idle timeout: nothing received for {} ms", options.idle_timeout.count());
      close_after_flush_in_loop(protocol::ErrorCode::kIdleTimeout, text, CloseReason::kIdleTimeout);
    } else {
      loop_.mutable_stats().login_timeouts.add();
      const auto text =
          fmt::format("login timeout: no login within {} ms", options.login_timeout.count());
      close_after_flush_in_loop(protocol::ErrorCode::kLoginTimeout, text,
                                CloseReason::kLoginTimeout);
    }
    return;
  }
  if (now < close_deadline_) return;
  // A served file can be all in the kernel's send buffer (megabytes, with
  // autotuning) and still on its way to a slow reader: our queue is empty,
  // so no write counts as progress, and the reset below would drop the
  // rest. While the kernel's unsent bytes keep shrinking, wait on.
  if (close_reason_ == CloseReason::kHttpServed && fd_.get() >= 0) {
    int unsent = 0;
    if (::ioctl(fd_.get(), SIOCOUTQ, &unsent) == 0 && unsent > 0 &&
        (kernel_unsent_at_deadline_ < 0 || unsent < kernel_unsent_at_deadline_)) {
      kernel_unsent_at_deadline_ = unsent;
      close_deadline_ = now + loop_.options().close_linger;
      return;
    }
  }
  abort_in_loop(CloseReason::kLingerTimeout);
}

}  // namespace citadel::net
