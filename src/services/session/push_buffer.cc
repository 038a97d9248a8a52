#include "services/session/push_buffer.h"

#include <algorithm>

namespace citadel::services {

void PushBuffer::record(uint64_t push_id, net::SharedBytes frame) {
  if (max_frames_ == 0 || !frame) return;
  const uint64_t n = frame->size();
  while (count_ > 0 && (count_ >= max_frames_ || bytes_ + n > max_bytes_)) evict_oldest();
  if (n > max_bytes_) {  // too big to keep at all
    newest_evicted_ = push_id;
    return;
  }
  if (count_ < ring_.size()) {
    ring_[(head_ + count_) % ring_.size()] = Entry{push_id, std::move(frame)};
  } else {
    // Full at its current size but below max_frames_ (eviction above made
    // room otherwise): unwrap so the oldest is first, then grow.
    std::rotate(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(head_), ring_.end());
    head_ = 0;
    ring_.push_back(Entry{push_id, std::move(frame)});
  }
  ++count_;
  bytes_ += n;
}

void PushBuffer::evict_oldest() {
  Entry& e = ring_[head_];
  newest_evicted_ = e.push_id;
  bytes_ -= e.frame->size();
  e.frame.reset();
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

std::vector<net::SharedBytes> PushBuffer::since(uint64_t last_seen, bool& complete) const {
  complete = newest_evicted_ <= last_seen;
  std::vector<net::SharedBytes> out;
  for (std::size_t i = 0; i < count_; ++i) {
    const Entry& e = ring_[(head_ + i) % ring_.size()];
    if (e.push_id > last_seen) out.push_back(e.frame);
  }
  return out;
}

void PushBuffer::clear() {
  std::vector<Entry>().swap(ring_);
  head_ = count_ = 0;
  bytes_ = 0;
}

}  // namespace citadel::services
