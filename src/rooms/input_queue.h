// The inputs a room received since its last tick, bounded twice: by count
// (`capacity`) and by bytes (`capacity_bytes`, the 8-byte padded size each
// input takes here). Each player may fill only a fair share of both, the
// caps divided by the players in the room, so one flooding player cannot
// crowd out the others' inputs for that tick. Past a cap an input is
// refused (the caller counts it) rather than growing memory.
//
// The bytes live in one buffer reused every tick, each input 8-byte aligned
// for FlatBuffers: no allocation per input once the buffers have grown.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace citadel::rooms {

class InputQueue {
 public:
  InputQueue(uint32_t capacity, uint64_t capacity_bytes)
      : capacity_(capacity), capacity_bytes_(capacity_bytes) {}

  enum class Push : uint8_t {
    kQueued,
    kRoomFull,   // the room's count or byte cap is reached
    kShareUsed,  // this player's fair share of either cap is used up
  };

  // Queues one input of `user_id`, one of `players` in the room. Refused
  // inputs store nothing.
  Push push(uint64_t user_id, std::span<const uint8_t> payload, std::size_t players) {
    const std::size_t words = (payload.size() + 7) / 8;
    const uint64_t padded = words * 8;
    if (entries_.size() >= capacity_ || bytes_ + padded > capacity_bytes_) return Push::kRoomFull;
    Usage& usage = usage_of(user_id);
    const uint64_t n = std::max<std::size_t>(players, 1);
    const uint64_t count_share = std::max<uint64_t>(capacity_ / n, 1);
    const uint64_t byte_share = capacity_bytes_ / n;
    if (usage.count + 1 > count_share || usage.bytes + padded > byte_share) {
      return Push::kShareUsed;
    }
    ++usage.count;
    usage.bytes += padded;
    bytes_ += padded;
    const std::size_t offset = words_.size();
    words_.resize(offset + words);
    if (!payload.empty()) std::memcpy(words_.data() + offset, payload.data(), payload.size());
    entries_.push_back({user_id, offset, payload.size()});
    return Push::kQueued;
  }

  // Calls f(user_id, bytes) for each input in arrival order, then empties
  // the queue (keeping its capacity) and renews every share.
  template <class F>
  void drain(F&& f) {
    for (const Entry& e : entries_) {
      f(e.user_id, std::span<const uint8_t>(
                       reinterpret_cast<const uint8_t*>(words_.data() + e.offset_words), e.bytes));
    }
    entries_.clear();
    words_.clear();
    usage_.clear();
    bytes_ = 0;
  }

  // Calls f(bytes) for each input of `user_id`, in arrival order, and takes
  // them out of the queue (a player leaving by transfer: they follow it).
  // Rare, so it may be linear; the others' inputs keep their order and
  // bytes (the words are reclaimed at the next drain).
  template <class F>
  void extract(uint64_t user_id, F&& f) {
    std::size_t kept = 0;
    for (const Entry& e : entries_) {
      if (e.user_id != user_id) {
        entries_[kept++] = e;
        continue;
      }
      f(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(words_.data() + e.offset_words),
                                 e.bytes));
      bytes_ -= (e.bytes + 7) / 8 * 8;
    }
    entries_.resize(kept);
    std::erase_if(usage_, [&](const Usage& u) { return u.user_id == user_id; });
  }

  std::size_t size() const { return entries_.size(); }
  uint64_t bytes() const { return bytes_; }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    uint64_t user_id;
    std::size_t offset_words;
    std::size_t bytes;
  };
  struct Usage {
    uint64_t user_id;
    uint64_t count;
    uint64_t bytes;
  };
  // Players who sent since the last tick: a linear scan, like Room::find
  // (rooms hold 16 players by default; the scan beats hashing there).
  Usage& usage_of(uint64_t user_id) {
    for (Usage& u : usage_) {
      if (u.user_id == user_id) return u;
    }
    return usage_.emplace_back(Usage{user_id, 0, 0});
  }

  const uint32_t capacity_;
  const uint64_t capacity_bytes_;
  uint64_t bytes_ = 0;
  std::vector<Entry> entries_;
  std::vector<uint64_t> words_;
  std::vector<Usage> usage_;
};

}  // namespace citadel::rooms
