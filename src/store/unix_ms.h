// Wall-clock milliseconds since the epoch: the time the stores stamp rows,
// batches and write-behind entries with (created_at_ms, the outbox's time).
#pragma once

#include <chrono>
#include <cstdint>

namespace citadel::store {

inline int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace citadel::store
