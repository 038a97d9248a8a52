#include "net/websocket/frame_parser.h"

#include <algorithm>
#include <cstring>

#include "protocol/utf8.h"

namespace citadel::net::websocket {

namespace {

bool is_known_opcode(uint8_t op) {
  switch (op) {
    case opcode::kContinuation:
    case opcode::kText:
    case opcode::kBinary:
    case opcode::kClose:
    case opcode::kPing:
    case opcode::kPong:
      return true;
    default:
      return false;
  }
}

// Header size once its second byte is known: the extended length, if any, and
// the masking key (present in every valid client frame: the mask bit is
// checked before this is used).
std::size_t complete_header_bytes(uint8_t second_byte) {
  const uint8_t len7 = second_byte & kLength7Bits;
  const std::size_t extended = len7 == kLength64Marker ? 8 : len7 == kLength16Marker ? 2 : 0;
  return 2 + extended + kMaskKeyBytes;
}

uint64_t load_be(const uint8_t* p, std::size_t n) {
  uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

FrameParser::State FrameParser::feed(std::span<uint8_t> bytes, FrameEventHandler& handler) {
  uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  while (state_ == State::kOpen) {
    if (!frame_.header_complete) {
      if (n == 0) break;
      if (!read_header(p, n, handler)) break;
      if (!frame_.header_complete) break;  // all bytes taken; the header goes on in the next feed
    }
    // A frame with an empty payload completes without further bytes, so this
    // runs even when n is 0.
    if (frame_.payload_received < frame_.payload_size && n == 0) break;
    if (!read_payload(p, n, handler)) break;
  }
  return state_;
}

bool FrameParser::read_header(uint8_t*& p, std::size_t& n, FrameEventHandler& handler) {
  auto take_header_bytes = [&](std::size_t wanted) {
    const std::size_t take = std::min(wanted - frame_.header_size, n);
    std::memcpy(frame_.header.data() + frame_.header_size, p, take);
    frame_.header_size += take;
    p += take;
    n -= take;
  };
  if (frame_.header_size < 2) {
    take_header_bytes(2);
    if (frame_.header_size < 2) return true;
    if (!check_first_two_bytes(handler)) return false;
  }
  const std::size_t full = complete_header_bytes(frame_.header[1]);
  take_header_bytes(full);
  if (frame_.header_size < full) return true;
  return check_complete_header(handler);
}

bool FrameParser::check_first_two_bytes(FrameEventHandler& handler) {
  const uint8_t b0 = frame_.header[0];
  const uint8_t b1 = frame_.header[1];
  const uint8_t op = b0 & kOpcodeBits;
  const bool fin = (b0 & kFinBit) != 0;
  if ((b0 & kReservedBits) != 0) {
    return fail(close_code::kProtocolError, "reserved bits set without a negotiated extension",
                handler);
  }
  if (!is_known_opcode(op)) return fail(close_code::kProtocolError, "reserved opcode", handler);
  if ((b1 & kMaskBit) == 0) {
    return fail(close_code::kProtocolError, "client frame is not masked", handler);
  }
  if (is_control_opcode(op)) {
    if (!fin) return fail(close_code::kProtocolError, "fragmented control frame", handler);
    if ((b1 & kLength7Bits) > kMaxControlPayloadBytes) {
      return fail(close_code::kProtocolError, "control frame payload over 125 bytes", handler);
    }
  } else if (op == opcode::kContinuation) {
    if (!message_in_progress_) {
      return fail(close_code::kProtocolError, "continuation frame with no message to continue",
                  handler);
    }
  } else if (message_in_progress_) {
    return fail(close_code::kProtocolError, "new message before the previous one finished",
                handler);
  }
  return true;
}

bool FrameParser::check_complete_header(FrameEventHandler& handler) {
  const uint8_t* h = frame_.header.data();
  const uint8_t len7 = h[1] & kLength7Bits;
  std::size_t offset = 2;
  uint64_t payload_size = len7;
  if (len7 == kLength16Marker) {
    payload_size = load_be(h + offset, 2);
    offset += 2;
  } else if (len7 == kLength64Marker) {
    payload_size = load_be(h + offset, 8);
    offset += 8;
    if ((payload_size >> 63) != 0) {
      return fail(close_code::kProtocolError, "64-bit payload length with the top bit set",
                  handler);
    }
  }
  // Lengths need not use the shortest encoding: RFC 6455 asks that of the
  // sender, and refusing a longer one would protect nothing.
  frame_.fin = (h[0] & kFinBit) != 0;
  frame_.opcode = h[0] & kOpcodeBits;
  std::memcpy(frame_.mask_key.data(), h + offset, kMaskKeyBytes);
  frame_.payload_size = payload_size;
  frame_.payload_received = 0;
  frame_.header_complete = true;

  if (frame_.opcode == opcode::kText) {
    return fail(close_code::kUnsupportedData, "text messages are not accepted; send binary",
                handler);
  }
  if (!is_control_opcode(frame_.opcode)) {
    // message_ holds every earlier fragment of this message (only a whole
    // unfragmented frame bypasses it), so this bounds the message before any
    // of this frame's payload is buffered.
    const std::size_t so_far = message_.size();
    if (so_far > config_.max_message_bytes || payload_size > config_.max_message_bytes - so_far) {
      return fail(close_code::kMessageTooBig, "message over the size limit", handler);
    }
  }
  return true;
}

bool FrameParser::read_payload(uint8_t*& p, std::size_t& n, FrameEventHandler& handler) {
  const bool control = is_control_opcode(frame_.opcode);
  const uint64_t remaining = frame_.payload_size - frame_.payload_received;

  // The whole payload is in this chunk: unmask it where it lies.
  if (frame_.payload_received == 0 && n >= remaining) {
    uint8_t* payload = p;
    const std::size_t size = static_cast<std::size_t>(remaining);
    p += size;
    n -= size;
    const Frame frame = frame_;
    frame_ = Frame{};
    if (control || (frame.fin && !message_in_progress_)) {
      apply_mask(payload, payload, size, frame.mask_key, 0);
      if (control) return finish_control_frame(frame.opcode, {payload, size}, handler);
      return deliver(BinaryMessage{{payload, size}}, handler);
    }
    reserve_message_buffer(size);
    const std::size_t old_size = message_.size();
    message_.resize(old_size + size);
    apply_mask(payload, message_.data() + old_size, size, frame.mask_key, 0);
    return finish_data_frame(frame.fin, handler);
  }

  // Part of the payload: copy it out, unmasked, and wait for the rest.
  const std::size_t take = static_cast<std::size_t>(std::min<uint64_t>(remaining, n));
  const std::size_t position = static_cast<std::size_t>(frame_.payload_received);
  if (control) {
    apply_mask(p, control_payload_.data() + position, take, frame_.mask_key, position);
  } else {
    if (position == 0) reserve_message_buffer(static_cast<std::size_t>(frame_.payload_size));
    const std::size_t old_size = message_.size();
    message_.resize(old_size + take);
    apply_mask(p, message_.data() + old_size, take, frame_.mask_key, position);
  }
  p += take;
  n -= take;
  frame_.payload_received += take;
  if (frame_.payload_received < frame_.payload_size) return true;

  const Frame frame = frame_;
  frame_ = Frame{};
  if (control) {
    const std::size_t size = static_cast<std::size_t>(frame.payload_size);
    return finish_control_frame(frame.opcode, {control_payload_.data(), size}, handler);
  }
  return finish_data_frame(frame.fin, handler);
}

void FrameParser::reserve_message_buffer(std::size_t frame_payload_bytes) {
  // Grow geometrically (capped at the limit): reserving exactly per fragment
  // would copy the message again for every small fragment, quadratic in the
  // fragment count.
  const std::size_t needed = message_.size() + frame_payload_bytes;
  if (needed <= message_.capacity()) return;
  message_.reserve(std::max(needed, std::min(config_.max_message_bytes, 2 * message_.capacity())));
}

bool FrameParser::finish_data_frame(bool fin, FrameEventHandler& handler) {
  if (!fin) {
    message_in_progress_ = true;
    return true;
  }
  message_in_progress_ = false;
  const bool keep_going = deliver(BinaryMessage{message_}, handler);
  release_message_buffer();
  return keep_going;
}

bool FrameParser::finish_control_frame(uint8_t op, std::span<const uint8_t> payload,
                                       FrameEventHandler& handler) {
  if (op == opcode::kPing) return deliver(Ping{payload}, handler);
  if (op == opcode::kPong) return deliver(Pong{payload}, handler);

  // Close (RFC 6455 section 5.5.1): empty, or a 2-byte code and a UTF-8 reason.
  if (payload.empty()) return deliver(Close{close_code::kNoStatus, {}}, handler);
  if (payload.size() == 1) {
    return fail(close_code::kProtocolError, "close payload of 1 byte", handler);
  }
  const auto code = static_cast<uint16_t>(load_be(payload.data(), 2));
  if (!is_valid_wire_close_code(code)) {
    return fail(close_code::kProtocolError, "invalid close code", handler);
  }
  const std::string_view reason(reinterpret_cast<const char*>(payload.data() + 2),
                                payload.size() - 2);
  if (!protocol::is_valid_utf8(reason)) {
    return fail(close_code::kInvalidPayload, "close reason is not valid UTF-8", handler);
  }
  return deliver(Close{code, reason}, handler);
}

bool FrameParser::fail(uint16_t close_code, std::string_view reason, FrameEventHandler& handler) {
  return deliver(Fail{close_code, reason}, handler);
}

bool FrameParser::deliver(const FrameEvent& event, FrameEventHandler& handler) {
  // The terminal state is set before the call, so the handler sees it.
  if (std::holds_alternative<Close>(event)) state_ = State::kClosed;
  if (std::holds_alternative<Fail>(event)) state_ = State::kFailed;
  const bool keep_going = handler.on_frame_event(event);
  if (!keep_going && state_ == State::kOpen) state_ = State::kStopped;
  if (state_ != State::kOpen) {
    // Nothing more will be parsed: give the buffer back now.
    std::vector<uint8_t>().swap(message_);
    message_in_progress_ = false;
  }
  return state_ == State::kOpen;
}

void FrameParser::release_message_buffer() {
  if (message_.capacity() > config_.retained_buffer_bytes) {
    std::vector<uint8_t>().swap(message_);
  } else {
    message_.clear();
  }
}

}  // namespace citadel::net::websocket
