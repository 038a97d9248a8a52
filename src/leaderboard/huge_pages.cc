#include "leaderboard/huge_pages.h"

#include <sys/mman.h>

namespace citadel::leaderboard {

void* allocate_block(std::size_t bytes, std::size_t align) {
  if (bytes < kHugePageBytes) {
    // aligned_alloc wants a size that is a multiple of the alignment.
    void* p = align <= alignof(std::max_align_t)
                  ? std::malloc(bytes == 0 ? 1 : bytes)
                  : std::aligned_alloc(align, (bytes + align - 1) / align * align);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  // aligned_alloc wants a multiple of the alignment; the tail is at most one
  // huge page less a byte, on arrays of at least one.
  const std::size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  void* p = std::aligned_alloc(kHugePageBytes, rounded);
  if (p == nullptr) throw std::bad_alloc();
  // A hint: failure (no THP in this kernel) leaves ordinary pages.
  (void)::madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

}  // namespace citadel::leaderboard
