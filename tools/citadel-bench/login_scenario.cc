#include "login_scenario.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "bench_messages.h"
#include "controller.h"
#include "device_ids.h"
#include "frame_client.h"
#include "latency_recorder.h"
#include "login_report.h"
#include "protocol/commands.h"
#include "run_control.h"
#include "scenario_setup.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

// One thread's share of the connections. Each connection has at most one
// login in flight (and, in the persistent mode, the Logout sent with it).
class LoginWorker final : public FrameEvents {
 public:
  LoginWorker(FrameClientConfig config, bool storm, std::string_view prefix, uint32_t index,
              RunControl& control, StatsBoard& board)
      : storm_(storm),
        ids_(prefix, index),
        control_(control),
        board_(board),
        conns_(config.connections),
        client_(std::move(config), *this) {
    // The storm times every login; the persistent mode sets its window at go.
    if (storm_) recorder_.set_window(Clock::time_point::min(), Clock::time_point::max());
  }

  // Worker thread: runs until control.stop.
  void run_in_thread() {
    Clock::time_point next_publish = Clock::now();
    while (!control_.stop.load(std::memory_order_relaxed)) {
      const Clock::time_point now = Clock::now();
      if (client_.connecting()) client_.start_due_connects(now);
      if (!going_ && !storm_ && control_.go.load(std::memory_order_acquire)) start_logins();
      client_.flush_writes();
      resolved_.store(ok_conns_ + failed_conns_ + client_.counters().connect_failed,
                      std::memory_order_relaxed);
      live_logged_in_.store(logged_in_now_, std::memory_order_relaxed);
      if (now >= next_publish) {
        publish();
        next_publish = now + kPublishPeriod;
      }
      client_.poll(client_.connecting() ? Clock::duration(kConnectPollPeriod) : kIdlePollPeriod);
    }
    publish();
  }

  // Storm: connections whose outcome is known (logged in, refused, closed,
  // or never connected). Any thread.
  uint64_t resolved() const { return resolved_.load(std::memory_order_relaxed); }
  // Connections logged in right now. Any thread.
  uint64_t live_logged_in() const { return live_logged_in_.load(std::memory_order_relaxed); }

  // After the thread has been joined.
  ClientCounters counters() const { return merged_counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  const Histogram& measured() const { return recorder_.measured(); }
  const std::array<uint64_t, kResultSlots>& results() const { return results_; }
  uint64_t logouts_ok() const { return logouts_ok_; }
  uint64_t unexpected_frames() const { return unexpected_; }
  Clock::time_point last_ok_at() const { return last_ok_at_; }
  uint64_t logged_in_now() const { return logged_in_now_; }

 private:
  struct Conn {
    uint32_t next_request = 1;
    uint32_t login_request = 0;   // 0: no login in flight
    uint32_t logout_request = 0;  // 0: no logout in flight
    bool logged_in = false;
    bool resolved = false;  // storm: its one login has an outcome
    bool stamp_pending = false;
    Clock::time_point sent_at;
  };

  void on_open(ConnId id, Clock::time_point) override {
    if (storm_ || going_) send_login(id, false);
  }

  void on_sent(ConnId id, Clock::time_point at) override {
    Conn& c = conns_[id];
    if (c.stamp_pending) {
      c.sent_at = at;
      c.stamp_pending = false;
    }
  }

  void on_close(ConnId id) override {
    Conn& c = conns_[id];
    if (c.logged_in) --logged_in_now_;
    c.logged_in = false;
    if (!c.resolved) {
      c.resolved = true;
      ++failed_conns_;
    }
  }

  void on_frame(ConnId id, const proto::FrameView& frame, Clock::time_point now) override {
    if (frame.cmd == proto::cmd::kError) return;  // counted by the client
    if (frame.cmd != proto::cmd::kAuthReply) {
      ++unexpected_;
      return;
    }
    const auto reply = decode_auth_reply(frame.payload);
    Conn& c = conns_[id];
    if (!reply) {
      ++unexpected_;
      return;
    }
    if (c.logout_request != 0 && reply->request_id == c.logout_request) {
      c.logout_request = 0;
      if (reply->result == kAuthOk) ++logouts_ok_;
      return;
    }
    if (c.login_request == 0 || reply->request_id != c.login_request) {
      ++unexpected_;
      return;
    }
    c.login_request = 0;
    ++results_[std::min<std::size_t>(reply->result, kResultSlots - 1)];
    const bool ok = reply->result == kAuthOk;
    if (ok) {
      ++logins_ok_;
      recorder_.record(now - c.sent_at, now);
      c.logged_in = true;
      ++logged_in_now_;
      last_ok_at_ = now;
    } else {
      ++logins_failed_;
    }
    if (storm_) {
      if (!c.resolved) {
        c.resolved = true;
        ++(ok ? ok_conns_ : failed_conns_);
      }
      return;  // one login, then hold
    }
    // Persistent: straight on with the next account. A refused login (server
    // busy, say) is simply tried again with a new device id.
    send_login(id, c.logged_in);
  }

  // Queues GuestLogin, after a Logout if the connection is logged in: both
  // leave in one write at the end of this turn.
  void send_login(ConnId id, bool with_logout) {
    Conn& c = conns_[id];
    if (with_logout) {
      c.logout_request = c.next_request++;
      client_.send(id, proto::cmd::kLogout, encoder_.logout(c.logout_request));
      c.logged_in = false;
      --logged_in_now_;
    }
    c.login_request = c.next_request++;
    client_.send(id, proto::cmd::kGuestLogin, encoder_.guest_login(c.login_request, ids_.next()));
    c.sent_at = Clock::now();  // replaced by the send's own time in on_sent
    c.stamp_pending = true;
    ++logins_sent_;
  }

  void start_logins() {
    going_ = true;
    recorder_.set_window(
        Clock::time_point(Clock::duration(control_.measure_start.load(std::memory_order_relaxed))),
        Clock::time_point(Clock::duration(control_.measure_end.load(std::memory_order_relaxed))));
    for (ConnId id = 0; id < client_.size(); ++id) {
      if (client_.is_open(id)) send_login(id, false);
    }
  }

  ClientCounters merged_counters() const {
    ClientCounters c = client_.counters();
    c.requests_sent = logins_sent_;
    c.replies_ok = logins_ok_;
    c.replies_mismatched = logins_failed_ + unexpected_;  // "errors" on the progress line
    c.open_answered = logged_in_now_;
    return c;
  }

  void publish() {
    board_.publish(merged_counters(), client_.first_error(), 0, recorder_.interval());
  }

  const bool storm_;
  DeviceIds ids_;
  MessageEncoder encoder_;
  RunControl& control_;
  StatsBoard& board_;
  LatencyRecorder recorder_;
  std::vector<Conn> conns_;
  std::array<uint64_t, kResultSlots> results_{};
  uint64_t logins_sent_ = 0, logins_ok_ = 0, logins_failed_ = 0, logouts_ok_ = 0;
  uint64_t unexpected_ = 0, logged_in_now_ = 0;
  uint64_t ok_conns_ = 0, failed_conns_ = 0;
  Clock::time_point last_ok_at_{};
  std::atomic<uint64_t> resolved_{0};
  std::atomic<uint64_t> live_logged_in_{0};
  bool going_ = false;
  FrameClient client_;  // last: its events reach the members above
};

}  // namespace

int run_login(const LoginOptions& options, const sockaddr_in& server, std::FILE* csv) {
  const CommonOptions& common = options.common;
  LoginResult result;
  result.options = options;
  const bool storm = options.storm;
  if (options.server_pid > 0 && storm) result.rss_before_kb = read_vm_rss_kb(options.server_pid);

  const uint32_t workers = worker_count(common);
  RunControl control;
  std::vector<StatsBoard> boards(workers);
  std::vector<std::unique_ptr<LoginWorker>> login_workers;
  std::random_device entropy;
  const std::string prefix = run_prefix();
  for (uint32_t i = 0; i < workers; ++i) {
    const ClientConfig base = worker_client_config(common, server, workers, i, entropy());
    FrameClientConfig config;
    config.server = base.server;
    config.also_servers = base.also_servers;
    config.connections = base.connections;
    config.connect_rate_per_s = base.connect_rate_per_s;
    config.connect_phase_limit = base.connect_phase_limit;
    config.source_ports = base.source_ports;
    config.stream = base.stream;
    login_workers.push_back(
        std::make_unique<LoginWorker>(std::move(config), storm, prefix, i, control, boards[i]));
  }

  Controller controller(boards, common.connections, common.quiet, csv, "logins/s");
  result.threads = workers;
  {
    std::vector<std::jthread> threads;
    for (auto& w : login_workers) threads.emplace_back([&w] { w->run_in_thread(); });
    StopOnExit stop_on_exit{control};

    const Clock::time_point start = controller.started();
    std::optional<double> cpu_start;
    if (options.server_pid > 0 && storm) cpu_start = read_cpu_seconds(options.server_pid);
    WaitResult waited;
    if (storm) {
      // Every connection connects and logs in; the storm is over once each
      // has an outcome.
      waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
        uint64_t resolved = 0;
        for (const auto& w : login_workers) resolved += w->resolved();
        return resolved >= common.connections;
      });
      result.connect_s = std::chrono::duration<double>(Clock::now() - start).count();
      if (options.server_pid > 0) {
        result.rss_after_kb = read_vm_rss_kb(options.server_pid);
        for (const auto& w : login_workers) result.logged_in_at_rss += w->live_logged_in();
        const auto cpu_end = read_cpu_seconds(options.server_pid);
        if (cpu_start && cpu_end) result.server_cpu_s = *cpu_end - *cpu_start;
      }
      const Clock::time_point held_from = Clock::now();
      if (waited != WaitResult::kInterrupted) {
        waited = controller.wait(held_from + seconds(common.duration_s));
      }
      result.duration_s = std::chrono::duration<double>(Clock::now() - held_from).count();
    } else {
      waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
        return controller.totals().counters.resolved() >= common.connections;
      });
      const Clock::time_point connected_at = Clock::now();
      result.connect_s = std::chrono::duration<double>(connected_at - start).count();
      if (waited != WaitResult::kInterrupted && controller.totals().counters.open > 0) {
        const Clock::time_point measure_start = connected_at + seconds(options.warmup_s);
        const Clock::time_point measure_end = measure_start + seconds(common.duration_s);
        control.set_window(measure_start, measure_end);
        control.go.store(true, std::memory_order_release);
        waited = controller.wait(measure_start);
        std::optional<double> cpu0;
        if (options.server_pid > 0) cpu0 = read_cpu_seconds(options.server_pid);
        if (waited != WaitResult::kInterrupted) waited = controller.wait(measure_end);
        if (options.server_pid > 0) {
          const auto cpu1 = read_cpu_seconds(options.server_pid);
          if (cpu0 && cpu1 && waited != WaitResult::kInterrupted)
            result.server_cpu_s = *cpu1 - *cpu0;
        }
        const Clock::time_point stopped_at = std::min(Clock::now(), measure_end);
        result.duration_s =
            std::max(0.0, std::chrono::duration<double>(stopped_at - measure_start).count());
      }
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  Clock::time_point last_ok{};
  for (const auto& w : login_workers) {
    accumulate(result.totals, WorkerSnapshot{w->counters(), w->first_error(), 0});
    result.latency.merge(w->measured());
    for (std::size_t i = 0; i < kResultSlots; ++i) result.results[i] += w->results()[i];
    result.logouts_ok += w->logouts_ok();
    result.unexpected_frames += w->unexpected_frames();
    result.logged_in_at_end += w->logged_in_now();
    last_ok = std::max(last_ok, w->last_ok_at());
  }
  const ClientCounters& c = result.totals.counters;
  result.logins_sent = c.requests_sent;
  result.logins_ok = c.replies_ok;
  if (storm) {
    result.all_logged_in = c.replies_ok >= common.connections;
    if (c.replies_ok > 0) {
      result.storm_s = std::chrono::duration<double>(last_ok - controller.started()).count();
    }
  }
  print_login_report(result);
  return c.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
