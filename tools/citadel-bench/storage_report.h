// What a storage run measured, and its end-of-run output: the summary on
// stderr and exactly one JSON line on stdout (scenario "storage").
#pragma once

#include <cstdint>

#include "options.h"
#include "pipelined_run.h"

namespace citadel::bench {

// The storage scenario's request kinds (PipelinedWorker::Request::kind).
inline constexpr uint8_t kWrite = 0;
inline constexpr uint8_t kRead = 1;

struct StorageRunResult {
  StorageOptions options;
  PipelinedResult run;
};

void print_storage_report(const StorageRunResult& result);

}  // namespace citadel::bench
