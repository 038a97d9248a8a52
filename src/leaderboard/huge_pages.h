// Memory for the engine's large arrays (a board of a million players holds
// some 160 MB), asked of the kernel on transparent huge pages.
//
// Why: a submit is a chain of dependent cache misses (the player's index
// slot, the record, the tree's leaves) spread over that memory; on 4 KiB
// pages each is also a TLB miss. With 2 MiB pages the same walk misses the
// TLB far less (leaderboard-bench: about 10 % off a submit, more off a rank
// query; docs/benchmarks.md). Blocks of at least kHugePageBytes are 2 MiB
// aligned and advised with MADV_HUGEPAGE, which works where THP is
// "always" or "madvise" and is harmlessly ignored where it is "never".
// Smaller blocks are plain malloc: a small board does not pay 2 MiB.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace citadel::leaderboard {

inline constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

// Aligned to `align` (a power of two; huge blocks to 2 MiB). Free with
// std::free. Throws std::bad_alloc.
void* allocate_block(std::size_t bytes, std::size_t align = alignof(std::max_align_t));

struct FreeBlock {
  void operator()(void* p) const noexcept { std::free(p); }
};
using Block = std::unique_ptr<void, FreeBlock>;

// For std::vector: huge pages once an array reaches kHugePageBytes.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static_assert(alignof(T) <= alignof(std::max_align_t));

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_block(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace citadel::leaderboard
