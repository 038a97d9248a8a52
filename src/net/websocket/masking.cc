#include "net/websocket/masking.h"

#include <cstring>

namespace citadel::net::websocket {

void apply_mask(const uint8_t* in, uint8_t* out, std::size_t n, const MaskKey& key,
                std::size_t key_offset) {
  // The key rotated so that its byte 0 applies to in[0], repeated to 8 bytes:
  // XOR a word at a time (memcpy keeps unaligned access and aliasing legal,
  // and compiles to plain loads and stores).
  std::array<uint8_t, 8> wide;
  for (std::size_t i = 0; i < wide.size(); ++i) wide[i] = key[(key_offset + i) % 4];
  uint64_t wide_key;
  std::memcpy(&wide_key, wide.data(), sizeof wide_key);

  std::size_t i = 0;
  for (; i + sizeof wide_key <= n; i += sizeof wide_key) {
    uint64_t word;
    std::memcpy(&word, in + i, sizeof word);
    word ^= wide_key;
    std::memcpy(out + i, &word, sizeof word);
  }
  for (; i < n; ++i) out[i] = in[i] ^ wide[i % 4];
}

}  // namespace citadel::net::websocket
