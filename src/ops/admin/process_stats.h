// Figures about this process from the kernel (/proc/self, getrusage,
// getrlimit), for /health and the process_* metrics. Any thread.
#pragma once

#include <cstdint>

namespace citadel::ops::admin {

struct ProcessStats {
  uint64_t resident_memory_bytes = 0;
  uint64_t virtual_memory_bytes = 0;
  uint64_t threads = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  double cpu_seconds = 0;  // user + system, all threads
};

// Counting open descriptors lists /proc/self/fd: 20,000 entries with a full
// server, a few milliseconds. /metrics pays that; /health, polled by probes
// every few seconds, does not need it.
enum class CountOpenFds { kNo, kYes };

// Reads the current figures. A figure that cannot be read (or is not asked
// for) stays 0.
ProcessStats read_process_stats(CountOpenFds count_open_fds);

}  // namespace citadel::ops::admin
