// One thread's share of the players of a room scenario (arena, lockstep).
// Each player logs in and joins (RoomSessions), then sends inputs at the
// configured rate, spread evenly over the period across the worker's players
// (InputPacer), and reads what its room pushes every tick:
//
//   arena     ArenaState: the player's own ack answers every input up to it
//             (input-to-ack latency); the tick number gives the room's rate.
//   lockstep  LockstepFrame: the frame that carries the player's own input
//             answers it (input-to-frame latency); the interval between
//             frame arrivals gives the jitter; frame numbers must not skip.
//
// A turn of the loop: connects due, inputs (or storm joins) due, one
// flush_writes() (at most one send per player), then epoll until the next
// input is due. Figures reach the controller through the StatsBoard every
// 50 ms; the rest is read once the thread has been joined.
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "frame_client.h"
#include "frame_jitter.h"
#include "histogram.h"
#include "input_pacer.h"
#include "latency_recorder.h"
#include "room_options.h"
#include "room_sessions.h"
#include "room_ticks.h"
#include "run_control.h"
#include "seq_time_ring.h"
#include "stats_board.h"

namespace citadel::bench {

// Game traffic of one worker (summed over workers for the report).
struct GameCounts {
  uint64_t inputs_sent = 0;      // whole run
  uint64_t inputs_measured = 0;  // sent inside the window
  uint64_t inputs_evicted = 0;   // unanswered after SeqTimeRing::kSlots later inputs
  uint64_t pushes = 0;           // ArenaState / LockstepFrame, whole run
  uint64_t pushes_measured = 0;  // inside the window
  uint64_t bad_pushes = 0;       // undecodable
  uint64_t other_pushes = 0;     // RoomEvent and anything else not measured
  uint64_t frame_gaps = 0;       // lockstep: frames missing between two received
  // arena: tick numbers missing between two ArenaStates a player received
  // inside the window (a skipped or lost tick), summed over players; and the
  // longest such run of one player.
  uint64_t tick_gaps = 0;
  uint32_t tick_gap_max = 0;
  uint64_t frames_out_of_order = 0;
};

// --resume: what the players' reconnects came to (summed over workers).
struct ResumeCounts {
  uint64_t drops = 0;       // a player in its room lost its connection (once per absence)
  uint64_t reconnects = 0;  // connects started again
  uint64_t resumed = 0;     // back: AuthReply Ok, then an ArenaState
  uint64_t rejoined = 0;    // RoomEvent Rejoined received
  uint64_t refused = 0;     // Resume refused (e.g. SessionGone): lost
  uint64_t gave_up = 0;     // not back resume_give_up_s after the drop: lost
  // A fleet's failover: RoomEvent Rejoined with no drop (the room moved to
  // another game node while the connection stayed up), and those players'
  // first state after it.
  uint64_t moved = 0;
  uint64_t moved_back = 0;
};

class RoomWorker final : public FrameEvents {
 public:
  RoomWorker(FrameClientConfig config, const RoomLoadOptions& options, std::string_view prefix,
             uint32_t index, RunControl& control, StatsBoard& board);

  // Worker thread: runs until control.stop.
  void run_in_thread();

  // Controller: storm mode, send every RoomJoin in [origin, origin + window).
  void start_storm(Clock::time_point origin) {
    storm_origin_.store(origin.time_since_epoch().count(), std::memory_order_release);
  }
  // Any thread: players whose way in has an outcome (in the room, refused,
  // closed, or never connected); in storm mode before the joins, the login.
  uint64_t resolved() const { return resolved_.load(std::memory_order_relaxed); }
  // Any thread (storm): joins sent and joins with an outcome.
  uint64_t joins_sent() const { return joins_sent_pub_.load(std::memory_order_relaxed); }
  uint64_t joins_resolved() const { return joins_resolved_pub_.load(std::memory_order_relaxed); }
  uint64_t in_room() const { return in_room_pub_.load(std::memory_order_relaxed); }
  // Any thread (storm): joins this worker sends, or -1 before its storm began.
  int64_t storm_joins_due() const { return storm_joins_due_.load(std::memory_order_relaxed); }

  // After the thread has been joined.
  ClientCounters counters() const { return merged_counters(); }
  const ServerError& first_error() const { return client_.first_error(); }
  const SessionCounts& sessions() const { return sessions_.counts(); }
  uint64_t in_phase(SessionPhase p) const { return sessions_.in_phase(p); }
  const Histogram& join_latency() const { return sessions_.join_latency(); }
  const Histogram& latency() const { return recorder_.measured(); }
  const Histogram& jitter() const { return jitter_; }
  const Histogram& input_lag() const { return input_lag_; }
  const GameCounts& game() const { return game_; }
  const ResumeCounts& resumes() const { return resume_; }
  // --resume: per absence, last ArenaState before the drop -> first one after.
  const Histogram& gaps() const { return gaps_; }
  // A room that moved (failover): last ArenaState before the Rejoined ->
  // first one after it, per move.
  const Histogram& moved_gaps() const { return moved_gaps_; }
  // A room whose last tick came more than 5 periods before the window's end has stalled.
  std::vector<RoomRate> room_rates() const { return ticks_.rates(5 * frame_period_); }
  uint32_t tick_hz() const { return tick_hz_; }
  Clock::time_point first_join_sent_at() const { return first_join_sent_at_; }
  Clock::time_point last_join_reply_at() const { return sessions_.last_join_reply_at(); }

 private:
  struct Player {
    SeqTimeRing sent;
    FrameArrivals arrivals;
    uint32_t room_index = 0;
    uint32_t last_frame = 0;
    uint32_t last_tick = 0;             // arena: newest ArenaState.tick received
    Clock::time_point last_state_at{};  // arena: newest ArenaState's arrival
    // --resume: away from the room since a drop (not back yet), the gap's
    // start, when to try again, and how many tries so far.
    bool away = false;
    bool moving = false;  // Rejoined without a drop: the room moved; gap_from set
    Clock::time_point gap_from{};
    Clock::time_point reconnect_due{};
    uint32_t attempts = 0;
    float dx = 0, dy = 0;
    bool stamp_pending = false;
  };

  // FrameEvents
  void on_open(ConnId id, Clock::time_point now) override;
  void on_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now) override;
  void on_close(ConnId id) override;
  void on_sent(ConnId id, Clock::time_point at) override;

  void send_input(ConnId id, Clock::time_point due, Clock::time_point now);
  void on_arena_state(ConnId id, const protocol::FrameView& frame, Clock::time_point now);
  void on_lockstep_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now);
  void answered(Clock::time_point sent_at, Clock::time_point now) {
    recorder_.record(now - sent_at, now);
    ++answered_;
  }
  bool in_window(Clock::time_point t) const { return t >= window_start_ && t < window_end_; }
  void follow_window();
  void went_away(ConnId id, Clock::time_point now);
  void run_reconnects(Clock::time_point now);
  void drop_everyone_once(Clock::time_point now);
  void run_storm(Clock::time_point now);
  Clock::duration poll_timeout(Clock::time_point now) const;
  ClientCounters merged_counters() const;
  void publish();

  const RoomLoadOptions& options_;
  RunControl& control_;
  StatsBoard& board_;
  RoomSessions sessions_;
  GameEncoder encoder_;
  LatencyRecorder recorder_;
  Histogram jitter_;     // lockstep: |frame interval - period|, in the window
  Histogram input_lag_;  // how late the worker sent inputs against their schedule, in the window
  RoomTicks ticks_;
  GameCounts game_;
  ResumeCounts resume_;
  Histogram gaps_;
  Histogram moved_gaps_;
  std::vector<ConnId> away_;  // --resume: players away (some maybe back already)
  std::uniform_real_distribution<double> jitter_u_{0.0, 1.0};
  bool dropped_everyone_ = false;
  std::vector<Player> players_;
  InputPacer inputs_;
  InputPacer storm_joins_;
  std::minstd_rand rng_;
  std::uniform_real_distribution<float> step_{-0.25f, 0.25f};
  uint64_t answered_ = 0;
  uint64_t joins_closed_ = 0;  // connections that closed with a join in flight
  uint32_t tick_hz_ = 0;
  Clock::duration frame_period_{};
  Clock::time_point window_start_ = Clock::time_point::max();
  Clock::time_point window_end_ = Clock::time_point::max();
  bool window_known_ = false;
  bool storm_started_ = false;
  Clock::time_point first_join_sent_at_{};
  std::atomic<Clock::rep> storm_origin_{0};
  std::atomic<int64_t> storm_joins_due_{-1};
  std::atomic<uint64_t> resolved_{0}, joins_sent_pub_{0}, joins_resolved_pub_{0}, in_room_pub_{0};
  FrameClient client_;  // last: its events reach the members above
};

}  // namespace citadel::bench
