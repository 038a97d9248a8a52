// Hashes for FlatIndex. User ids are handed out by the server, and names go
// through account rules before they reach a board, so neither is chosen
// freely by an attacker; a fast full-avalanche mix is enough (FlatIndex
// takes its home slot from the top bits, so every input bit must reach them).
#pragma once

#include <cstdint>
#include <string_view>

namespace citadel::leaderboard {

// splitmix64's finaliser: a bijection, so distinct ids never share a hash.
inline uint64_t hash_id(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a over the bytes, then the same finaliser to spread them.
inline uint64_t hash_text(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return hash_id(h);
}

}  // namespace citadel::leaderboard
