#include "room_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "controller.h"
#include "device_ids.h"
#include "run_control.h"
#include "scenario_setup.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

void add(GameCounts& a, const GameCounts& b) {
  a.inputs_sent += b.inputs_sent;
  a.inputs_measured += b.inputs_measured;
  a.inputs_evicted += b.inputs_evicted;
  a.pushes += b.pushes;
  a.pushes_measured += b.pushes_measured;
  a.bad_pushes += b.bad_pushes;
  a.other_pushes += b.other_pushes;
  a.frame_gaps += b.frame_gaps;
  a.tick_gaps += b.tick_gaps;
  a.tick_gap_max = std::max(a.tick_gap_max, b.tick_gap_max);
  a.frames_out_of_order += b.frames_out_of_order;
}

void add(ResumeCounts& a, const ResumeCounts& b) {
  a.drops += b.drops;
  a.reconnects += b.reconnects;
  a.resumed += b.resumed;
  a.rejoined += b.rejoined;
  a.refused += b.refused;
  a.gave_up += b.gave_up;
  a.moved += b.moved;
  a.moved_back += b.moved_back;
}

void add(SessionCounts& a, const SessionCounts& b) {
  a.logins_ok += b.logins_ok;
  a.logins_refused += b.logins_refused;
  a.joins_sent += b.joins_sent;
  a.joins_ok += b.joins_ok;
  a.joins_refused += b.joins_refused;
  a.unexpected += b.unexpected;
  a.resumes_sent += b.resumes_sent;
  a.resumes_ok += b.resumes_ok;
  for (std::size_t i = 0; i < kResultSlots; ++i) {
    a.login_results[i] += b.login_results[i];
    a.join_results[i] += b.join_results[i];
    a.resume_results[i] += b.resume_results[i];
  }
}

// "<start> <end>\n" in Unix seconds: the steady clock's window on the wall clock.
void write_window_file(const std::string& path, Clock::time_point measure_start,
                       double duration_s) {
  const auto wall_now = std::chrono::system_clock::now();
  const double start = std::chrono::duration<double>(wall_now.time_since_epoch()).count() +
                       seconds_between(Clock::now(), measure_start);
  const std::string tmp = path + ".tmp";
  if (std::FILE* f = std::fopen(tmp.c_str(), "w")) {
    std::fprintf(f, "%.3f %.3f\n", start, start + duration_s);
    std::fclose(f);
    std::rename(tmp.c_str(), path.c_str());  // whole or not at all, for a script polling it
  }
}

}  // namespace

RateSummary summarize_rates(std::vector<RoomRate> rates, uint32_t tick_hz) {
  RateSummary s;
  s.rooms = rates.size();
  if (rates.empty()) return s;
  std::sort(rates.begin(), rates.end(),
            [](const RoomRate& a, const RoomRate& b) { return a.hz < b.hz; });
  s.min_hz = rates.front().hz;
  s.max_hz = rates.back().hz;
  s.median_hz = rates[rates.size() / 2].hz;
  const double floor_hz = 0.975 * tick_hz;
  s.slow_rooms = static_cast<std::size_t>(std::count_if(
      rates.begin(), rates.end(), [&](const RoomRate& r) { return r.hz < floor_hz; }));
  return s;
}

int run_room_load(const RoomLoadOptions& options, const sockaddr_in& server, std::FILE* csv,
                  RoomRunResult& result) {
  const CommonOptions& common = options.common;
  result.options = options;
  const int pid = options.server_pid;
  if (pid > 0) result.rss_before_kb = read_vm_rss_kb(pid);

  const uint32_t workers = worker_count(common);
  RunControl control;
  std::vector<StatsBoard> boards(workers);
  std::vector<std::unique_ptr<RoomWorker>> room_workers;
  std::random_device entropy;
  const std::string prefix = run_prefix();
  for (uint32_t i = 0; i < workers; ++i) {
    const ClientConfig base = worker_client_config(common, server, workers, i, entropy());
    FrameClientConfig config;
    config.server = base.server;
    config.also_servers = base.also_servers;
    config.connections = base.connections;
    config.connect_rate_per_s = base.connect_rate_per_s;
    // Joins are paced by the connect rate, so at a slow rate connecting takes long.
    config.connect_phase_limit =
        base.connect_phase_limit + seconds(common.connections / common.connect_rate_per_s);
    config.source_ports = base.source_ports;
    config.stream = base.stream;
    room_workers.push_back(
        std::make_unique<RoomWorker>(std::move(config), options, prefix, i, control, boards[i]));
  }

  Controller controller(boards, common.connections, common.quiet, csv,
                        options.game == RoomGame::kArena ? "acks/s" : "inputs framed/s");
  result.threads = workers;
  const auto sum = [&](auto field) {
    uint64_t n = 0;
    for (const auto& w : room_workers) n += ((*w).*field)();
    return n;
  };
  {
    std::vector<std::jthread> threads;
    for (auto& w : room_workers) threads.emplace_back([&w] { w->run_in_thread(); });
    StopOnExit stop_on_exit{control};

    const Clock::time_point start = controller.started();
    const Clock::time_point give_up = start + kConnectPhaseLimit + kConnectPhaseGrace +
                                      seconds(common.connections / common.connect_rate_per_s);
    // Everyone in (or, storm: logged in), or failed.
    WaitResult waited =
        controller.wait(give_up, [&] { return sum(&RoomWorker::resolved) >= common.connections; });
    result.connect_s = seconds_between(start, Clock::now());

    if (options.join_storm && waited != WaitResult::kInterrupted) {
      // Every logged-in player sends RoomJoin within the join window.
      const Clock::time_point origin = Clock::now() + std::chrono::milliseconds(20);
      for (auto& w : room_workers) w->start_storm(origin);
      const Clock::time_point deadline =
          origin + seconds(options.join_window_s) + seconds(options.join_timeout_s);
      waited = controller.wait(deadline, [&] {
        int64_t due = 0;
        for (const auto& w : room_workers) {
          if (w->storm_joins_due() < 0) return false;  // not started yet
          due += w->storm_joins_due();
        }
        return sum(&RoomWorker::joins_resolved) >= static_cast<uint64_t>(due);
      });
      // Fresh counts (workers publish every 50 ms): joins still unanswered timed out.
      if (waited != WaitResult::kInterrupted) controller.wait(Clock::now() + 2 * kPublishPeriod);
      int64_t due = 0;
      for (const auto& w : room_workers) due += std::max<int64_t>(0, w->storm_joins_due());
      const uint64_t resolved = sum(&RoomWorker::joins_resolved);
      result.join_timeouts = static_cast<uint64_t>(due) > resolved ? due - resolved : 0;
    }

    if (waited != WaitResult::kInterrupted && controller.totals().counters.open > 0) {
      if (pid > 0) result.rss_after_kb = read_vm_rss_kb(pid);
      const Clock::time_point measure_start = Clock::now() + seconds(options.warmup_s);
      const Clock::time_point measure_end = measure_start + seconds(common.duration_s);
      control.set_window(measure_start, measure_end);
      if (!options.window_file.empty())
        write_window_file(options.window_file, measure_start, common.duration_s);
      control.go.store(true, std::memory_order_release);
      waited = controller.wait(measure_start);
      result.in_room_at_start = sum(&RoomWorker::in_room);
      std::optional<double> server0, bench0;
      if (pid > 0) server0 = read_cpu_seconds(pid);
      const auto also0 = read_cpu_seconds(options.also_pids);
      bench0 = read_cpu_seconds(static_cast<int>(::getpid()));
      if (waited != WaitResult::kInterrupted) waited = controller.wait(measure_end);
      const auto server1 = pid > 0 ? read_cpu_seconds(pid) : std::nullopt;
      const auto also1 = read_cpu_seconds(options.also_pids);
      const auto bench1 = read_cpu_seconds(static_cast<int>(::getpid()));
      if (waited != WaitResult::kInterrupted) {
        if (server0 && server1) result.server_cpu_s = *server1 - *server0;
        result.also_cpu_s = cpu_seconds_between(also0, also1);
        if (bench0 && bench1) result.bench_cpu_s = *bench1 - *bench0;
      }
      const Clock::time_point stopped_at = std::min(Clock::now(), measure_end);
      result.duration_s = std::max(0.0, seconds_between(measure_start, stopped_at));
      // Let the workers take their end-of-window samples before they stop.
      controller.wait(std::max(Clock::now(), measure_end) + std::chrono::milliseconds(30));
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  std::vector<std::vector<RoomRate>> rates;
  Clock::time_point first_join = Clock::time_point::max(), last_reply{};
  for (const auto& w : room_workers) {
    accumulate(result.totals, WorkerSnapshot{w->counters(), w->first_error(), 0});
    add(result.sessions, w->sessions());
    add(result.game, w->game());
    add(result.resumes, w->resumes());
    result.gaps.merge(w->gaps());
    result.moved_gaps.merge(w->moved_gaps());
    result.in_room_at_end += w->in_phase(SessionPhase::kInRoom);
    result.join_latency.merge(w->join_latency());
    result.latency.merge(w->latency());
    result.jitter.merge(w->jitter());
    result.input_lag.merge(w->input_lag());
    rates.push_back(w->room_rates());
    result.tick_hz = std::max(result.tick_hz, w->tick_hz());
    if (w->first_join_sent_at() != Clock::time_point{})
      first_join = std::min(first_join, w->first_join_sent_at());
    last_reply = std::max(last_reply, w->last_join_reply_at());
  }
  result.room_rates = merge_room_rates(rates);
  if (options.join_storm && first_join != Clock::time_point::max() && last_reply > first_join) {
    result.storm_s = seconds_between(first_join, last_reply);
  }
  return result.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
