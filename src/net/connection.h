// One client connection, owned by one EventLoop for its whole life.
//
// I/O: the socket is registered once with its loop's epoll (edge-triggered,
// EPOLLIN; EPOLLOUT is added only while a partial write waits). On readiness
// the connection does ONE recv into its loop's shared buffer, cuts frames,
// dispatches each, and at the end of the loop turn sends everything queued
// with ONE gather write, batched with every other connection's in one
// io_uring submission when several flush in the same turn (SendBatch). So a
// read batch costs one read and at most one write whatever number of frames
// it held, and an idle connection owns no buffers.
//
// Closing is a small state machine (open -> closing -> lingering -> closed) so
// that a final ERROR frame reaches the peer: output is flushed, then our side
// is shut down (FIN) while input is read and discarded until the peer closes
// or close_linger passes. Closing at once would turn unread input into a TCP
// reset that can destroy the ERROR frame in flight.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "net/event_loop.h"
#include "net/output_queue.h"
#include "net/responder.h"
#include "net/send_batch.h"
#include "net/unique_fd.h"
#include "protocol/frame_reader.h"

namespace citadel::net {

enum class CloseReason : uint8_t {
  kPeerClosed,
  kReadError,
  kWriteError,
  kBadMagic,
  kFrameTooLarge,
  kIdleTimeout,
  kSlowConsumer,
  kShutdown,
  kLingerTimeout,
  kServerStopped,
  kLoginTimeout,
  kClosedByServer,      // the application asked (e.g. logged in elsewhere)
  kWebSocketHandshake,  // the upgrade request was refused or timed out
  kWebSocketProtocol,   // a WebSocket framing rule was broken
  kWebSocketClose,      // the peer sent a WebSocket close
  kTlsHandshake,        // the TLS handshake failed, timed out or was over the cap
  kTlsError,            // a bad TLS record after the handshake
  kHttpServed,          // a plain HTTP request (a static file) was answered
};

struct WebSocketState;
struct TlsState;
std::string_view to_string(CloseReason reason);

class Connection final : public Responder,
                         public IoHandler,
                         public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;

  Connection(EventLoop& loop, UniqueFd fd, uint64_t id, boost::asio::ip::address peer,
             PortWires wires = PortWires::kAll);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Responder (loop thread only).
  void send(uint16_t cmd, std::span<const uint8_t> payload) override;
  void send_error(protocol::ErrorCode code, std::string_view text) override;
  void send_shared(SharedBytes frames) override { send_shared_in_loop(std::move(frames)); }
  uint64_t connection_id() const override { return id_; }
  uint64_t user_id() const override { return user_id_; }
  void set_user_id(uint64_t user_id) override { user_id_ = user_id; }
  const boost::asio::ip::address& peer_address() const override { return peer_; }
  void close_with_error(protocol::ErrorCode code, std::string_view text) override {
    close_after_flush_in_loop(code, text, CloseReason::kClosedByServer);
  }

  // Queues bytes shared with other connections (an encoded broadcast).
  void send_shared_in_loop(SharedBytes frame_bytes);
  // The loop's end-of-turn flush (see EventLoop::schedule_flush_in_loop),
  // either alone or, when many connections flush in one turn, as one send of
  // a batch: prepare fills the request with the queued output (false: there
  // was nothing to send), complete applies the send's result.
  void run_scheduled_flush_in_loop();
  bool prepare_send_in_loop(SendRequest& request);
  void complete_send_in_loop(const SendRequest& request, int result);
  int fd() const { return fd_.get(); }

  void start_in_loop();
  // IoHandler: readiness from the loop's epoll.
  void handle_events_in_loop(uint32_t events) override;
  // Another read unless closed or at end of file: the loop's, of a connection
  // whose last read filled the buffer, or for a FIN that came with the bytes.
  void read_more_in_loop() {
    if (state_ != State::kClosed && !peer_closed_) read_in_loop();
  }
  // Queues ERROR(code, text) behind the pending output, then closes gracefully.
  void close_after_flush_in_loop(protocol::ErrorCode code, std::string_view text,
                                 CloseReason reason);
  // Closes now, dropping queued output.
  void abort_in_loop(CloseReason reason);

  // For the loop's sweep.
  bool deadline_passed_in_loop(Clock::time_point now) const;
  void on_deadline_in_loop(Clock::time_point now);

  bool is_open() const { return state_ == State::kOpen; }

 private:
  enum class State : uint8_t { kOpen, kClosing, kLingering, kClosed };
  // What the peer speaks, told by its first byte (see ConnectionOptions::websocket).
  enum class Wire : uint8_t { kUnknown, kFrames, kWebSocketHandshake, kWebSocket };
  friend struct WebSocketState;
  friend struct TlsState;

  void read_in_loop();
  // Bytes from the socket (mutable: WebSocket unmasks in place).
  void on_bytes(std::span<uint8_t> bytes);
  // Raw Citadel frames from TCP: dispatched and timed as one batch.
  void on_frame_bytes(std::span<const uint8_t> bytes);
  // Dispatches the whole frames in bytes (raw TCP's read, or one WebSocket
  // message) and counts them; untimed: the caller times its whole read, so a
  // read of many WebSocket messages costs two clock reads, not two each.
  // Returns the framing error that ended the bytes, if any.
  protocol::DecodeError dispatch_frames(std::span<const uint8_t> bytes);
  void observe_handler_time(Clock::time_point started);
  // connection_tls.cc
  // The first byte was a TLS handshake record: false if refused (closed).
  bool start_tls_in_loop();
  // A TLS-only port got something else first: closed, counted.
  void refuse_plaintext_in_loop();
  void on_tls_bytes(std::span<const uint8_t> ciphertext);
  // Encrypts the queued plaintext with one SSL_write and queues the
  // ciphertext for the socket.
  void encrypt_output_in_loop();
  void take_tls_ciphertext();
  bool tls_handshaking() const;
  // connection_websocket.cc
  void on_websocket_bytes(std::span<uint8_t> bytes);
  bool on_websocket_message(std::span<const uint8_t> message);
  // Bytes the wire adds ahead of a Citadel frame of n bytes (a WebSocket
  // binary header), and queueing them.
  std::size_t wire_overhead(std::size_t frame_bytes) const;
  void append_wire_header(std::size_t frame_bytes);
  // Queues bytes as they are (HTTP responses, WebSocket control frames).
  void append_raw(std::span<const uint8_t> bytes);
  void queue_websocket_close(uint16_t code, std::string_view reason);
  uint16_t websocket_close_code(protocol::ErrorCode code) const;
  // Closes gracefully once the queued output is flushed (no ERROR frame).
  void begin_close_in_loop(CloseReason reason);
  void on_protocol_error(protocol::DecodeError error);
  void on_peer_closed();
  // Writes queued output with one gather write; arms EPOLLOUT if the kernel
  // took less than everything.
  void flush_in_loop();
  bool on_sent(ssize_t result, std::size_t offered);
  void set_want_writable(bool want);
  // The epoll events this connection waits for: input until the peer's FIN,
  // output while a write waits for socket space.
  uint32_t interest() const;
  void request_flush();
  // What goes to the socket: the output itself, or its ciphertext on TLS.
  OutputQueue& wire_output();
  // Bytes queued for this peer (plaintext and ciphertext), for the output cap.
  std::size_t queued_bytes() const;
  bool has_output() const { return queued_bytes() != 0; }
  // Frames may be queued: no WebSocket or TLS handshake still under way.
  bool can_queue_frames() const;
  bool enqueue(uint16_t cmd, std::span<const uint8_t> payload);
  void enqueue_error(protocol::ErrorCode code, std::string_view text);
  void finish_close_in_loop();

  EventLoop& loop_;
  UniqueFd fd_;
  const uint64_t id_;
  const boost::asio::ip::address peer_;
  const PortWires port_wires_;  // what the listener it came from allows
  protocol::FrameReader reader_;
  OutputQueue output_;
  Clock::time_point last_frame_at_;
  const Clock::time_point opened_at_;
  uint64_t user_id_ = 0;
  Clock::time_point close_deadline_{};
  // A served static file: bytes the kernel still held unsent at the last
  // linger deadline (see on_deadline_in_loop).
  int kernel_unsent_at_deadline_ = -1;
  State state_ = State::kOpen;
  Wire wire_ = Wire::kUnknown;
  std::unique_ptr<WebSocketState> websocket_;  // WebSocket connections only
  std::unique_ptr<TlsState> tls_;              // TLS connections only
  CloseReason close_reason_ = CloseReason::kPeerClosed;
  bool dispatching_ = false;  // replies flush once, when the read batch ends
  bool flush_posted_ = false;
  bool waiting_writable_ = false;  // EPOLLOUT armed
  bool peer_closed_ = false;
};

}  // namespace citadel::net
