// Interned display names, shared by every board and period of one engine:
// a record holds a 32-bit name id instead of a std::string, and a player on
// ten boards stores their name once. Reference-counted: the last record that
// lets go of a name frees it (its slot is reused by the next new name).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "leaderboard/chunked_pool.h"
#include "leaderboard/flat_index.h"

namespace citadel::leaderboard {

class UsernamePool {
 public:
  static constexpr uint32_t kNoName = 0;

  // The id of `name`, taking one reference; kNoName (no reference) for "".
  uint32_t acquire(std::string_view name);
  // Drops one reference taken by acquire; kNoName is ignored.
  void release(uint32_t id);
  // "" for kNoName.
  std::string_view view(uint32_t id) const;
  // Starts loading a name's entry into cache, for a view() a little later.
  void prefetch(uint32_t id) const {
    if (id != kNoName) __builtin_prefetch(&entries_[id - 1]);
  }

  // Distinct names held.
  std::size_t size() const { return index_.size(); }
  std::size_t memory_bytes() const;

 private:
  struct Entry {
    std::string text;
    uint32_t references = 0;
  };

  ChunkedPool<Entry, 1024> entries_;  // name id = slot + 1
  FlatIndex index_;
  std::size_t heap_text_bytes_ = 0;  // names too long for std::string's inline buffer
};

}  // namespace citadel::leaderboard
