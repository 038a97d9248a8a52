#include "chat_scenario.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_messages.h"
#include "chat_report.h"
#include "chat_text.h"
#include "controller.h"
#include "device_ids.h"
#include "frame_client.h"
#include "latency_recorder.h"
#include "protocol/commands.h"
#include "protocol/wire.h"
#include "run_control.h"
#include "scenario_setup.h"
#include "system_info.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

constexpr uint16_t kResultOk = 0;  // msg::AuthResult::Ok and msg::ChatResult::Ok
constexpr uint32_t kLoginRequestId = 1;
// While a sender waits for its next message or for the current one to reach
// everyone, its loop wakes at least this often.
constexpr auto kSenderPollPeriod = std::chrono::milliseconds(1);
// An open-loop sender that fell this far behind (a stalled machine) starts
// afresh rather than firing every missed message at once.
constexpr auto kMaxSendBacklog = std::chrono::seconds(1);

int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// What every worker shares. The controller writes the plain fields before
// the workers start, `expected` before go; the rest are atomics.
struct ChatShared {
  uint64_t nonce = 0;
  std::atomic<uint64_t> next_seq{0};
  std::atomic<uint64_t> expected{0};  // members every message should reach
  std::atomic<Clock::rep> stop_sending_at{Clock::time_point::max().time_since_epoch().count()};
  // --rate 0 only: receipts per message, summed over the workers, so that the
  // one sender sees when its message has reached every member.
  std::unique_ptr<std::atomic<uint32_t>[]> receipts_by_seq;
  uint64_t receipt_slots = 0;
};

// Which senders a worker drives and how fast.
struct SenderPlan {
  uint32_t senders = 0;
  double rate = 0;           // messages/s for this worker (open loop)
  bool closed_loop = false;  // --rate 0: one message at a time (worker 0 only)
};

class ChatWorker final : public FrameEvents {
 public:
  ChatWorker(FrameClientConfig config, const ChatOptions& options, SenderPlan plan,
             std::string_view prefix, uint32_t index, ChatShared& shared, RunControl& control,
             StatsBoard& board)
      : options_(options),
        plan_(plan),
        ids_(prefix, index),
        shared_(shared),
        control_(control),
        board_(board),
        users_(config.connections),
        client_(std::move(config), *this) {
    recorder_.set_window(Clock::time_point::min(), Clock::time_point::max());
    if (plan_.senders == 0) sending_done_.store(true, std::memory_order_relaxed);
  }

  void run_in_thread() {
    Clock::time_point next_publish = Clock::now();
    while (!control_.stop.load(std::memory_order_relaxed)) {
      const Clock::time_point now = Clock::now();
      if (client_.connecting()) client_.start_due_connects(now);
      if (!going_ && control_.go.load(std::memory_order_acquire)) start_sending(now);
      if (going_ && !sending_done_.load(std::memory_order_relaxed)) send_due(now);
      client_.flush_writes();
      publish_live();
      if (now >= next_publish) {
        publish();
        next_publish = now + kPublishPeriod;
      }
      Clock::duration wait = kIdlePollPeriod;
      if (client_.connecting()) wait = kConnectPollPeriod;
      if (going_ && !sending_done_.load(std::memory_order_relaxed)) {
        wait = std::min<Clock::duration>(wait, kSenderPollPeriod);
        if (!plan_.closed_loop && next_send_at_ > now) wait = std::min(wait, next_send_at_ - now);
      }
      client_.poll(wait);
    }
    publish();
  }

  // Live figures for the controller (any thread).
  uint64_t login_resolved() const { return live_resolved_.load(std::memory_order_relaxed); }
  uint64_t logged_in() const { return live_logged_in_.load(std::memory_order_relaxed); }
  bool sending_done() const { return sending_done_.load(std::memory_order_relaxed); }
  uint64_t sent() const { return live_sent_.load(std::memory_order_relaxed); }
  uint64_t replies() const { return live_replies_.load(std::memory_order_relaxed); }
  uint64_t rejected() const { return live_rejected_.load(std::memory_order_relaxed); }
  uint64_t receipts() const { return live_receipts_.load(std::memory_order_relaxed); }

  // After the thread has been joined.
  ClientCounters counters() const { return merged_counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  const Histogram& receipt_latency() const { return recorder_.measured(); }
  const FanoutTally& tally() const { return tally_; }
  const ResultCounts& login_results() const { return login_results_; }
  const ResultCounts& send_results() const { return send_results_; }
  uint64_t foreign() const { return foreign_; }
  uint64_t unexpected() const { return unexpected_; }
  uint64_t push_frame_bytes() const { return push_frame_bytes_; }
  uint32_t senders_used() const { return static_cast<uint32_t>(senders_.size()); }
  Clock::time_point last_send_at() const { return last_send_at_; }

 private:
  struct User {
    bool logged_in = false;
    bool resolved = false;  // its login has an outcome
  };

  void on_open(ConnId id, Clock::time_point) override {
    client_.send(id, proto::cmd::kGuestLogin, encoder_.guest_login(kLoginRequestId, ids_.next()));
  }

  void on_close(ConnId id) override {
    User& u = users_[id];
    if (u.logged_in) --logged_in_;
    u.logged_in = false;
    if (!u.resolved) {
      u.resolved = true;
      ++resolved_;
    }
  }

  void on_frame(ConnId id, const proto::FrameView& frame, Clock::time_point now) override {
    switch (frame.cmd) {
      case proto::cmd::kChatMessage:
        return on_push(frame, now);
      case proto::cmd::kChatReply:
        return on_chat_reply(frame);
      case proto::cmd::kAuthReply:
        return on_auth_reply(id, frame);
      case proto::cmd::kError:
        return;  // counted by the client
      default:
        ++unexpected_;
    }
  }

  void on_auth_reply(ConnId id, const proto::FrameView& frame) {
    const auto reply = decode_auth_reply(frame.payload);
    User& u = users_[id];
    if (!reply || reply->request_id != kLoginRequestId || u.resolved) {
      ++unexpected_;
      return;
    }
    u.resolved = true;
    ++resolved_;
    ++login_results_[std::min<std::size_t>(reply->result, kResultSlots - 1)];
    if (reply->result == kResultOk) {
      u.logged_in = true;
      ++logged_in_;
    }
  }

  void on_chat_reply(const proto::FrameView& frame) {
    const auto reply = decode_chat_reply(frame.payload);
    if (!reply) {
      ++unexpected_;
      return;
    }
    ++replies_;
    ++send_results_[std::min<std::size_t>(reply->result, kResultSlots - 1)];
    if (reply->result != kResultOk) {
      // The request id is the message's sequence number.
      tally_.mark_rejected(reply->request_id);
      ++rejected_;
      if (plan_.closed_loop && in_flight_ && reply->request_id == in_flight_seq_)
        in_flight_ = false;
    }
  }

  void on_push(const proto::FrameView& frame, Clock::time_point now) {
    const auto text = decode_chat_message_text(frame.payload);
    const auto tag = text ? parse_chat_text(*text, shared_.nonce) : std::nullopt;
    if (!tag) {
      ++foreign_;
      return;
    }
    if (push_frame_bytes_ == 0) push_frame_bytes_ = proto::kHeaderBytes + frame.payload.size();
    const int64_t now_ns = to_ns(now);
    if (tag->seq >= options_.warmup_messages) {
      recorder_.record(std::chrono::nanoseconds(now_ns - tag->send_ns), now);
    }
    tally_.record_receipt(tag->seq, tag->send_ns, now_ns);
    ++receipts_;
    if (tag->seq < shared_.receipt_slots) {
      shared_.receipts_by_seq[tag->seq].fetch_add(1, std::memory_order_relaxed);
    }
  }

  void start_sending(Clock::time_point now) {
    going_ = true;
    for (ConnId id = 0; id < users_.size() && senders_.size() < plan_.senders; ++id) {
      if (users_[id].logged_in) senders_.push_back(id);
    }
    if (senders_.empty()) {
      sending_done_.store(true, std::memory_order_relaxed);
      return;
    }
    next_send_at_ = now;
    if (!plan_.closed_loop) interval_ = seconds(1.0 / plan_.rate);
  }

  void send_due(Clock::time_point now) {
    if (Clock::time_point(
            Clock::duration(shared_.stop_sending_at.load(std::memory_order_relaxed))) <= now) {
      return finish_sending();
    }
    if (plan_.closed_loop) return send_closed_loop(now);
    if (now - next_send_at_ > kMaxSendBacklog) next_send_at_ = now;
    while (next_send_at_ <= now) {
      const uint64_t seq = shared_.next_seq.fetch_add(1, std::memory_order_relaxed);
      if (options_.messages > 0 && seq >= options_.messages) return finish_sending();
      send_one(seq);
      next_send_at_ += interval_;
    }
  }

  // One message at a time: the next goes --gap-ms after the current one has
  // reached every member, was refused, or timed out (--drain-timeout).
  void send_closed_loop(Clock::time_point now) {
    if (in_flight_) {
      const uint64_t expected = shared_.expected.load(std::memory_order_relaxed);
      const bool everywhere =
          shared_.receipts_by_seq[in_flight_seq_].load(std::memory_order_relaxed) >= expected;
      if (!everywhere && now - in_flight_since_ < seconds(options_.drain_timeout_s)) return;
      in_flight_ = false;
      next_send_at_ = now + seconds(options_.gap_ms / 1000.0);
    }
    if (in_flight_ || now < next_send_at_) return;
    const uint64_t seq = shared_.next_seq.fetch_add(1, std::memory_order_relaxed);
    if (seq >= shared_.receipt_slots) return finish_sending();
    send_one(seq);
    in_flight_ = true;
    in_flight_seq_ = seq;
    in_flight_since_ = Clock::now();
  }

  void send_one(uint64_t seq) {
    const ConnId from = senders_[next_sender_++ % senders_.size()];
    // Stamped as late as possible: the frame leaves at this turn's flush.
    const Clock::time_point at = Clock::now();
    const std::string text = format_chat_text(shared_.nonce, {seq, to_ns(at)}, options_.text_bytes);
    client_.send(from, proto::cmd::kChatSend,
                 encoder_.chat_send(static_cast<uint32_t>(seq), options_.channel, text));
    tally_.mark_sent(seq, to_ns(at));
    ++sent_;
    last_send_at_ = at;
  }

  void finish_sending() { sending_done_.store(true, std::memory_order_relaxed); }

  ClientCounters merged_counters() const {
    ClientCounters c = client_.counters();
    c.requests_sent = sent_;
    c.replies_ok = receipts_;  // the progress line's rate is receipts/s
    c.replies_mismatched = rejected_ + unexpected_ + refusals_total(login_results_);
    c.open_answered = logged_in_;
    return c;
  }

  void publish_live() {
    live_resolved_.store(resolved_ + client_.counters().connect_failed, std::memory_order_relaxed);
    live_logged_in_.store(logged_in_, std::memory_order_relaxed);
    live_sent_.store(sent_, std::memory_order_relaxed);
    live_replies_.store(replies_, std::memory_order_relaxed);
    live_rejected_.store(rejected_, std::memory_order_relaxed);
    live_receipts_.store(receipts_, std::memory_order_relaxed);
  }

  void publish() {
    board_.publish(merged_counters(), client_.first_error(), 0, recorder_.interval());
  }

  const ChatOptions& options_;
  const SenderPlan plan_;
  DeviceIds ids_;
  MessageEncoder encoder_;
  ChatShared& shared_;
  RunControl& control_;
  StatsBoard& board_;
  LatencyRecorder recorder_;
  FanoutTally tally_;
  std::vector<User> users_;
  std::vector<ConnId> senders_;
  std::size_t next_sender_ = 0;
  bool going_ = false;
  Clock::time_point next_send_at_{};
  Clock::duration interval_{};
  bool in_flight_ = false;
  uint64_t in_flight_seq_ = 0;
  Clock::time_point in_flight_since_{};
  Clock::time_point last_send_at_{};

  ResultCounts login_results_{};
  ResultCounts send_results_{};
  uint64_t resolved_ = 0, logged_in_ = 0, sent_ = 0, replies_ = 0, rejected_ = 0, receipts_ = 0;
  uint64_t foreign_ = 0, unexpected_ = 0, push_frame_bytes_ = 0;
  std::atomic<uint64_t> live_resolved_{0}, live_logged_in_{0}, live_sent_{0}, live_replies_{0},
      live_rejected_{0}, live_receipts_{0};
  std::atomic<bool> sending_done_{false};
  FrameClient client_;  // last: its events reach the members above
};

// Senders per worker: all on worker 0 for --rate 0 (one message at a time
// has one sender loop), else spread like the connections.
std::vector<SenderPlan> plan_senders(const ChatOptions& o, uint32_t workers,
                                     const std::vector<uint32_t>& users_per_worker) {
  std::vector<SenderPlan> plans(workers);
  if (o.rate == 0) {
    plans[0] = {std::min(o.senders, users_per_worker[0]), 0, true};
    return plans;
  }
  for (uint32_t i = 0; i < workers; ++i) {
    const uint32_t share = o.senders / workers + (i < o.senders % workers ? 1 : 0);
    plans[i].senders = std::min(share, users_per_worker[i]);
    plans[i].rate = o.rate * share / o.senders;
  }
  return plans;
}

}  // namespace

int run_chat(const ChatOptions& options, const sockaddr_in& server, std::FILE* csv) {
  const CommonOptions& common = options.common;
  const uint32_t workers = worker_count(common);
  RunControl control;
  ChatShared shared;
  std::random_device entropy;
  shared.nonce = (uint64_t{entropy()} << 32) | entropy();
  if (options.rate == 0) {
    shared.receipt_slots = options.messages;
    shared.receipts_by_seq = std::make_unique<std::atomic<uint32_t>[]>(options.messages);
  }

  std::vector<StatsBoard> boards(workers);
  std::vector<ClientConfig> bases;
  std::vector<uint32_t> users_per_worker;
  for (uint32_t i = 0; i < workers; ++i) {
    bases.push_back(worker_client_config(common, server, workers, i, entropy()));
    users_per_worker.push_back(bases.back().connections);
  }
  const std::vector<SenderPlan> plans = plan_senders(options, workers, users_per_worker);
  const std::string prefix = run_prefix();
  std::vector<std::unique_ptr<ChatWorker>> chat_workers;
  for (uint32_t i = 0; i < workers; ++i) {
    FrameClientConfig config;
    config.server = bases[i].server;
    config.also_servers = bases[i].also_servers;
    config.connections = bases[i].connections;
    config.connect_rate_per_s = bases[i].connect_rate_per_s;
    config.connect_phase_limit = bases[i].connect_phase_limit;
    config.source_ports = bases[i].source_ports;
    config.stream = bases[i].stream;
    chat_workers.push_back(std::make_unique<ChatWorker>(std::move(config), options, plans[i],
                                                        prefix, i, shared, control, boards[i]));
  }
  const auto sum = [&](auto member) {
    uint64_t total = 0;
    for (const auto& w : chat_workers) total += ((*w).*member)();
    return total;
  };

  Controller controller(boards, common.connections, common.quiet, csv, "receipts/s");
  ChatRunResult result;
  result.options = options;
  result.threads = workers;
  {
    std::vector<std::jthread> threads;
    for (auto& w : chat_workers) threads.emplace_back([&w] { w->run_in_thread(); });
    StopOnExit stop_on_exit{control};

    // 1. Everyone connects and logs in (and so joins the world channel).
    const Clock::time_point start = controller.started();
    WaitResult waited = controller.wait(start + kConnectPhaseLimit + kConnectPhaseGrace, [&] {
      return sum(&ChatWorker::login_resolved) >= common.connections;
    });
    result.login_s = std::chrono::duration<double>(Clock::now() - start).count();
    result.logged_in = sum(&ChatWorker::logged_in);

    // 2. Send until --duration or --messages, then wait for the last receipts.
    if (waited != WaitResult::kInterrupted && result.logged_in > 0) {
      shared.expected.store(result.logged_in, std::memory_order_relaxed);
      const Clock::time_point go_at = Clock::now();
      if (options.messages == 0) {
        shared.stop_sending_at.store(
            (go_at + seconds(common.duration_s)).time_since_epoch().count(),
            std::memory_order_relaxed);
      }
      std::optional<double> cpu0;
      if (options.server_pid > 0) cpu0 = read_cpu_seconds(options.server_pid);
      const auto also0 = read_cpu_seconds(options.also_pids);
      const double bench_cpu0 = own_cpu_seconds();
      control.go.store(true, std::memory_order_release);

      // Bounds that only a failing server reaches.
      Clock::duration send_limit = seconds(common.duration_s);
      if (options.messages > 0) {
        send_limit =
            options.rate > 0
                ? seconds(options.messages / options.rate)
                : seconds(options.messages * (options.gap_ms / 1000.0 + options.drain_timeout_s));
      }
      waited = controller.wait(go_at + send_limit + seconds(options.drain_timeout_s), [&] {
        for (const auto& w : chat_workers) {
          if (!w->sending_done()) return false;
        }
        return true;
      });
      const Clock::time_point sending_stopped = Clock::now();
      if (waited != WaitResult::kInterrupted) {
        waited = controller.wait(sending_stopped + seconds(options.drain_timeout_s), [&] {
          const uint64_t sent = sum(&ChatWorker::sent);
          const uint64_t accepted = sent - sum(&ChatWorker::rejected);
          return sum(&ChatWorker::replies) >= sent &&
                 sum(&ChatWorker::receipts) >= accepted * result.logged_in;
        });
      }
      const Clock::time_point end = Clock::now();
      result.bench_cpu_s = own_cpu_seconds() - bench_cpu0;
      if (options.server_pid > 0) {
        const auto cpu1 = read_cpu_seconds(options.server_pid);
        if (cpu0 && cpu1) result.server_cpu_s = *cpu1 - *cpu0;
      }
      result.also_cpu_s = cpu_seconds_between(also0, read_cpu_seconds(options.also_pids));
      result.send_s = std::chrono::duration<double>(sending_stopped - go_at).count();
      result.run_s = std::chrono::duration<double>(end - go_at).count();
    }
    result.interrupted = waited == WaitResult::kInterrupted;
  }
  controller.finish();

  FanoutTally tally;
  for (const auto& w : chat_workers) {
    accumulate(result.totals, WorkerSnapshot{w->counters(), w->first_error(), 0});
    result.receipt_latency.merge(w->receipt_latency());
    tally.merge(w->tally());
    for (std::size_t i = 0; i < kResultSlots; ++i) {
      result.login_results[i] += w->login_results()[i];
      result.send_results[i] += w->send_results()[i];
    }
    result.foreign_messages += w->foreign();
    result.unexpected_frames += w->unexpected();
    result.push_frame_bytes = std::max(result.push_frame_bytes, w->push_frame_bytes());
    result.senders += w->senders_used();
  }
  result.fanout = summarize(tally, result.logged_in, options.warmup_messages);
  print_chat_report(result);
  return result.totals.counters.connected == 0 ? 2 : 0;
}

}  // namespace citadel::bench
