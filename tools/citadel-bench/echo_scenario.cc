#include "echo_scenario.h"

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

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// One thread's share: keeps every open connection's pipeline full once the
// controller says go, and refills a slot as soon as its reply arrives.
class EchoWorker final : public ConnectionEvents {
 public:
  EchoWorker(ClientConfig config, RunControl& control, StatsBoard& board)
      : depth_(config.max_in_flight),
        control_(control),
        board_(board),
        client_(std::move(config), *this) {}

  // Worker thread: runs until control.stop.
  void run_in_thread() {
    Clock::time_point next_publish = Clock::now();
    while (!control_.stop.load(std::memory_order_relaxed)) {
      const Clock::time_point now = Clock::now();
      if (client_.connecting()) client_.start_due_connects(now);
      if (!going_ && control_.go.load(std::memory_order_acquire)) start_traffic();
      client_.flush_writes();
      if (now >= next_publish) {
        publish();
        next_publish = now + kPublishPeriod;
      }
      client_.poll(client_.connecting() ? Clock::duration(kConnectPollPeriod) : kIdlePollPeriod);
    }
    publish();
  }

  // After the thread has been joined.
  const ClientCounters& counters() const { return client_.counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  const Histogram& measured() const { return recorder_.measured(); }

 private:
  void on_open(ConnId id, Clock::time_point) override {
    if (going_) client_.request(id, depth_);
  }

  void on_reply(ConnId id, ReplyStatus status, Clock::duration rtt,
                Clock::time_point now) override {
    if (status == ReplyStatus::kOk) recorder_.record(rtt, now);
    client_.request(id, 1);
  }

  void start_traffic() {
    going_ = true;
    recorder_.set_window(
        Clock::time_point(Clock::duration(control_.measure_start.load(std::memory_order_relaxed))),
        Clock::time_point(Clock::duration(control_.measure_end.load(std::memory_order_relaxed))));
    for (ConnId id = 0; id < client_.size(); ++id) client_.request(id, depth_);
  }

  void publish() {
    board_.publish(client_.counters(), client_.first_error(), 0, recorder_.interval());
  }

  const uint32_t depth_;
  RunControl& control_;
  StatsBoard& board_;
  LatencyRecorder recorder_;
  bool going_ = false;
  EpollClient client_;  // last: its events reach the members above
};

}  // namespace

int run_echo(const EchoOptions& options, const sockaddr_in& server, std::FILE* csv) {
  const CommonOptions& common = options.common;
  const uint32_t workers = worker_count(common);
  RunControl control;
  std::vector<StatsBoard> boards(workers);
  std::vector<std::unique_ptr<EchoWorker>> echo_workers;
  std::random_device entropy;
  for (uint32_t i = 0; i < workers; ++i) {
    ClientConfig config = worker_client_config(common, server, workers, i, entropy());
    config.request_cmd = options.use_ping ? proto::cmd::kPing : proto::cmd::kEcho;
    config.reply_cmd = options.use_ping ? proto::cmd::kPong : proto::cmd::kEcho;
    // Recognisable bytes in a capture; the server must echo them unchanged.
    config.request_payload.resize(options.payload_bytes);
    for (std::size_t b = 0; b < config.request_payload.size(); ++b) {
      config.request_payload[b] = static_cast<uint8_t>('a' + b % 26);
    }
    config.max_in_flight = options.depth;
    echo_workers.push_back(std::make_unique<EchoWorker>(std::move(config), control, boards[i]));
  }

  Controller controller(boards, common.connections, common.quiet, csv);
  EchoResult result;
  result.options = options;
  result.threads = workers;
  {
    std::vector<std::jthread> threads;
    for (auto& w : echo_workers) threads.emplace_back([&w] { w->run_in_thread(); });
    // jthread joins on scope exit; make sure the workers are told to stop even
    // if the controller leaves this block early.
    StopOnExit stop_on_exit{control};

    const Clock::time_point start = controller.started();
    WaitResult waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
      return controller.totals().counters.resolved() >= common.connections;
    });
    const Clock::time_point connected_at = Clock::now();
    result.connect_s = std::chrono::duration<double>(connected_at - start).count();

    if (waited != WaitResult::kInterrupted && controller.totals().counters.open > 0) {
      const Clock::time_point measure_start =
          connected_at + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(options.warmup_s));
      const Clock::time_point measure_end =
          measure_start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(common.duration_s));
      control.set_window(measure_start, measure_end);
      control.go.store(true, std::memory_order_release);
      waited = controller.wait(measure_end);
      const Clock::time_point stopped_at = std::min(Clock::now(), measure_end);
      result.duration_s =
          std::max(0.0, std::chrono::duration<double>(stopped_at - measure_start).count());
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  for (const auto& w : echo_workers) {
    WorkerSnapshot s{w->counters(), w->first_error(), 0};
    accumulate(result.totals, s);
    result.measured.merge(w->measured());
  }
  print_echo_report(result);
  return result.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
