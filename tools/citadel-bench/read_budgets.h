// The read budgets of the load generator's two clients (EpollClient and
// FrameClient), one thread each.
#pragma once

#include <cstddef>
#include <cstdint>

namespace citadel::bench {

// One read buffer per thread; big enough that a turn rarely needs a second read.
inline constexpr std::size_t kReadBufferBytes = 256 * 1024;
// Reads per readiness event before moving on, so one busy connection cannot
// starve the others in a turn (level-triggered: the rest waits for next turn).
inline constexpr int kMaxReadsPerEvent = 4;
// The client is lenient about reply sizes; the server enforces its own limit.
inline constexpr uint32_t kMaxReplyPayloadBytes = 16 * 1024 * 1024;

}  // namespace citadel::bench
