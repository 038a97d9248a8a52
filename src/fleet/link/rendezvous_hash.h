// Rendezvous (highest random weight) hashing's weight, shared by every node
// that must agree on a choice without talking: gateways choosing a room
// type's matchmaking node, game nodes ranking who takes over a dead node's
// room. FNV-1a over "key\0node": the same on every node and every build.
#pragma once

#include <cstdint>
#include <string_view>

namespace citadel::fleet::link {

inline uint64_t rendezvous_weight(std::string_view key, std::string_view node) {
  uint64_t h = 1469598103934665603ull;
  for (std::string_view part : {key, std::string_view("\0", 1), node}) {
    for (unsigned char c : part) {
      h ^= c;
      h *= 1099511628211ull;
    }
  }
  return h;
}

}  // namespace citadel::fleet::link
