// Reads the frames a WebSocket server sends (RFC 6455 section 5): the
// client's counterpart of net/websocket/frame_parser.h, which reads client
// frames and so insists on masking. I/O-free: feed whatever reads return,
// split anywhere.
//
// Zero copy: the payload of binary messages is handed on in pieces, straight
// from the fed bytes, without joining fragments or frames. That is all a
// Citadel client needs: each message holds one Citadel frame, and the frame
// header says where it ends, so the pieces go straight into a
// protocol::FrameReader. Control frames (at most 125 bytes) are collected
// and handed on whole.
//
// Failures (the client then closes with 1002): a masked frame, RSV bits set,
// a reserved opcode, a control frame fragmented or over 125 bytes, a
// continuation with no message started or a new message before the last one
// ended, a 64-bit length with its top bit set, a one-byte close payload. A
// text message fails too (1003): Citadel speaks binary only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "net/websocket/frame_format.h"

namespace citadel::client::transport {

class WsServerFrameHandler {
 public:
  virtual ~WsServerFrameHandler() = default;
  // The next bytes of binary message payload, in stream order. False stops.
  virtual bool on_message_bytes(std::span<const uint8_t> bytes) = 0;
  // A ping, pong or close, with its whole payload. False stops.
  virtual bool on_control(uint8_t opcode, std::span<const uint8_t> payload) = 0;
};

class WsServerFrames {
 public:
  enum class State : uint8_t {
    kOpen,
    kClosed,   // a close frame was handed on; later bytes are ignored
    kFailed,   // the server broke the protocol: error(), close_code()
    kStopped,  // the handler returned false
  };

  State feed(std::span<const uint8_t> bytes, WsServerFrameHandler& handler);

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  uint16_t close_code() const { return close_code_; }  // to send after kFailed

 private:
  bool read_header(const uint8_t*& p, std::size_t& n);
  bool check_first_two_bytes();
  bool finish_frame(WsServerFrameHandler& handler);
  bool fail(uint16_t code, std::string why);

  State state_ = State::kOpen;
  std::array<uint8_t, net::websocket::kMaxServerHeaderBytes> header_{};
  std::size_t header_size_ = 0;
  std::size_t header_needed_ = 2;
  bool in_payload_ = false;
  uint8_t opcode_ = 0;
  bool fin_ = false;
  uint64_t payload_size_ = 0;
  uint64_t payload_seen_ = 0;
  bool message_in_progress_ = false;
  std::array<uint8_t, net::websocket::kMaxControlPayloadBytes> control_{};
  std::string error_;
  uint16_t close_code_ = 0;
};

}  // namespace citadel::client::transport
