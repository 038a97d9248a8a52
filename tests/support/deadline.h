// Milliseconds left until a deadline, as poll(2) takes them: 0 once it has
// passed (never negative, which poll would read as "wait forever").
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace citadel::test {

inline int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

}  // namespace citadel::test
