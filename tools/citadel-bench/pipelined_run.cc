#include "pipelined_run.h"

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

#include "controller.h"
#include "scenario_setup.h"
#include "system_info.h"

namespace citadel::bench {
namespace {}  // namespace

PipelinedResult run_pipelined(const CommonOptions& common, const sockaddr_in& server,
                              double warmup_s, int server_pid, const char* unit, std::FILE* csv,
                              const WorkerFactory& make_worker) {
  PipelinedResult result;
  const uint32_t count = worker_count(common);
  RunControl control;
  std::vector<StatsBoard> boards(count);
  std::vector<std::unique_ptr<PipelinedWorker>> workers;
  std::random_device entropy;
  for (uint32_t i = 0; i < count; ++i) {
    const ClientConfig base = worker_client_config(common, server, count, i, entropy());
    FrameClientConfig config;
    config.server = base.server;
    config.also_servers = base.also_servers;
    config.connections = base.connections;
    config.connect_rate_per_s = base.connect_rate_per_s;
    config.connect_phase_limit = base.connect_phase_limit;
    config.source_ports = base.source_ports;
    config.stream = base.stream;
    workers.push_back(make_worker(std::move(config), i, control, boards[i]));
  }

  Controller controller(boards, common.connections, common.quiet, csv, unit);
  result.threads = count;
  {
    std::vector<std::jthread> threads;
    for (auto& w : workers) threads.emplace_back([&w] { w->run_in_thread(); });
    StopOnExit stop_on_exit{control};

    // Every player logs in before any request, so the measured window sees
    // the requests only, not account creation.
    const Clock::time_point start = controller.started();
    WaitResult waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
      uint64_t resolved = 0;
      for (const auto& w : workers) resolved += w->resolved();
      return resolved >= common.connections;
    });
    const Clock::time_point logged_in_at = Clock::now();
    result.connect_s = std::chrono::duration<double>(logged_in_at - start).count();
    uint64_t logged_in = 0;
    for (const auto& w : workers) logged_in += w->live_logged_in();
    if (waited != WaitResult::kInterrupted && logged_in > 0) {
      const Clock::time_point measure_start = logged_in_at + seconds(warmup_s);
      const Clock::time_point measure_end = measure_start + seconds(common.duration_s);
      control.set_window(measure_start, measure_end);
      control.go.store(true, std::memory_order_release);
      waited = controller.wait(measure_start);
      std::optional<double> cpu0;
      if (server_pid > 0) cpu0 = read_cpu_seconds(server_pid);
      if (waited != WaitResult::kInterrupted) waited = controller.wait(measure_end);
      if (server_pid > 0) {
        const auto cpu1 = read_cpu_seconds(server_pid);
        if (cpu0 && cpu1 && waited != WaitResult::kInterrupted) result.server_cpu_s = *cpu1 - *cpu0;
      }
      const Clock::time_point stopped_at = std::min(Clock::now(), measure_end);
      result.duration_s =
          std::max(0.0, std::chrono::duration<double>(stopped_at - measure_start).count());
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  for (const auto& w : workers) {
    accumulate(result.totals, WorkerSnapshot{w->counters(), w->first_error(), 0});
    result.latency.merge(w->measured());
    for (std::size_t k = 0; k < kRequestKinds; ++k) {
      result.latency_by_kind[k].merge(w->measured(k));
      for (std::size_t i = 0; i < kResultSlots; ++i) result.results[k][i] += w->results()[k][i];
    }
    result.logged_in += w->logged_in();
    result.logins_refused += w->logins_refused();
    result.requests_sent += w->requests_sent();
    result.flagged += w->flagged();
    result.missed += w->missed();
    result.unexpected_frames += w->unexpected_frames();
  }
  return result;
}

}  // namespace citadel::bench
