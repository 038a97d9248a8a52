#include "net/output_queue.h"

#include <algorithm>
#include <cassert>

namespace citadel::net {

uint8_t* OutputQueue::append_inline(std::size_t n) {
  const std::size_t at = inline_.size();
  inline_.resize(at + n);
  if (head_ < segments_.size() && !segments_.back().shared && segments_.back().end == at) {
    segments_.back().end += n;  // extends the current run: one iovec for many replies
  } else {
    segments_.push_back(Segment{nullptr, at, at + n});
  }
  bytes_ += n;
  return inline_.data() + at;
}

void OutputQueue::append_shared(SharedBytes bytes) {
  if (!bytes || bytes->empty()) return;
  const std::size_t n = bytes->size();
  segments_.push_back(Segment{std::move(bytes), 0, n});
  bytes_ += n;
}

int OutputQueue::gather(iovec* iov, int max_iov) const {
  int used = 0;
  for (std::size_t i = head_; i < segments_.size() && used < max_iov; ++i, ++used) {
    const Segment& s = segments_[i];
    const uint8_t* base = s.shared ? s.shared->data() : inline_.data();
    iov[used].iov_base = const_cast<uint8_t*>(base + s.begin);
    iov[used].iov_len = s.size();
  }
  return used;
}

void OutputQueue::consume(std::size_t n) {
  assert(n <= bytes_);
  bytes_ -= n;
  while (n > 0) {
    Segment& s = segments_[head_];
    const std::size_t take = std::min(n, s.size());
    s.begin += take;
    n -= take;
    if (s.size() == 0) {
      s.shared.reset();
      ++head_;
    }
  }
  if (bytes_ == 0) {
    segments_.clear();
    head_ = 0;
    if (inline_.capacity() > kRetainedInlineBytes) {
      std::vector<uint8_t>().swap(inline_);
    } else {
      inline_.clear();
    }
    return;
  }
  if (head_ > 32 && head_ * 2 > segments_.size()) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  compact_inline();
}

// A queue that never fully drains (a steady stream to a slowish reader) would
// otherwise keep every byte ever written inline: once the written prefix is
// the larger half, move the live bytes down and shift the inline segments.
void OutputQueue::compact_inline() {
  std::size_t live_from = inline_.size();
  for (std::size_t i = head_; i < segments_.size(); ++i) {
    if (!segments_[i].shared) {
      live_from = segments_[i].begin;
      break;
    }
  }
  if (live_from < kRetainedInlineBytes || live_from * 2 < inline_.size()) return;
  inline_.erase(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(live_from));
  for (std::size_t i = head_; i < segments_.size(); ++i) {
    if (!segments_[i].shared) {
      segments_[i].begin -= live_from;
      segments_[i].end -= live_from;
    }
  }
}

std::size_t OutputQueue::capacity_bytes() const {
  return inline_.capacity() + segments_.capacity() * sizeof(Segment);
}

}  // namespace citadel::net
