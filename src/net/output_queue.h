// Bytes queued for one connection, in order: frames written by this
// connection's handlers are copied into one growing inline buffer (consecutive
// replies form a single run); frames shared by many recipients (broadcasts,
// room ticks) are referenced, not copied. gather() hands the front to one
// sendmsg() as an iovec array.
//
// Memory: an idle connection's queue owns nothing beyond small retained
// capacity; a large burst's buffer is released once it has been written.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "net/shared_bytes.h"

namespace citadel::net {

class OutputQueue {
 public:
  // Appends n uninitialised bytes to the inline run and returns where to write them.
  uint8_t* append_inline(std::size_t n);
  void append_shared(SharedBytes bytes);

  std::size_t bytes() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

  // Fills up to max_iov entries from the front; returns the count used.
  int gather(iovec* iov, int max_iov) const;
  // Drops the first n bytes (after a write that sent n).
  void consume(std::size_t n);
  // Capacity held (memory cost while idle).
  std::size_t capacity_bytes() const;

 private:
  // Inline buffers above this are released when drained rather than kept.
  static constexpr std::size_t kRetainedInlineBytes = 4096;

  struct Segment {
    SharedBytes shared;  // null: the bytes are inline_[begin, end)
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const { return end - begin; }
  };

  void compact_inline();

  std::vector<uint8_t> inline_;
  std::vector<Segment> segments_;
  std::size_t head_ = 0;  // first live segment
  std::size_t bytes_ = 0;
};

}  // namespace citadel::net
