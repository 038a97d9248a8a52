// A hash index from a caller's key to a 32-bit element index, for the two
// maps the engine keeps per record or per name (player -> record, name ->
// interned name).
//
// Each slot is 8 bytes: 32 bits of the key's hash (the fingerprint) and the
// element index plus one (0 marks an empty slot). The key itself is not
// stored: it already lives in the element, and the caller's `matches(index)`
// reads it there when a fingerprint agrees. That keeps the index at about
// 8 / load bytes per entry (11 to 21 here) instead of the 40+ of a node of
// std::unordered_map. Linear probing, the fingerprint's top bits pick the
// home slot, so growing needs no key at all; deletion shifts the run back
// (no tombstones), so a long-lived board does not degrade.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "leaderboard/huge_pages.h"

namespace citadel::leaderboard {

class FlatIndex {
 public:
  // The index of the element whose key has this hash and satisfies
  // matches(index), or nullopt.
  template <class Matches>
  std::optional<uint32_t> find(uint64_t hash, Matches&& matches) const {
    if (slots_.empty()) return std::nullopt;
    uint32_t fingerprint = fingerprint_of(hash);
    for (std::size_t slot = home_of(fingerprint);; slot = (slot + 1) & mask()) {
      uint64_t entry = slots_[slot];
      if (entry == 0) return std::nullopt;
      if (uint32_t(entry >> 32) == fingerprint && matches(index_of(entry))) return index_of(entry);
    }
  }

  // Hints for a batch of lookups (Board::submit_batch), never needed for
  // correctness: start loading a key's home slot; then, once it is in
  // cache, the first element whose fingerprint matches (to prefetch it).
  void prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[home_of(fingerprint_of(hash))]);
  }
  std::optional<uint32_t> first_candidate(uint64_t hash) const {
    return find(hash, [](uint32_t) { return true; });
  }

  // Adds an element the caller knows is absent.
  void insert(uint64_t hash, uint32_t index) {
    assert(index != UINT32_MAX);
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    place(fingerprint_of(hash), index);
    ++size_;
  }

  // Removes the element with this hash and index; false if it is not there.
  bool erase(uint64_t hash, uint32_t index) {
    if (slots_.empty()) return false;
    uint64_t wanted = uint64_t(fingerprint_of(hash)) << 32 | (uint64_t(index) + 1);
    std::size_t slot = home_of(fingerprint_of(hash));
    while (slots_[slot] != wanted) {
      if (slots_[slot] == 0) return false;
      slot = (slot + 1) & mask();
    }
    // Backward shift: pull later members of the run into the hole when their
    // home slot lies at or before it (cyclically), so every element stays
    // reachable from its home without a tombstone.
    std::size_t hole = slot;
    for (std::size_t next = (hole + 1) & mask(); slots_[next] != 0; next = (next + 1) & mask()) {
      std::size_t home = home_of(uint32_t(slots_[next] >> 32));
      if (((next - home) & mask()) >= ((next - hole) & mask())) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = 0;
    --size_;
    return true;
  }

  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
    bits_ = 0;
  }

  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(uint64_t); }

 private:
  static constexpr unsigned kInitialBits = 4;

  static uint32_t fingerprint_of(uint64_t hash) { return uint32_t(hash >> 32); }
  static uint32_t index_of(uint64_t entry) { return uint32_t(entry) - 1; }
  std::size_t mask() const { return slots_.size() - 1; }
  std::size_t home_of(uint32_t fingerprint) const {
    return bits_ == 0 ? 0 : std::size_t(fingerprint >> (32 - bits_));
  }

  void place(uint32_t fingerprint, uint32_t index) {
    std::size_t slot = home_of(fingerprint);
    while (slots_[slot] != 0) slot = (slot + 1) & mask();
    slots_[slot] = uint64_t(fingerprint) << 32 | (uint64_t(index) + 1);
  }

  void grow() {
    unsigned bits = slots_.empty() ? kInitialBits : bits_ + 1;
    assert(bits <= 32);
    Slots old(std::size_t{1} << bits, 0);
    old.swap(slots_);
    bits_ = bits;
    for (uint64_t entry : old) {
      if (entry != 0) place(uint32_t(entry >> 32), index_of(entry));
    }
  }

  // A million players' index is 16 MiB of random probes: huge pages.
  using Slots = std::vector<uint64_t, HugePageAllocator<uint64_t>>;
  Slots slots_;
  std::size_t size_ = 0;
  unsigned bits_ = 0;  // slots_.size() == 1 << bits_
};

}  // namespace citadel::leaderboard
