// Cuts the byte stream a WebSocket client sends (after the handshake) into
// messages and control frames, RFC 6455 section 5, and checks every rule a
// server must enforce. I/O-free: the caller feeds whatever its reads return,
// split anywhere, and gets events.
//
// Zero copy: a frame whose bytes all lie in the fed chunk is unmasked in place
// in the caller's buffer, and an unfragmented binary message or a control
// frame is delivered straight from there. Only a frame split across feeds, or
// a fragmented message, goes through the parser's own message buffer, which is
// reused from one message to the next (see FrameParserConfig).
//
// Checks, in the order they apply to each frame (the first failure decides):
//   1. as soon as the first 2 header bytes are in: RSV1-3 set (we negotiate no
//      extension), a reserved opcode, an unmasked frame, a fragmented control
//      frame or one over 125 bytes, a continuation with no message started, a
//      new data message before the last one finished -> Fail 1002;
//   2. once the whole header is in: a 64-bit length with its top bit set ->
//      Fail 1002; then a text frame -> Fail 1003 (Citadel speaks binary only;
//      framing is judged first, so a malformed text frame still gets 1002);
//      then a message over max_message_bytes -> Fail 1009, before any of its
//      payload is buffered;
//   3. once a close frame's payload is in: 1 byte -> Fail 1002, a code not
//      valid on the wire -> Fail 1002, a reason that is not UTF-8 -> Fail 1007.
// Because every check runs at a fixed byte position of the stream, the events
// do not depend on how the stream was split (the fuzz target checks this).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "net/websocket/frame_format.h"
#include "net/websocket/masking.h"
#include "protocol/wire.h"

namespace citadel::net::websocket {

// Events. Spans and views point into the fed buffer or into the parser and
// are valid only during the handler call.
struct BinaryMessage {
  std::span<const uint8_t> bytes;  // the whole message, fragments joined
};
struct Ping {
  std::span<const uint8_t> payload;  // answer with a pong carrying the same bytes
};
struct Pong {
  std::span<const uint8_t> payload;
};
// The peer closed. code is close_code::kNoStatus (1005) when its close frame
// had no payload. Answer with a close frame (write_close_frame echoes 1005 as
// an empty close), then close the connection.
struct Close {
  uint16_t code;
  std::string_view reason;  // valid UTF-8
};
// The peer broke the protocol. Send a close frame with close_code and reason
// (short ASCII, for people), then close the connection.
struct Fail {
  uint16_t close_code;  // 1002, 1003, 1007 or 1009
  std::string_view reason;
};
using FrameEvent = std::variant<BinaryMessage, Ping, Pong, Close, Fail>;

class FrameEventHandler {
 public:
  virtual ~FrameEventHandler() = default;
  // Returning false stops the parser (kStopped): the caller is closing the
  // connection, e.g. because a message was not a valid Citadel frame.
  virtual bool on_frame_event(const FrameEvent& event) = 0;
};

struct FrameParserConfig {
  // Largest message (all fragments together) accepted; more is Fail 1009.
  // Default: one Citadel frame, since each binary message carries exactly one.
  std::size_t max_message_bytes = protocol::kHeaderBytes + protocol::kDefaultMaxPayloadBytes;
  // The message buffer keeps up to this much capacity between messages, so
  // messages up to this size that need the buffer cost no allocation; a larger
  // one allocates once and its buffer is released when it has been delivered,
  // so an idle connection does not pin 64 KiB. Set it to max_message_bytes to
  // trade that memory for never allocating again.
  std::size_t retained_buffer_bytes = 4096;
};

class FrameParser {
 public:
  enum class State : uint8_t {
    kOpen,     // reading frames
    kClosed,   // a Close was delivered; later bytes are ignored
    kFailed,   // a Fail was delivered; later bytes are ignored
    kStopped,  // the handler returned false; later bytes are ignored
  };

  explicit FrameParser(FrameParserConfig config = {}) : config_(config) {}

  // Parses the next bytes of the stream, calling handler for each event in
  // stream order. Unmasks in place: `bytes` is modified. Once the state is not
  // kOpen, feeding does nothing.
  State feed(std::span<uint8_t> bytes, FrameEventHandler& handler);

  State state() const { return state_; }
  // Capacity held by the message buffer (memory cost while idle).
  std::size_t capacity_bytes() const { return message_.capacity(); }

 private:
  // The frame being read: header bytes until the header is whole, then how
  // much of its payload has been seen.
  struct Frame {
    std::array<uint8_t, kMaxClientHeaderBytes> header{};
    std::size_t header_size = 0;  // bytes of header received
    bool header_complete = false;
    bool fin = false;
    uint8_t opcode = 0;
    MaskKey mask_key{};
    uint64_t payload_size = 0;
    uint64_t payload_received = 0;
  };

  // Each returns false when parsing must end (Close, Fail or a handler's stop).
  bool read_header(uint8_t*& p, std::size_t& n, FrameEventHandler& handler);
  bool check_first_two_bytes(FrameEventHandler& handler);
  bool check_complete_header(FrameEventHandler& handler);
  bool read_payload(uint8_t*& p, std::size_t& n, FrameEventHandler& handler);
  bool finish_data_frame(bool fin, FrameEventHandler& handler);
  bool finish_control_frame(uint8_t op, std::span<const uint8_t> payload,
                            FrameEventHandler& handler);
  bool fail(uint16_t close_code, std::string_view reason, FrameEventHandler& handler);
  bool deliver(const FrameEvent& event, FrameEventHandler& handler);

  void reserve_message_buffer(std::size_t frame_payload_bytes);
  void release_message_buffer();

  FrameParserConfig config_;
  State state_ = State::kOpen;
  Frame frame_;
  bool message_in_progress_ = false;  // a data frame with FIN=0 was read
  std::vector<uint8_t> message_;      // unmasked bytes of the message being assembled
  std::array<uint8_t, kMaxControlPayloadBytes> control_payload_{};  // a split control frame
};

}  // namespace citadel::net::websocket
