// The wire constants of RFC 6455 section 5 (framing) and 7.4 (close codes),
// shared by the frame parser, the frame writer and their tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace citadel::net::websocket {

// Opcodes (RFC 6455 section 5.2). 0x3-0x7 and 0xB-0xF are reserved.
namespace opcode {
inline constexpr uint8_t kContinuation = 0x0;
inline constexpr uint8_t kText = 0x1;
inline constexpr uint8_t kBinary = 0x2;
inline constexpr uint8_t kClose = 0x8;
inline constexpr uint8_t kPing = 0x9;
inline constexpr uint8_t kPong = 0xA;
}  // namespace opcode

inline constexpr bool is_control_opcode(uint8_t op) {
  return (op & 0x8) != 0;
}

// Bits of the first two header bytes.
inline constexpr uint8_t kFinBit = 0x80;
inline constexpr uint8_t kReservedBits = 0x70;  // RSV1-3: only extensions may set them
inline constexpr uint8_t kOpcodeBits = 0x0F;
inline constexpr uint8_t kMaskBit = 0x80;
inline constexpr uint8_t kLength7Bits = 0x7F;
inline constexpr uint8_t kLength16Marker = 126;  // a 16-bit length follows
inline constexpr uint8_t kLength64Marker = 127;  // a 64-bit length follows

inline constexpr std::size_t kMaskKeyBytes = 4;
inline constexpr std::size_t kMaxControlPayloadBytes = 125;
// 2 bytes + 64-bit length + masking key.
inline constexpr std::size_t kMaxClientHeaderBytes = 2 + 8 + kMaskKeyBytes;
// Server frames are never masked: 2 bytes + at most a 64-bit length.
inline constexpr std::size_t kMaxServerHeaderBytes = 2 + 8;

// Close status codes (RFC 6455 section 7.4.1 and the IANA registry).
namespace close_code {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;  // e.g. a text message to Citadel
// Never sent: what a received Close without a payload reports.
inline constexpr uint16_t kNoStatus = 1005;
inline constexpr uint16_t kInvalidPayload = 1007;  // e.g. a close reason that is not UTF-8
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
}  // namespace close_code

// Whether a close frame may carry `code`. 1004 is reserved; 1005, 1006 and
// 1015 are only for reporting locally; 1016-2999 are unassigned or reserved
// for future RFCs; 3000-3999 are registered with IANA, 4000-4999 are private.
constexpr bool is_valid_wire_close_code(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace citadel::net::websocket
