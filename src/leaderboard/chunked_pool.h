// Objects of one type addressed by 32-bit index, stored in fixed-size chunks.
//
// Why not a std::vector: growing a vector copies every element and briefly
// holds twice the memory (a 64 MiB record table would spike to 128 MiB),
// and its capacity slack is up to half of what it holds. Chunks never move,
// so growth costs one chunk at a time and references stay valid until the
// element is released. Freed indices are reused, last freed first.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace citadel::leaderboard {

template <class T, uint32_t kChunkElements>
class ChunkedPool {
  static_assert(kChunkElements > 0 && (kChunkElements & (kChunkElements - 1)) == 0,
                "chunk size must be a power of two");

 public:
  // Returns the index of a value-initialised element.
  uint32_t allocate() {
    if (!free_.empty()) {
      uint32_t index = free_.back();
      free_.pop_back();
      (*this)[index] = T{};
      ++live_;
      return index;
    }
    if (next_unused_ == uint64_t(chunks_.size()) * kChunkElements) {
      chunks_.push_back(std::make_unique<T[]>(kChunkElements));
    }
    ++live_;
    return next_unused_++;
  }

  // The element keeps its value until reused; the caller clears what it owns.
  void release(uint32_t index) {
    assert(index < next_unused_);
    free_.push_back(index);
    --live_;
  }

  T& operator[](uint32_t index) { return chunks_[index / kChunkElements][index % kChunkElements]; }
  const T& operator[](uint32_t index) const {
    return chunks_[index / kChunkElements][index % kChunkElements];
  }

  uint32_t live() const { return live_; }
  // Indices below this have been handed out at least once.
  uint32_t high_water() const { return next_unused_; }

  std::size_t memory_bytes() const {
    return chunks_.size() * kChunkElements * sizeof(T) +
           chunks_.capacity() * sizeof(std::unique_ptr<T[]>) + free_.capacity() * sizeof(uint32_t);
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t next_unused_ = 0;
  uint32_t live_ = 0;
};

}  // namespace citadel::leaderboard
