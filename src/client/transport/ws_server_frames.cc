#include "client/transport/ws_server_frames.h"

#include <algorithm>
#include <cstring>

namespace citadel::client::transport {

namespace ws = net::websocket;

WsServerFrames::State WsServerFrames::feed(std::span<const uint8_t> bytes,
                                           WsServerFrameHandler& handler) {
  const uint8_t* p = bytes.data();
  std::size_t n = bytes.size();
  while (state_ == State::kOpen) {
    if (!in_payload_) {
      if (!read_header(p, n)) break;  // more header bytes needed, or failed
      if (payload_size_ == 0 && !finish_frame(handler)) break;
      continue;
    }
    if (n == 0) break;
    const std::size_t take =
        static_cast<std::size_t>(std::min<uint64_t>(n, payload_size_ - payload_seen_));
    if (ws::is_control_opcode(opcode_)) {
      std::memcpy(control_.data() + payload_seen_, p, take);
    } else if (!handler.on_message_bytes(std::span<const uint8_t>(p, take))) {
      state_ = State::kStopped;
      break;
    }
    p += take;
    n -= take;
    payload_seen_ += take;
    if (payload_seen_ == payload_size_ && !finish_frame(handler)) break;
  }
  return state_;
}

// Collects header bytes; true once the header is whole and checked.
bool WsServerFrames::read_header(const uint8_t*& p, std::size_t& n) {
  while (header_size_ < header_needed_) {
    if (n == 0) return false;
    header_[header_size_++] = *p++;
    --n;
    if (header_size_ == 2 && !check_first_two_bytes()) return false;
  }
  const uint8_t marker = header_[1] & ws::kLength7Bits;
  payload_size_ = marker;
  if (marker == ws::kLength16Marker) {
    payload_size_ = (uint64_t{header_[2]} << 8) | header_[3];
  } else if (marker == ws::kLength64Marker) {
    payload_size_ = 0;
    for (int i = 2; i < 10; ++i) payload_size_ = (payload_size_ << 8) | header_[i];
    if (payload_size_ >> 63) return fail(ws::close_code::kProtocolError, "64-bit length too large");
  }
  if (opcode_ == ws::opcode::kClose && payload_size_ == 1) {
    return fail(ws::close_code::kProtocolError, "a close payload of one byte");
  }
  in_payload_ = true;
  payload_seen_ = 0;
  return true;
}

bool WsServerFrames::check_first_two_bytes() {
  fin_ = (header_[0] & ws::kFinBit) != 0;
  opcode_ = header_[0] & ws::kOpcodeBits;
  if ((header_[0] & ws::kReservedBits) != 0) {
    return fail(ws::close_code::kProtocolError, "reserved bits set");
  }
  if ((header_[1] & ws::kMaskBit) != 0) {
    return fail(ws::close_code::kProtocolError, "a masked frame from the server");
  }
  const uint8_t marker = header_[1] & ws::kLength7Bits;
  switch (opcode_) {
    case ws::opcode::kBinary:
      if (message_in_progress_) {
        return fail(ws::close_code::kProtocolError, "a new message before the last one ended");
      }
      break;
    case ws::opcode::kContinuation:
      if (!message_in_progress_) {
        return fail(ws::close_code::kProtocolError, "a continuation with no message started");
      }
      break;
    case ws::opcode::kText:
      return fail(ws::close_code::kUnsupportedData, "a text message (Citadel is binary)");
    case ws::opcode::kClose:
    case ws::opcode::kPing:
    case ws::opcode::kPong:
      if (!fin_ || marker > ws::kMaxControlPayloadBytes) {
        return fail(ws::close_code::kProtocolError, "a fragmented or long control frame");
      }
      break;
    default:
      return fail(ws::close_code::kProtocolError, "a reserved opcode");
  }
  header_needed_ = marker == ws::kLength16Marker ? 4 : marker == ws::kLength64Marker ? 10 : 2;
  return true;
}

bool WsServerFrames::finish_frame(WsServerFrameHandler& handler) {
  in_payload_ = false;
  header_size_ = 0;
  header_needed_ = 2;
  if (!ws::is_control_opcode(opcode_)) {
    message_in_progress_ = !fin_;
    return true;
  }
  const auto payload =
      std::span<const uint8_t>(control_.data(), static_cast<std::size_t>(payload_size_));
  if (!handler.on_control(opcode_, payload)) {
    state_ = State::kStopped;
    return false;
  }
  if (opcode_ == ws::opcode::kClose) {
    state_ = State::kClosed;
    return false;
  }
  return true;
}

bool WsServerFrames::fail(uint16_t code, std::string why) {
  state_ = State::kFailed;
  close_code_ = code;
  error_ = std::move(why);
  return false;
}

}  // namespace citadel::client::transport
