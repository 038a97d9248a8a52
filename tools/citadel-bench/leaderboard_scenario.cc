#include "leaderboard_scenario.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_messages.h"
#include "controller.h"
#include "device_ids.h"
#include "frame_client.h"
#include "latency_recorder.h"
#include "leaderboard_report.h"
#include "protocol/commands.h"
#include "run_control.h"
#include "scenario_setup.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

constexpr uint16_t kAuthOk = 0;         // msg::AuthResult::Ok
constexpr uint16_t kLeaderboardOk = 0;  // msg::LeaderboardResult::Ok

// One thread's share of the players. Each connection logs in once (a refused
// login is retried with a new device id), then, from go on, keeps `depth`
// submits in flight: every reply, whatever its result, sends the next one, so
// a refusal (RateLimited, ServerBusy) costs no pipeline slot. With --rate
// (open loop) the worker sends its share of the rate at scheduled times
// instead, each to the next player with a free slot, and times each submit
// from its scheduled time, so a server that falls behind shows as latency,
// not as a lower offered rate; a submit that finds every slot busy is missed.
class LeaderboardWorker final : public FrameEvents {
 public:
  LeaderboardWorker(FrameClientConfig config, const LeaderboardOptions& options, uint32_t workers,
                    std::string_view prefix, uint32_t index, uint64_t seed, RunControl& control,
                    StatsBoard& board)
      : depth_(options.depth),
        rate_per_s_(options.rate / workers),
        board_id_(options.board),
        ids_(prefix, index),
        rng_state_(seed | 1),  // xorshift must not start at 0
        control_(control),
        board_(board),
        conns_(config.connections),
        client_(std::move(config), *this) {
    for (Conn& c : conns_) c.slots.resize(depth_);
  }

  // Worker thread: runs until control.stop.
  void run_in_thread() {
    Clock::time_point next_publish = Clock::now();
    while (!control_.stop.load(std::memory_order_relaxed)) {
      const Clock::time_point now = Clock::now();
      if (client_.connecting()) client_.start_due_connects(now);
      if (!going_ && control_.go.load(std::memory_order_acquire)) start_submits();
      Clock::duration wait = client_.connecting() ? Clock::duration(kConnectPollPeriod)
                                                  : Clock::duration(kIdlePollPeriod);
      if (going_ && rate_per_s_ > 0) wait = std::min(wait, send_due(now));
      client_.flush_writes();
      resolved_.store(logins_ok_conns_ + failed_conns_ + client_.counters().connect_failed,
                      std::memory_order_relaxed);
      live_logged_in_.store(logged_in_now_, std::memory_order_relaxed);
      if (now >= next_publish) {
        publish();
        next_publish = now + kPublishPeriod;
      }
      client_.poll(wait);
    }
    publish();
  }

  // Connections whose login has an outcome (logged in, closed, or never
  // connected). Any thread.
  uint64_t resolved() const { return resolved_.load(std::memory_order_relaxed); }
  // Connections logged in right now. Any thread (fresher than the board's
  // figures, which are published every kPublishPeriod).
  uint64_t live_logged_in() const { return live_logged_in_.load(std::memory_order_relaxed); }

  // After the thread has been joined.
  ClientCounters counters() const { return merged_counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  const Histogram& measured() const { return recorder_.measured(); }
  const std::array<uint64_t, kResultSlots>& results() const { return results_; }
  uint64_t taken() const { return taken_; }
  uint64_t logged_in() const { return logged_in_now_; }
  uint64_t logins_refused() const { return logins_refused_; }
  uint64_t submits_sent() const { return submits_sent_; }
  uint64_t missed() const { return missed_; }
  uint64_t unexpected_frames() const { return unexpected_; }

 private:
  // One submit in flight; request_id 0 marks a free slot.
  struct Slot {
    uint32_t request_id = 0;
    bool stamp_pending = false;
    Clock::time_point sent_at;
  };
  struct Conn {
    uint32_t next_request = 1;
    uint32_t login_request = 0;  // 0: no login in flight
    bool logged_in = false;
    bool resolved = false;
    bool stamp_pending = false;  // some slot waits for its send time
    std::vector<Slot> slots;     // `depth` of them
  };

  void on_open(ConnId id, Clock::time_point) override { send_login(id); }

  void on_sent(ConnId id, Clock::time_point at) override {
    Conn& c = conns_[id];
    if (!c.stamp_pending) return;
    c.stamp_pending = false;
    for (Slot& s : c.slots) {
      if (s.stamp_pending) {
        s.sent_at = at;
        s.stamp_pending = false;
      }
    }
  }

  void on_close(ConnId id) override {
    Conn& c = conns_[id];
    for (Slot& s : c.slots) {
      if (s.request_id != 0) --in_flight_;
      s.request_id = 0;
    }
    if (c.logged_in) --logged_in_now_;
    c.logged_in = false;
    if (!c.resolved) {
      c.resolved = true;
      ++failed_conns_;
    }
  }

  void on_frame(ConnId id, const proto::FrameView& frame, Clock::time_point now) override {
    if (frame.cmd == proto::cmd::kError) return;  // counted by the client
    if (frame.cmd == proto::cmd::kLeaderboardReply) {
      on_submit_reply(id, frame, now);
    } else if (frame.cmd == proto::cmd::kAuthReply) {
      on_login_reply(id, frame);
    } else {
      ++unexpected_;
    }
  }

  void on_login_reply(ConnId id, const proto::FrameView& frame) {
    Conn& c = conns_[id];
    const auto reply = decode_auth_reply(frame.payload);
    if (!reply || c.login_request == 0 || reply->request_id != c.login_request) {
      ++unexpected_;
      return;
    }
    c.login_request = 0;
    if (reply->result != kAuthOk) {
      ++logins_refused_;
      send_login(id);  // a server busy creating accounts: try again as another guest
      return;
    }
    c.logged_in = true;
    ++logged_in_now_;
    if (!c.resolved) {
      c.resolved = true;
      ++logins_ok_conns_;
    }
    if (going_ && rate_per_s_ == 0) fill(id);
  }

  void on_submit_reply(ConnId id, const proto::FrameView& frame, Clock::time_point now) {
    Conn& c = conns_[id];
    const auto reply = decode_leaderboard_reply(frame.payload);
    if (!reply) {
      ++unexpected_;
      return;
    }
    // Replies come back in request order, so the match is usually the
    // oldest slot; a linear look over `depth` slots stays cheap either way.
    const auto slot = std::find_if(c.slots.begin(), c.slots.end(), [&](const Slot& s) {
      return s.request_id == reply->request_id;
    });
    if (reply->request_id == 0 || slot == c.slots.end()) {
      ++unexpected_;
      return;
    }
    slot->request_id = 0;
    --in_flight_;
    const bool ok = reply->result == kLeaderboardOk;
    if (ok) {
      ++submits_ok_;
      recorder_.record(now - slot->sent_at, now);
    } else {
      ++submits_refused_;
    }
    if (now >= window_start_ && now < window_end_) {
      ++results_[std::min<std::size_t>(reply->result, kResultSlots - 1)];
      if (ok && reply->taken) ++taken_;
    }
    if (rate_per_s_ == 0) send_submit(id, *slot);
  }

  void send_login(ConnId id) {
    Conn& c = conns_[id];
    c.login_request = c.next_request++;
    client_.send(id, proto::cmd::kGuestLogin, encoder_.guest_login(c.login_request, ids_.next()));
  }

  // Fills every free slot of a logged-in connection.
  void fill(ConnId id) {
    for (Slot& s : conns_[id].slots) {
      if (s.request_id == 0) send_submit(id, s);
    }
  }

  // `scheduled`: the open loop's send time, which the round trip counts
  // from; otherwise the send's own time, stamped in on_sent.
  void send_submit(ConnId id, Slot& slot, std::optional<Clock::time_point> scheduled = {}) {
    Conn& c = conns_[id];
    if (!c.logged_in || !client_.is_open(id)) return;
    slot.request_id = c.next_request++;
    if (c.next_request == 0) c.next_request = 1;  // 0 marks a free slot
    ++in_flight_;
    if (scheduled) {
      slot.sent_at = *scheduled;
    } else {
      slot.stamp_pending = true;
      slot.sent_at = Clock::now();  // replaced by the send's own time in on_sent
      c.stamp_pending = true;
    }
    client_.send(id, proto::cmd::kLeaderboardSubmit,
                 encoder_.leaderboard_submit(slot.request_id, board_id_, next_score()));
    ++submits_sent_;
  }

  // A random non-negative score below 2^30 (xorshift64: cheap, and the
  // server's cost must not depend on how scores are drawn).
  int64_t next_score() {
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    return static_cast<int64_t>(rng_state_ >> 34);
  }

  // Open loop: sends every submit scheduled up to `now`; returns the time
  // until the next one is due.
  Clock::duration send_due(Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - go_at_).count();
    const auto due = static_cast<uint64_t>(elapsed * rate_per_s_);
    for (; scheduled_ < due; ++scheduled_) {
      const Clock::time_point at =
          go_at_ + seconds_of(static_cast<double>(scheduled_) / rate_per_s_);
      if (!send_to_free_slot(at) && at >= window_start_ && at < window_end_) ++missed_;
    }
    const Clock::time_point next =
        go_at_ + seconds_of(static_cast<double>(scheduled_) / rate_per_s_);
    return std::max(Clock::duration::zero(), next - now);
  }

  // Round robin over the players from the last one served.
  bool send_to_free_slot(Clock::time_point scheduled) {
    if (in_flight_ >= logged_in_now_ * depth_) return false;
    const ConnId n = static_cast<ConnId>(conns_.size());
    for (ConnId k = 0; k < n; ++k) {
      const ConnId id = next_conn_;
      next_conn_ = next_conn_ + 1 == n ? 0 : next_conn_ + 1;
      Conn& c = conns_[id];
      if (!c.logged_in) continue;
      for (Slot& s : c.slots) {
        if (s.request_id == 0) {
          send_submit(id, s, scheduled);
          return s.request_id != 0;
        }
      }
    }
    return false;
  }

  static Clock::duration seconds_of(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  void start_submits() {
    going_ = true;
    go_at_ = Clock::now();
    window_start_ =
        Clock::time_point(Clock::duration(control_.measure_start.load(std::memory_order_relaxed)));
    window_end_ =
        Clock::time_point(Clock::duration(control_.measure_end.load(std::memory_order_relaxed)));
    recorder_.set_window(window_start_, window_end_);
    if (rate_per_s_ > 0) return;  // the open loop sends from run_in_thread
    for (ConnId id = 0; id < client_.size(); ++id) fill(id);
  }

  ClientCounters merged_counters() const {
    ClientCounters c = client_.counters();
    c.requests_sent = submits_sent_;
    c.replies_ok = submits_ok_;
    c.replies_mismatched = submits_refused_ + unexpected_;  // "errors" on the progress line
    c.open_answered = logged_in_now_;
    return c;
  }

  void publish() {
    board_.publish(merged_counters(), client_.first_error(), 0, recorder_.interval());
  }

  const uint32_t depth_;
  const double rate_per_s_;  // 0: closed loop
  const std::string board_id_;
  DeviceIds ids_;
  MessageEncoder encoder_;
  uint64_t rng_state_;
  RunControl& control_;
  StatsBoard& board_;
  LatencyRecorder recorder_;
  std::vector<Conn> conns_;
  std::array<uint64_t, kResultSlots> results_{};
  uint64_t taken_ = 0;
  uint64_t in_flight_ = 0;  // slots in use, over every connection
  uint64_t scheduled_ = 0;  // open loop: submits scheduled since go_at_
  uint64_t missed_ = 0;     // open loop: scheduled in the window, no free slot
  ConnId next_conn_ = 0;
  Clock::time_point go_at_;
  uint64_t submits_sent_ = 0, submits_ok_ = 0, submits_refused_ = 0, unexpected_ = 0;
  uint64_t logged_in_now_ = 0, logins_refused_ = 0;
  uint64_t logins_ok_conns_ = 0, failed_conns_ = 0;
  std::atomic<uint64_t> resolved_{0};
  std::atomic<uint64_t> live_logged_in_{0};
  Clock::time_point window_start_ = Clock::time_point::max();
  Clock::time_point window_end_ = Clock::time_point::max();
  bool going_ = false;
  FrameClient client_;  // last: its events reach the members above
};

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

struct StopOnExit {
  RunControl& control;
  ~StopOnExit() { control.stop.store(true, std::memory_order_relaxed); }
};

}  // namespace

int run_leaderboard(const LeaderboardOptions& options, const sockaddr_in& server, std::FILE* csv) {
  const CommonOptions& common = options.common;
  LeaderboardResult result;
  result.options = options;

  const uint32_t workers = worker_count(common);
  RunControl control;
  std::vector<StatsBoard> boards(workers);
  std::vector<std::unique_ptr<LeaderboardWorker>> lb_workers;
  std::random_device entropy;
  const std::string prefix = run_prefix();
  for (uint32_t i = 0; i < workers; ++i) {
    const ClientConfig base = worker_client_config(common, server, workers, i, entropy());
    FrameClientConfig config;
    config.server = base.server;
    config.connections = base.connections;
    config.connect_rate_per_s = base.connect_rate_per_s;
    config.connect_phase_limit = base.connect_phase_limit;
    config.source_ports = base.source_ports;
    config.stream = base.stream;
    const uint64_t seed = (uint64_t{entropy()} << 32) | entropy();
    lb_workers.push_back(std::make_unique<LeaderboardWorker>(std::move(config), options, workers,
                                                             prefix, i, seed, control, boards[i]));
  }

  Controller controller(boards, common.connections, common.quiet, csv, "submits/s");
  result.threads = workers;
  {
    std::vector<std::jthread> threads;
    for (auto& w : lb_workers) threads.emplace_back([&w] { w->run_in_thread(); });
    StopOnExit stop_on_exit{control};

    // Every player logs in before any submit, so the measured window sees
    // submits only, not account creation.
    const Clock::time_point start = controller.started();
    WaitResult waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
      uint64_t resolved = 0;
      for (const auto& w : lb_workers) resolved += w->resolved();
      return resolved >= common.connections;
    });
    const Clock::time_point logged_in_at = Clock::now();
    result.connect_s = std::chrono::duration<double>(logged_in_at - start).count();
    uint64_t logged_in = 0;
    for (const auto& w : lb_workers) logged_in += w->live_logged_in();
    if (waited != WaitResult::kInterrupted && logged_in > 0) {
      const Clock::time_point measure_start = logged_in_at + seconds(options.warmup_s);
      const Clock::time_point measure_end = measure_start + seconds(common.duration_s);
      control.set_window(measure_start, measure_end);
      control.go.store(true, std::memory_order_release);
      waited = controller.wait(measure_start);
      std::optional<double> cpu0;
      if (options.server_pid > 0) cpu0 = read_cpu_seconds(options.server_pid);
      if (waited != WaitResult::kInterrupted) waited = controller.wait(measure_end);
      if (options.server_pid > 0) {
        const auto cpu1 = read_cpu_seconds(options.server_pid);
        if (cpu0 && cpu1 && waited != WaitResult::kInterrupted) result.server_cpu_s = *cpu1 - *cpu0;
      }
      const Clock::time_point stopped_at = std::min(Clock::now(), measure_end);
      result.duration_s =
          std::max(0.0, std::chrono::duration<double>(stopped_at - measure_start).count());
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  for (const auto& w : lb_workers) {
    accumulate(result.totals, WorkerSnapshot{w->counters(), w->first_error(), 0});
    result.latency.merge(w->measured());
    for (std::size_t i = 0; i < kResultSlots; ++i) result.results[i] += w->results()[i];
    result.taken += w->taken();
    result.logged_in += w->logged_in();
    result.logins_refused += w->logins_refused();
    result.submits_sent += w->submits_sent();
    result.missed += w->missed();
    result.unexpected_frames += w->unexpected_frames();
  }
  print_leaderboard_report(result);
  return result.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
