// Runs a pipelined scenario (pipelined_worker.h) to the end: the workers'
// threads, every player logged in before any request, then --warmup s
// unmeasured and --duration s measured, the server's CPU time over the
// window, and the workers' figures summed.
#pragma once

#include <netinet/in.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "histogram.h"
#include "options.h"
#include "pipelined_worker.h"
#include "stats_board.h"

namespace citadel::bench {

struct PipelinedResult {
  uint32_t threads = 1;
  WorkerSnapshot totals;
  Histogram latency;  // Ok round trips in the measured window, every kind
  std::array<Histogram, kRequestKinds> latency_by_kind;
  KindResults results{};  // replies in the measured window by kind and result
  uint64_t logged_in = 0;
  uint64_t logins_refused = 0;
  uint64_t requests_sent = 0;  // whole run
  uint64_t flagged = 0;        // Ok replies in the window with the scenario's flag
  uint64_t missed = 0;         // open loop: scheduled in the window, every slot busy
  uint64_t unexpected_frames = 0;
  double connect_s = 0;  // first connect until every connection is logged in (or not)
  double duration_s = 0;
  std::optional<double> server_cpu_s;  // over the measured window
  bool interrupted = false;
};

// Worker `index` of the run, on its share of the connections.
using WorkerFactory = std::function<std::unique_ptr<PipelinedWorker>(
    FrameClientConfig config, uint32_t index, RunControl& control, StatsBoard& board)>;

// `unit` labels the progress line ("writes/s"); `server_pid` 0: no CPU time.
PipelinedResult run_pipelined(const CommonOptions& common, const sockaddr_in& server,
                              double warmup_s, int server_pid, const char* unit, std::FILE* csv,
                              const WorkerFactory& make_worker);

}  // namespace citadel::bench
