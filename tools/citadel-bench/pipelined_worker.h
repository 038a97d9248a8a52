// One thread's share of a "log in, then keep --depth requests in flight"
// scenario (storage, leaderboard; issue 17): each connection logs in once as a
// new guest (a refused login is retried with a new device id), then, from go
// on, keeps `depth` requests in flight; every reply, whatever its result,
// sends the next one, so a refusal (StoreUnavailable, ServerBusy) costs no
// pipeline slot. With a rate (open loop) the worker sends its share of the
// rate at scheduled times instead, each to the next player with a free slot,
// and times each request from its scheduled time, so a server that falls
// behind shows as latency, not as a lower offered rate; a request that finds
// every slot busy is missed.
// What a request is and how its reply reads is the subclass's: next_request()
// and decode_reply(). Replies are matched to their slot by request_id.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bench_messages.h"
#include "device_ids.h"
#include "frame_client.h"
#include "latency_recorder.h"
#include "run_control.h"
#include "stats_board.h"

namespace citadel::bench {

// A scenario's requests come in at most this many kinds (storage: write, read),
// each counted apart.
inline constexpr std::size_t kRequestKinds = 2;
using KindResults = std::array<std::array<uint64_t, kResultSlots>, kRequestKinds>;

class PipelinedWorker : public FrameEvents {
 public:
  // rate_per_s: this worker's open-loop rate; 0: closed loop.
  PipelinedWorker(FrameClientConfig config, uint32_t depth, std::string_view prefix, uint32_t index,
                  RunControl& control, StatsBoard& board, double rate_per_s = 0);

  // Worker thread: runs until control.stop.
  void run_in_thread();

  // Connections whose login has an outcome (logged in, closed, or never
  // connected). Any thread.
  uint64_t resolved() const { return resolved_.load(std::memory_order_relaxed); }
  // Connections logged in right now. Any thread.
  uint64_t live_logged_in() const { return live_logged_in_.load(std::memory_order_relaxed); }

  // After the thread has been joined.
  ClientCounters counters() const { return merged_counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  // Round trips of Ok replies in the measured window, all kinds / one kind.
  const Histogram& measured() const { return recorder_.measured(); }
  const Histogram& measured(std::size_t kind) const { return by_kind_[kind]; }
  // Replies received in the measured window, by kind and result (slot 0: Ok).
  const KindResults& results() const { return results_; }
  uint64_t logged_in() const { return logged_in_now_; }
  uint64_t logins_refused() const { return logins_refused_; }
  uint64_t requests_sent() const { return requests_sent_; }
  // Ok replies in the measured window whose flag was set (leaderboard: taken).
  uint64_t flagged() const { return flagged_; }
  // Open loop: requests scheduled in the window that found every slot busy.
  uint64_t missed() const { return missed_; }
  uint64_t unexpected_frames() const { return unexpected_; }

 protected:
  struct Request {
    uint16_t cmd = 0;
    std::span<const uint8_t> payload;  // valid until the next encoder call
    uint8_t kind = 0;                  // < kRequestKinds
  };
  struct Reply {
    uint32_t request_id = 0;
    uint16_t result = 0;   // 0: Ok
    bool flagged = false;  // a scenario's own yes/no about an Ok reply, counted
  };

  // The next request of connection `id`, built with encoder().
  virtual Request next_request(ConnId id, uint32_t request_id) = 0;
  // The command the replies come in, and its reading (nullopt: not valid).
  virtual uint16_t reply_cmd() const = 0;
  virtual std::optional<Reply> decode_reply(std::span<const uint8_t> payload) = 0;

  MessageEncoder& encoder() { return encoder_; }

 private:
  // One request in flight; request_id 0 marks a free slot.
  struct Slot {
    uint32_t request_id = 0;
    uint8_t kind = 0;
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
  void on_sent(ConnId id, Clock::time_point at) override;
  void on_close(ConnId id) override;
  void on_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now) override;

  void on_login_reply(ConnId id, const protocol::FrameView& frame);
  void on_reply(ConnId id, const protocol::FrameView& frame, Clock::time_point now);
  void send_login(ConnId id);
  void fill(ConnId id);  // every free slot of a logged-in connection
  // `scheduled`: the open loop's send time, which the round trip counts
  // from; otherwise the send's own time, stamped in on_sent.
  void send_request(ConnId id, Slot& slot, std::optional<Clock::time_point> scheduled = {});
  void start_requests();
  // Open loop: sends every request scheduled up to `now`; returns the time
  // until the next one is due.
  Clock::duration send_due(Clock::time_point now);
  bool send_to_free_slot(Clock::time_point scheduled);  // round robin over the players
  ClientCounters merged_counters() const;
  void publish();

  const uint32_t depth_;
  const double rate_per_s_;  // 0: closed loop
  DeviceIds ids_;
  MessageEncoder encoder_;
  RunControl& control_;
  StatsBoard& board_;
  LatencyRecorder recorder_;
  std::array<Histogram, kRequestKinds> by_kind_;
  std::vector<Conn> conns_;
  KindResults results_{};
  uint64_t requests_sent_ = 0, replies_ok_ = 0, replies_refused_ = 0, unexpected_ = 0;
  uint64_t flagged_ = 0;
  uint64_t in_flight_ = 0;  // slots in use, over every connection
  uint64_t scheduled_ = 0;  // open loop: requests scheduled since go_at_
  uint64_t missed_ = 0;
  ConnId next_conn_ = 0;
  Clock::time_point go_at_;
  uint64_t logged_in_now_ = 0, logins_refused_ = 0;
  uint64_t logins_ok_conns_ = 0, failed_conns_ = 0;
  std::atomic<uint64_t> resolved_{0};
  std::atomic<uint64_t> live_logged_in_{0};
  Clock::time_point window_start_ = Clock::time_point::max();
  Clock::time_point window_end_ = Clock::time_point::max();
  bool going_ = false;
  FrameClient client_;  // last: its events reach the members above
};

}  // namespace citadel::bench
