// The frame layer of the client protocol, exactly as ../shared/wire-contract.md
// fixes it: an 8-byte big-endian header (magic, cmd, length) and a payload.
// Shared by the server, the client library and the tools.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace citadel::protocol {

inline constexpr uint16_t kMagic = 0x4354;  // "CT"
inline constexpr std::size_t kHeaderBytes = 8;
inline constexpr uint32_t kDefaultMaxPayloadBytes = 64 * 1024;
inline constexpr std::size_t kMaxPingPayloadBytes = 64;

// Reserved commands (0x0000..0x00FF); 0x0100 and up belong to the application.
namespace cmd {
inline constexpr uint16_t kPing = 0x0001;
inline constexpr uint16_t kPong = 0x0002;
inline constexpr uint16_t kEcho = 0x0003;
inline constexpr uint16_t kError = 0x00FF;
inline constexpr uint16_t kFirstApplication = 0x0100;
}  // namespace cmd

// Codes carried in ERROR frames (u16, big-endian). Documented in docs/protocol.md;
// numbers are part of the public protocol and never reused.
enum class ErrorCode : uint16_t {
  kBadMagic = 1,            // frame did not start with 0x4354; connection closed
  kFrameTooLarge = 2,       // declared length above the server's maximum; closed
  kUnknownCommand = 3,      // no handler for cmd; connection stays open
  kServerFull = 4,          // global connection cap reached; closed
  kTooManyFromAddress = 5,  // per-IP connection cap reached; closed
  kIdleTimeout = 6,         // nothing received for the idle timeout; closed
  kShuttingDown = 7,        // server is draining; closed
  kBadPayload = 8,          // payload malformed for its cmd; connection stays open
  kNotAuthenticated = 9,    // cmd needs a logged-in session; connection stays open
  kLoginTimeout = 10,       // no login within the login deadline; closed
  kLoggedInElsewhere = 11,  // a newer login took this session over; closed
  kNotInRoom = 12,          // a room input from a player in no room of that type; stays open
};

std::string_view to_string(ErrorCode code);

inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

struct FrameHeader {
  uint16_t cmd = 0;
  uint32_t length = 0;
};

// Writes the 8-byte header for (cmd, length) at dst.
inline void write_header(uint8_t* dst, uint16_t cmd, uint32_t length) {
  store_be16(dst, kMagic);
  store_be16(dst + 2, cmd);
  store_be32(dst + 4, length);
}

// A decoded frame: a view into the bytes it was cut from, valid only until the
// buffer is reused (for the server: until the handler returns).
struct FrameView {
  uint16_t cmd = 0;
  std::span<const uint8_t> payload;
};

// Appends one whole frame to a byte container (std::vector<uint8_t>, std::string, ...).
template <class ByteContainer>
void append_frame(ByteContainer& out, uint16_t cmd, std::span<const uint8_t> payload) {
  const std::size_t at = out.size();
  out.resize(at + kHeaderBytes + payload.size());
  auto* dst = reinterpret_cast<uint8_t*>(out.data()) + at;
  write_header(dst, cmd, static_cast<uint32_t>(payload.size()));
  if (!payload.empty()) std::memcpy(dst + kHeaderBytes, payload.data(), payload.size());
}

// Appends an ERROR frame: u16 code then UTF-8 text.
template <class ByteContainer>
void append_error_frame(ByteContainer& out, ErrorCode code, std::string_view text) {
  const std::size_t at = out.size();
  const std::size_t len = 2 + text.size();
  out.resize(at + kHeaderBytes + len);
  auto* dst = reinterpret_cast<uint8_t*>(out.data()) + at;
  write_header(dst, cmd::kError, static_cast<uint32_t>(len));
  store_be16(dst + kHeaderBytes, static_cast<uint16_t>(code));
  if (!text.empty()) std::memcpy(dst + kHeaderBytes + 2, text.data(), text.size());
}

// Parses an ERROR payload. Returns false if it is shorter than the code.
inline bool parse_error_payload(std::span<const uint8_t> payload, uint16_t& code,
                                std::string_view& text) {
  if (payload.size() < 2) return false;
  code = load_be16(payload.data());
  text = std::string_view(reinterpret_cast<const char*>(payload.data()) + 2, payload.size() - 2);
  return true;
}

}  // namespace citadel::protocol
