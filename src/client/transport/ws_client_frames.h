// Client-to-server WebSocket frames (RFC 6455 section 5.2, 5.3): final,
// always masked. A Citadel frame travels as one binary message (header and
// payload, docs/protocol.md "WebSocket"); the writers build it straight into
// the caller's buffer, masking as they copy, so nothing is built twice.
//
// Mask keys come from MaskKeys, a small xorshift generator seeded from the
// OS: cheap enough to draw a fresh key for every frame, as the RFC asks.
// (The key only has to be unpredictable to script in a browser, against
// intermediaries that cache; the server just unmasks.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "net/websocket/frame_format.h"
#include "net/websocket/masking.h"

namespace citadel::client::transport {

using net::websocket::MaskKey;

class MaskKeys {
 public:
  MaskKeys();                                             // seeded from std::random_device
  explicit MaskKeys(uint64_t seed) : state_(seed | 1) {}  // tests: a fixed sequence
  MaskKey next();

 private:
  uint64_t state_;
};

// Header size (2, 4 or 10 bytes, plus the 4-byte key) of a masked client
// frame carrying payload_bytes.
constexpr std::size_t client_header_bytes(uint64_t payload_bytes) {
  return (payload_bytes <= 125      ? 2
          : payload_bytes <= 0xFFFF ? 4
                                    : 10) +
         net::websocket::kMaskKeyBytes;
}

// The whole masked binary message carrying one Citadel frame of
// payload_bytes: what append_citadel_frame adds.
constexpr std::size_t citadel_message_bytes(std::size_t payload_bytes) {
  return client_header_bytes(8 + payload_bytes) + 8 + payload_bytes;
}

// Writes the header of a final, masked frame (opcode, length, key) at `out`,
// which must hold client_header_bytes(payload_bytes); returns its size.
std::size_t write_client_header(uint8_t opcode, uint64_t payload_bytes, const MaskKey& key,
                                uint8_t* out);

// Appends a final masked frame with `opcode` and `payload` (control frames:
// at most 125 bytes).
void append_client_frame(std::vector<uint8_t>& out, uint8_t opcode,
                         std::span<const uint8_t> payload, const MaskKey& key);

// Appends one binary message holding the Citadel frame (cmd, payload).
void append_citadel_frame(std::vector<uint8_t>& out, uint16_t cmd, std::span<const uint8_t> payload,
                          const MaskKey& key);

// Appends a masked close frame with `code` (1005: an empty close) and reason.
void append_client_close(std::vector<uint8_t>& out, uint16_t code, std::string_view reason,
                         const MaskKey& key);

}  // namespace citadel::client::transport
