#include "client/transport/ws_client_frames.h"

#include <random>

#include "net/websocket/frame_writer.h"
#include "protocol/wire.h"

namespace citadel::client::transport {

namespace ws = net::websocket;

MaskKeys::MaskKeys() {
  std::random_device rd;
  state_ = ((uint64_t{rd()} << 32) ^ rd()) | 1;
}

MaskKey MaskKeys::next() {
  // xorshift64*: fast, and plenty for keys nobody has to guess here.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const uint64_t v = state_ * 0x2545F4914F6CDD1DULL;
  return {static_cast<uint8_t>(v >> 32), static_cast<uint8_t>(v >> 40),
          static_cast<uint8_t>(v >> 48), static_cast<uint8_t>(v >> 56)};
}

std::size_t write_client_header(uint8_t opcode, uint64_t payload_bytes, const MaskKey& key,
                                uint8_t* out) {
  // The server's header writer gives the length encoding; we add the mask bit
  // and the key.
  const std::size_t size = ws::write_server_header(
      opcode, payload_bytes, std::span<uint8_t>(out, ws::server_header_bytes(payload_bytes)));
  out[1] |= ws::kMaskBit;
  for (std::size_t i = 0; i < key.size(); ++i) out[size + i] = key[i];
  return size + key.size();
}

void append_client_frame(std::vector<uint8_t>& out, uint8_t opcode,
                         std::span<const uint8_t> payload, const MaskKey& key) {
  const std::size_t at = out.size();
  out.resize(at + client_header_bytes(payload.size()) + payload.size());
  const std::size_t header = write_client_header(opcode, payload.size(), key, out.data() + at);
  ws::apply_mask(payload.data(), out.data() + at + header, payload.size(), key, 0);
}

void append_citadel_frame(std::vector<uint8_t>& out, uint16_t cmd, std::span<const uint8_t> payload,
                          const MaskKey& key) {
  const std::size_t message = protocol::kHeaderBytes + payload.size();
  const std::size_t at = out.size();
  out.resize(at + client_header_bytes(message) + message);
  uint8_t* p = out.data() + at;
  p += write_client_header(ws::opcode::kBinary, message, key, p);
  uint8_t citadel_header[protocol::kHeaderBytes];
  protocol::write_header(citadel_header, cmd, static_cast<uint32_t>(payload.size()));
  ws::apply_mask(citadel_header, p, sizeof citadel_header, key, 0);
  ws::apply_mask(payload.data(), p + sizeof citadel_header, payload.size(), key,
                 sizeof citadel_header);
}

void append_client_close(std::vector<uint8_t>& out, uint16_t code, std::string_view reason,
                         const MaskKey& key) {
  uint8_t payload[ws::kMaxControlPayloadBytes];
  std::size_t n = 0;
  if (code != ws::close_code::kNoStatus) {
    const std::string_view fitted = ws::fitted_close_reason(reason);
    payload[0] = static_cast<uint8_t>(code >> 8);
    payload[1] = static_cast<uint8_t>(code);
    for (char c : fitted) payload[2 + n++] = static_cast<uint8_t>(c);
    n += 2;
  }
  append_client_frame(out, ws::opcode::kClose, std::span<const uint8_t>(payload, n), key);
}

}  // namespace citadel::client::transport
