// Connection's WebSocket wire: the upgrade, client frames in, and the
// binary header ahead of every Citadel frame out. Each binary message
// carries exactly one Citadel frame, so every command and ERROR code works
// as on raw TCP; WebSocket's own failures end with a close frame.
#include "net/connection_websocket.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <variant>

#include "net/event_loop.h"
#include "net/websocket/frame_writer.h"
#include "protocol/wire.h"

namespace citadel::net {

namespace ws = websocket;

namespace {

ws::FrameParserConfig parser_config(const ConnectionOptions& options) {
  ws::FrameParserConfig c;
  // A message is one Citadel frame: header plus at most the maximum payload.
  c.max_message_bytes = protocol::kHeaderBytes + options.max_payload_bytes;
  return c;
}

}  // namespace

WebSocketState::WebSocketState(Connection& c)
    : conn(c),
      handshake(std::make_unique<ws::HandshakeParser>(*c.loop_.options().websocket)),
      frames(parser_config(c.loop_.options())) {}

bool WebSocketState::ping_allowed() {
  const auto now = conn.loop_.now();
  if (now - ping_window_start >= std::chrono::seconds(1)) {
    ping_window_start = now;
    pings_in_window = 0;
  }
  return ++pings_in_window <= conn.loop_.options().websocket_pings_per_second;
}

bool WebSocketState::on_frame_event(const ws::FrameEvent& event) {
  LoopStats& stats = conn.loop_.mutable_stats();
  if (const auto* m = std::get_if<ws::BinaryMessage>(&event)) {
    return conn.on_websocket_message(m->bytes);
  }
  if (const auto* ping = std::get_if<ws::Ping>(&event)) {
    if (!ping_allowed()) {
      stats.websocket_ping_floods.add();
      ops::log_conn(spdlog::level::debug, conn.id_, "from {}: websocket ping flood (closing)",
                    conn.peer_.to_string());
      conn.queue_websocket_close(ws::close_code::kPolicyViolation, "too many pings");
      conn.begin_close_in_loop(CloseReason::kWebSocketProtocol);
      return false;
    }
    // A ping is activity, like a frame; the pong goes out with this turn's
    // output. Pongs count against the output cap like replies: a client that
    // pings without reading is a slow consumer, not a way to grow our memory.
    conn.last_frame_at_ = conn.loop_.now();
    uint8_t pong[ws::kMaxServerHeaderBytes + ws::kMaxControlPayloadBytes];
    const std::size_t n = ws::write_pong_frame(ping->payload, pong);
    if (conn.output_.bytes() + n > conn.loop_.options().output_queue_bytes) {
      conn.abort_in_loop(CloseReason::kSlowConsumer);
      return false;
    }
    conn.append_raw({pong, n});
    return true;
  }
  if (std::holds_alternative<ws::Pong>(event)) return true;
  if (const auto* close = std::get_if<ws::Close>(&event)) {
    // Echo the peer's code (none if it sent none), then close our side.
    conn.queue_websocket_close(close->code, {});
    conn.begin_close_in_loop(CloseReason::kWebSocketClose);
    return false;
  }
  const auto& fail = std::get<ws::Fail>(event);
  stats.websocket_protocol_errors.add();
  uint64_t suppressed = 0;
  if (conn.loop_.protocol_error_log_in_loop().allow(conn.loop_.now(), suppressed)) {
    ops::log_conn(spdlog::level::warn, conn.id_, "from {}: websocket close {}: {} (closing)",
                  conn.peer_.to_string(), fail.close_code, fail.reason);
  }
  conn.queue_websocket_close(fail.close_code, fail.reason);
  conn.begin_close_in_loop(CloseReason::kWebSocketProtocol);
  return false;
}

void Connection::on_websocket_bytes(std::span<uint8_t> bytes) {
  if (wire_ == Wire::kWebSocketHandshake) {
    ws::HandshakeParser& handshake = *websocket_->handshake;
    const auto result = handshake.feed(bytes);
    if (result.state == ws::HandshakeParser::State::kReading) return;
    const std::string& response = handshake.response();
    append_raw({reinterpret_cast<const uint8_t*>(response.data()), response.size()});
    if (result.state == ws::HandshakeParser::State::kServed) {
      // A static file: its body is the site's own bytes, queued by
      // reference. One request per connection, then FIN (Connection: close).
      if (const SharedBytes& body = handshake.response_body()) {
        output_.append_shared(body);
        loop_.mutable_stats().output_queue_bytes.add(body->size());
      }
      loop_.mutable_stats().http_static_responses.add();
      ops::log_conn(spdlog::level::debug, id_, "from {}: static {}", peer_.to_string(),
                    handshake.status_code());
      begin_close_in_loop(CloseReason::kHttpServed);
      return;
    }
    if (result.state == ws::HandshakeParser::State::kRejected) {
      loop_.mutable_stats().websocket_handshakes_refused.add();
      ops::log_conn(spdlog::level::debug, id_, "from {}: websocket handshake refused: {} {}",
                    peer_.to_string(), handshake.status_code(), handshake.problem());
      begin_close_in_loop(CloseReason::kWebSocketHandshake);
      return;
    }
    loop_.mutable_stats().websocket_upgrades.add();
    wire_ = Wire::kWebSocket;
    websocket_->handshake.reset();                 // its response is queued; nothing else needs it
    bytes = bytes.subspan(result.consumed_bytes);  // the client's first frames may follow
    if (bytes.empty()) return;
  }
  // The replies of the whole read go out in one write, and the read is timed
  // once, however many messages it holds.
  const auto started = Clock::now();
  dispatching_ = true;
  websocket_->frames.feed(bytes, *websocket_);
  dispatching_ = false;
  observe_handler_time(started);
}

bool Connection::on_websocket_message(std::span<const uint8_t> message) {
  // Exactly one Citadel frame: its header's length must account for the
  // whole message. Bad magic and oversized lengths are the frame reader's
  // to answer, with the ERROR codes raw TCP gets.
  const bool one_frame =
      message.size() >= protocol::kHeaderBytes &&
      (protocol::load_be16(message.data()) != protocol::kMagic ||
       protocol::kHeaderBytes + protocol::load_be32(message.data() + 4) == message.size() ||
       protocol::load_be32(message.data() + 4) > loop_.options().max_payload_bytes);
  if (!one_frame) {
    loop_.mutable_stats().websocket_protocol_errors.add();
    enqueue_error(protocol::ErrorCode::kBadPayload,
                  "a WebSocket message must carry exactly one Citadel frame");
    queue_websocket_close(ws::close_code::kProtocolError, "one Citadel frame per message");
    begin_close_in_loop(CloseReason::kWebSocketProtocol);
    return false;
  }
  const protocol::DecodeError error = dispatch_frames(message);
  if (error != protocol::DecodeError::kNone && state_ == State::kOpen) on_protocol_error(error);
  return state_ == State::kOpen;
}

std::size_t Connection::wire_overhead(std::size_t frame_bytes) const {
  return wire_ == Wire::kWebSocket ? ws::server_header_bytes(frame_bytes) : 0;
}

void Connection::append_wire_header(std::size_t frame_bytes) {
  if (wire_ != Wire::kWebSocket) return;
  const std::size_t n = ws::server_header_bytes(frame_bytes);
  ws::write_binary_header(frame_bytes, {output_.append_inline(n), n});
}

void Connection::append_raw(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  std::memcpy(output_.append_inline(bytes.size()), bytes.data(), bytes.size());
  loop_.mutable_stats().output_queue_bytes.add(bytes.size());
  request_flush();
}

void Connection::queue_websocket_close(uint16_t code, std::string_view reason) {
  uint8_t frame[ws::kMaxServerHeaderBytes + ws::kMaxControlPayloadBytes];
  append_raw({frame, ws::write_close_frame(code, reason, frame)});
}

uint16_t Connection::websocket_close_code(protocol::ErrorCode code) const {
  switch (code) {
    case protocol::ErrorCode::kShuttingDown:
      return ws::close_code::kGoingAway;
    case protocol::ErrorCode::kBadMagic:
      return ws::close_code::kProtocolError;
    case protocol::ErrorCode::kFrameTooLarge:
      return ws::close_code::kMessageTooBig;
    case protocol::ErrorCode::kIdleTimeout:
    case protocol::ErrorCode::kLoginTimeout:
      return ws::close_code::kNormal;
    default:
      return ws::close_code::kPolicyViolation;
  }
}

}  // namespace citadel::net
