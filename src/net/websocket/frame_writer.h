// Server-to-client frames (RFC 6455 section 5.2): always final (FIN) and never
// masked. The writers fill memory the caller provides, so a connection can
// write straight into its output queue (OutputQueue::append_inline), and a
// broadcast can wrap one shared Citadel frame for WebSocket once: build its
// header once, queue the header and then the shared bytes, unchanged.
//
// Each writer returns the bytes written; `out` must hold the matching
// *_frame_bytes() (checked by assert: this is what we send, not what a peer sent).
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "net/websocket/frame_format.h"

namespace citadel::net::websocket {

// Header size for a payload of payload_bytes: 2, 4 (16-bit length) or 10 (64-bit).
constexpr std::size_t server_header_bytes(uint64_t payload_bytes) {
  return payload_bytes <= kMaxControlPayloadBytes ? 2 : payload_bytes <= 0xFFFF ? 4 : 10;
}

// Writes the header of a final, unmasked frame with the given opcode.
inline std::size_t write_server_header(uint8_t op, uint64_t payload_bytes, std::span<uint8_t> out) {
  const std::size_t size = server_header_bytes(payload_bytes);
  assert(out.size() >= size);
  out[0] = static_cast<uint8_t>(kFinBit | op);
  if (size == 2) {
    out[1] = static_cast<uint8_t>(payload_bytes);
  } else {
    out[1] = size == 4 ? kLength16Marker : kLength64Marker;
    for (std::size_t i = 2; i < size; ++i) {
      out[i] = static_cast<uint8_t>(payload_bytes >> (8 * (size - 1 - i)));
    }
  }
  return size;
}

// The header of one binary message carrying payload_bytes (one Citadel frame).
inline std::size_t write_binary_header(uint64_t payload_bytes, std::span<uint8_t> out) {
  return write_server_header(opcode::kBinary, payload_bytes, out);
}

// A binary header held by value: build it once per broadcast, queue it ahead
// of each recipient's reference to the shared frame.
struct BinaryHeader {
  std::array<uint8_t, kMaxServerHeaderBytes> bytes{};
  std::size_t size = 0;
  std::span<const uint8_t> view() const { return {bytes.data(), size}; }
};

inline BinaryHeader binary_header(uint64_t payload_bytes) {
  BinaryHeader header;
  header.size = write_binary_header(payload_bytes, header.bytes);
  return header;
}

// --- close -------------------------------------------------------------------

// A close payload is at most 125 bytes: the 2-byte code and up to 123 of reason.
inline constexpr std::size_t kMaxCloseReasonBytes = kMaxControlPayloadBytes - 2;

// The longest prefix of reason that fits a close frame, cut before a UTF-8
// continuation byte so a valid reason stays valid.
constexpr std::string_view fitted_close_reason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReasonBytes) return reason;
  std::size_t size = kMaxCloseReasonBytes;
  while (size > 0 && (static_cast<uint8_t>(reason[size]) & 0xC0) == 0x80) --size;
  return reason.substr(0, size);
}

// close_code::kNoStatus (1005) is never sent: it stands for a close without a
// payload, so echoing a received Close event's code gives the right reply.
constexpr std::size_t close_frame_bytes(uint16_t code, std::string_view reason) {
  if (code == close_code::kNoStatus) return 2;
  return 2 + 2 + fitted_close_reason(reason).size();
}

inline std::size_t write_close_frame(uint16_t code, std::string_view reason,
                                     std::span<uint8_t> out) {
  assert(code == close_code::kNoStatus || is_valid_wire_close_code(code));
  if (code == close_code::kNoStatus) return write_server_header(opcode::kClose, 0, out);
  const std::string_view fitted = fitted_close_reason(reason);
  const std::size_t header = write_server_header(opcode::kClose, 2 + fitted.size(), out);
  assert(out.size() >= header + 2 + fitted.size());
  out[header] = static_cast<uint8_t>(code >> 8);
  out[header + 1] = static_cast<uint8_t>(code);
  if (!fitted.empty()) std::memcpy(out.data() + header + 2, fitted.data(), fitted.size());
  return header + 2 + fitted.size();
}

// --- pong --------------------------------------------------------------------

// The answer to a ping: the same payload (a parsed ping's is at most 125 bytes).
constexpr std::size_t pong_frame_bytes(std::span<const uint8_t> ping_payload) {
  return 2 + ping_payload.size();
}

inline std::size_t write_pong_frame(std::span<const uint8_t> ping_payload, std::span<uint8_t> out) {
  assert(ping_payload.size() <= kMaxControlPayloadBytes);
  const std::size_t header = write_server_header(opcode::kPong, ping_payload.size(), out);
  assert(out.size() >= header + ping_payload.size());
  if (!ping_payload.empty()) {
    std::memcpy(out.data() + header, ping_payload.data(), ping_payload.size());
  }
  return header + ping_payload.size();
}

}  // namespace citadel::net::websocket
