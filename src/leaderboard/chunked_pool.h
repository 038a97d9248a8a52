// Objects of one type addressed by 32-bit index, stored in fixed-size chunks.
//
// Why not a std::vector: growing a vector copies every element and briefly
// holds twice the memory (a 64 MiB record table would spike to 128 MiB),
// and its capacity slack is up to half of what it holds. Chunks never move,
// so growth costs one chunk at a time and references stay valid until the
// element is released. Freed indices are reused, last freed first.
//
// Chunks are carved from slabs: one chunk a slab while the pool is under
// kHugePageBytes (a small board stays small), then slabs of a huge page
// (huge_pages.h), so a large board's elements sit on huge pages.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "leaderboard/huge_pages.h"

namespace citadel::leaderboard {

template <class T, uint32_t kChunkElements>
class ChunkedPool {
  static_assert(kChunkElements > 0 && (kChunkElements & (kChunkElements - 1)) == 0,
                "chunk size must be a power of two");

 public:
  ChunkedPool() = default;
  ChunkedPool(const ChunkedPool&) = delete;
  ChunkedPool& operator=(const ChunkedPool&) = delete;
  ChunkedPool(ChunkedPool&& other) noexcept
      : slabs_(std::move(other.slabs_)),
        chunks_(std::exchange(other.chunks_, {})),
        free_(std::move(other.free_)),
        slab_next_(std::exchange(other.slab_next_, nullptr)),
        slab_chunks_left_(std::exchange(other.slab_chunks_left_, 0)),
        slab_bytes_(std::exchange(other.slab_bytes_, 0)),
        next_unused_(std::exchange(other.next_unused_, 0)),
        live_(std::exchange(other.live_, 0)) {}
  ChunkedPool& operator=(ChunkedPool&& other) noexcept {
    ChunkedPool moved(std::move(other));
    swap(moved);
    return *this;
  }
  ~ChunkedPool() {
    for (T* chunk : chunks_) std::destroy_n(chunk, kChunkElements);
  }

  // Returns the index of a value-initialised element.
  uint32_t allocate() {
    if (!free_.empty()) {
      uint32_t index = free_.back();
      free_.pop_back();
      (*this)[index] = T{};
      ++live_;
      return index;
    }
    if (next_unused_ == uint64_t(chunks_.size()) * kChunkElements) add_chunk();
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

  // What the slabs hold (a huge slab counts whole), plus the tables.
  std::size_t memory_bytes() const {
    return slab_bytes_ + chunks_.capacity() * sizeof(T*) + slabs_.capacity() * sizeof(Block) +
           free_.capacity() * sizeof(uint32_t);
  }

 private:
  static constexpr std::size_t kChunkBytes = sizeof(T) * kChunkElements;

  void add_chunk() {
    if (slab_chunks_left_ == 0) {
      const bool huge = slab_bytes_ >= kHugePageBytes;
      const std::size_t chunks = huge ? std::max<std::size_t>(1, kHugePageBytes / kChunkBytes) : 1;
      // A huge slab is whole huge pages (the chunks may leave a tail).
      const std::size_t bytes =
          huge ? (chunks * kChunkBytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes
               : kChunkBytes;
      Block slab(allocate_block(bytes, alignof(T)));
      slab_next_ = static_cast<T*>(slab.get());
      slabs_.push_back(std::move(slab));
      slab_chunks_left_ = chunks;
      slab_bytes_ += bytes;
    }
    // Grown here, so the push below cannot throw with a chunk constructed.
    if (chunks_.size() == chunks_.capacity())
      chunks_.reserve(std::max<std::size_t>(8, 2 * chunks_.size()));
    std::uninitialized_value_construct_n(slab_next_, kChunkElements);
    chunks_.push_back(slab_next_);
    slab_next_ += kChunkElements;
    --slab_chunks_left_;
  }

  void swap(ChunkedPool& other) noexcept {
    std::swap(slabs_, other.slabs_);
    std::swap(chunks_, other.chunks_);
    std::swap(free_, other.free_);
    std::swap(slab_next_, other.slab_next_);
    std::swap(slab_chunks_left_, other.slab_chunks_left_);
    std::swap(slab_bytes_, other.slab_bytes_);
    std::swap(next_unused_, other.next_unused_);
    std::swap(live_, other.live_);
  }

  std::vector<Block> slabs_;  // declared first: freed after the chunks are destroyed
  std::vector<T*> chunks_;    // into slabs_, kChunkElements constructed elements each
  std::vector<uint32_t> free_;
  T* slab_next_ = nullptr;  // the current slab's next unused chunk
  std::size_t slab_chunks_left_ = 0;
  std::size_t slab_bytes_ = 0;
  uint32_t next_unused_ = 0;
  uint32_t live_ = 0;
};

}  // namespace citadel::leaderboard
