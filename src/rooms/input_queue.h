// The inputs a room received since its last tick. Bounded by count: past the
// cap an input is refused (the caller counts it) rather than growing memory.
// The bytes live in one buffer reused every tick, each input 8-byte aligned
// for FlatBuffers: no allocation per input once the buffer has grown.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace citadel::rooms {

class InputQueue {
 public:
  explicit InputQueue(uint32_t capacity) : capacity_(capacity) {}

  // False (and nothing stored) if the queue is full.
  bool push(uint64_t user_id, std::span<const uint8_t> payload) {
    if (entries_.size() >= capacity_) return false;
    const std::size_t words = (payload.size() + 7) / 8;
    const std::size_t offset = words_.size();
    words_.resize(offset + words);
    if (!payload.empty()) std::memcpy(words_.data() + offset, payload.data(), payload.size());
    entries_.push_back({user_id, offset, payload.size()});
    return true;
  }

  // Calls f(user_id, bytes) for each input in arrival order, then empties
  // the queue (keeping its capacity).
  template <class F>
  void drain(F&& f) {
    for (const Entry& e : entries_) {
      f(e.user_id, std::span<const uint8_t>(
                       reinterpret_cast<const uint8_t*>(words_.data() + e.offset_words), e.bytes));
    }
    entries_.clear();
    words_.clear();
  }

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    uint64_t user_id;
    std::size_t offset_words;
    std::size_t bytes;
  };
  const uint32_t capacity_;
  std::vector<Entry> entries_;
  std::vector<uint64_t> words_;
};

}  // namespace citadel::rooms
