// The recent pushes sent to one user, kept so a client that reconnects within
// the grace period gets what it missed, in order. Bounded in frames and bytes;
// when it evicts, it remembers the newest push it dropped, so a resume that
// would need it is told to resync instead of silently missing messages.
// Frames are shared (the same bytes as every other recipient's).
#pragma once

#include <cstdint>
#include <vector>

#include "net/output_queue.h"

namespace citadel::services {

class PushBuffer {
 public:
  PushBuffer(uint32_t max_frames, uint64_t max_bytes)
      : max_frames_(max_frames), max_bytes_(max_bytes) {}

  void record(uint64_t push_id, net::SharedBytes frame);
  // Frames with push_id > last_seen, oldest first. `complete` is false when a
  // push the client has not seen was evicted (the client must resync).
  std::vector<net::SharedBytes> since(uint64_t last_seen, bool& complete) const;
  void clear();
  std::size_t size() const { return count_; }

 private:
  struct Entry {
    uint64_t push_id = 0;
    net::SharedBytes frame;
  };
  void evict_oldest();

  uint32_t max_frames_;
  uint64_t max_bytes_;
  std::vector<Entry> ring_;  // grows lazily to max_frames_: an idle user holds nothing
  std::size_t head_ = 0;     // oldest entry
  std::size_t count_ = 0;
  uint64_t bytes_ = 0;
  uint64_t newest_evicted_ = 0;
};

}  // namespace citadel::services
