#include "hold_scenario.h"

#include <algorithm>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "controller.h"
#include "latency_recorder.h"
#include "protocol/wire.h"
#include "report.h"
#include "run_control.h"
#include "scenario_setup.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// PINGs allowed unanswered on one connection; a due PING beyond this is
// skipped and counted rather than queued without bound.
constexpr uint32_t kMaxPingsInFlight = 4;
// PING payload: fixed, so every connection shares one request frame.
constexpr std::string_view kPingPayload = "citadel!";

// One thread's share: a min-heap of (due time, connection) decides who pings
// next. Every connection's period is the same, so after a random first phase
// the pings stay spread evenly over the interval.
class HoldWorker final : public ConnectionEvents {
 public:
  HoldWorker(ClientConfig config, Clock::duration ping_interval, uint64_t seed, RunControl& control,
             StatsBoard& board)
      : ping_interval_(ping_interval),
        rng_(seed),
        control_(control),
        board_(board),
        client_(std::move(config), *this) {
    due_.reserve(client_.size());  // no allocation once running
    // Every pong is measured: the hold scenario has no warm-up.
    recorder_.set_window(Clock::time_point::min(), Clock::time_point::max());
  }

  // Worker thread: runs until control.stop.
  void run_in_thread() {
    Clock::time_point next_publish = Clock::now();
    while (!control_.stop.load(std::memory_order_relaxed)) {
      const Clock::time_point now = Clock::now();
      if (client_.connecting()) client_.start_due_connects(now);
      send_due_pings(now);
      client_.flush_writes();
      if (now >= next_publish) {
        publish();
        next_publish = now + kPublishPeriod;
      }
      Clock::duration wait = kIdlePollPeriod;
      if (client_.connecting()) wait = kConnectPollPeriod;
      if (!due_.empty()) wait = std::min(wait, due_.front().at - now);
      client_.poll(wait);
    }
    publish();
  }

  // After the thread has been joined.
  const ClientCounters& counters() const { return client_.counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  const Histogram& measured() const { return recorder_.measured(); }
  uint64_t pings_skipped() const { return pings_skipped_; }

 private:
  struct Due {
    Clock::time_point at;
    ConnId id;
  };
  // Orders the heap so that the earliest due time is at the front.
  static bool later(const Due& a, const Due& b) { return a.at > b.at; }

  void on_open(ConnId id, Clock::time_point now) override {
    std::uniform_int_distribution<Clock::rep> phase(0, ping_interval_.count() - 1);
    schedule({now + Clock::duration(phase(rng_)), id});
  }

  void on_reply(ConnId, ReplyStatus status, Clock::duration rtt, Clock::time_point now) override {
    if (status == ReplyStatus::kOk) recorder_.record(rtt, now);
  }

  void schedule(Due d) {
    due_.push_back(d);
    std::push_heap(due_.begin(), due_.end(), later);
  }

  void send_due_pings(Clock::time_point now) {
    while (!due_.empty() && due_.front().at <= now) {
      std::pop_heap(due_.begin(), due_.end(), later);
      Due d = due_.back();
      due_.pop_back();
      if (!client_.is_open(d.id)) continue;  // closed: drop its timer
      if (client_.request(d.id, 1) == 0) ++pings_skipped_;
      // By deadline, so the spread holds; but after a stall start afresh
      // rather than firing a burst of missed pings.
      d.at += ping_interval_;
      if (d.at <= now) d.at = now + ping_interval_;
      schedule(d);
    }
  }

  void publish() {
    board_.publish(client_.counters(), client_.first_error(), pings_skipped_, recorder_.interval());
  }

  const Clock::duration ping_interval_;
  std::mt19937_64 rng_;
  RunControl& control_;
  StatsBoard& board_;
  LatencyRecorder recorder_;
  std::vector<Due> due_;
  uint64_t pings_skipped_ = 0;
  EpollClient client_;  // last: its events reach the members above
};

Clock::duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

int run_hold(const HoldOptions& options, const sockaddr_in& server, std::FILE* csv) {
  const CommonOptions& common = options.common;
  HoldResult result;
  result.options = options;
  // Before any connection exists: the baseline the per-connection cost is taken from.
  if (options.server_pid > 0) result.rss_before_kb = read_vm_rss_kb(options.server_pid);

  const uint32_t workers = worker_count(common);
  RunControl control;
  std::vector<StatsBoard> boards(workers);
  std::vector<std::unique_ptr<HoldWorker>> hold_workers;
  std::random_device entropy;
  for (uint32_t i = 0; i < workers; ++i) {
    ClientConfig config = worker_client_config(common, server, workers, i, entropy());
    config.request_cmd = proto::cmd::kPing;
    config.reply_cmd = proto::cmd::kPong;
    config.request_payload.assign(kPingPayload.begin(), kPingPayload.end());
    config.max_in_flight = kMaxPingsInFlight;
    hold_workers.push_back(std::make_unique<HoldWorker>(
        std::move(config), seconds_to_duration(options.ping_interval_s),
        (uint64_t{entropy()} << 32) | entropy(), control, boards[i]));
  }

  Controller controller(boards, common.connections, common.quiet, csv);
  result.threads = workers;
  {
    std::vector<std::jthread> threads;
    for (auto& w : hold_workers) threads.emplace_back([&w] { w->run_in_thread(); });
    StopOnExit stop_on_exit{control};

    const Clock::time_point start = controller.started();
    WaitResult waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
      return controller.totals().counters.resolved() >= common.connections;
    });
    const Clock::time_point connected_at = Clock::now();
    result.connect_s = std::chrono::duration<double>(connected_at - start).count();
    const Clock::time_point hold_end = connected_at + seconds_to_duration(common.duration_s);

    if (waited != WaitResult::kInterrupted && controller.totals().counters.open > 0) {
      if (options.server_pid > 0) {
        // "After": every open connection has had a PONG, so the server has
        // set up and used each one's state at least once.
        waited = controller.wait(hold_end, [&] {
          const ClientCounters& c = controller.totals().counters;
          return c.open_answered >= c.open;
        });
        result.ping_round_complete = waited == WaitResult::kDone;
        result.rss_after_kb = read_vm_rss_kb(options.server_pid);
        result.connected_at_rss = controller.totals().counters.connected;
      }
      if (waited != WaitResult::kInterrupted) waited = controller.wait(hold_end);
      result.duration_s =
          std::chrono::duration<double>(std::min(Clock::now(), hold_end) - connected_at).count();
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  for (const auto& w : hold_workers) {
    accumulate(result.totals, WorkerSnapshot{w->counters(), w->first_error(), w->pings_skipped()});
    result.rtt.merge(w->measured());
  }
  print_hold_report(result);
  return result.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
