// The XOR masking of RFC 6455 section 5.3: every client frame's payload is
// masked with a 4-byte key. Masking is its own inverse, so the same function
// masks (tests) and unmasks (the parser).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace citadel::net::websocket {

using MaskKey = std::array<uint8_t, 4>;

// out[i] = in[i] ^ key[(key_offset + i) % 4] for i in [0, n). key_offset is
// the position of in[0] within its frame's payload, so a payload that arrives
// in pieces unmasks piece by piece. in == out (in place) is allowed; other
// overlaps are not.
void apply_mask(const uint8_t* in, uint8_t* out, std::size_t n, const MaskKey& key,
                std::size_t key_offset);

}  // namespace citadel::net::websocket
