#include "room_worker.h"

#include <algorithm>

#include "protocol/commands.h"
#include "reconnect_backoff.h"
#include "scenario_setup.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;

Clock::duration ms_duration(double ms) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

constexpr uint8_t kRoomEventRejoined = 5;  // RoomEventKind::Rejoined

}  // namespace

RoomWorker::RoomWorker(FrameClientConfig config, const RoomLoadOptions& options,
                       std::string_view prefix, uint32_t index, RunControl& control,
                       StatsBoard& board)
    : options_(options),
      control_(control),
      board_(board),
      sessions_(config.connections, options.room_type, prefix, index, options.resume),
      players_(config.connections),
      inputs_(config.connections, period_of_hz(options.input_hz), Clock::now()),
      rng_(index * 7919 + 17),
      client_(std::move(config), *this) {}

void RoomWorker::run_in_thread() {
  Clock::time_point next_publish = Clock::now();
  while (!control_.stop.load(std::memory_order_relaxed)) {
    const Clock::time_point now = Clock::now();
    if (client_.connecting()) client_.start_due_connects(now);
    follow_window();
    if (options_.join_storm) run_storm(now);
    if (options_.drop_after_s > 0) drop_everyone_once(now);
    if (!away_.empty()) run_reconnects(now);
    inputs_.run_due(now, [&](uint32_t slot, Clock::time_point due) { send_input(slot, due, now); });
    client_.flush_writes();
    if (now >= next_publish) {
      publish();
      next_publish = now + kPublishPeriod;
    }
    client_.poll(poll_timeout(Clock::now()));
  }
  publish();
}

Clock::duration RoomWorker::poll_timeout(Clock::time_point now) const {
  if (client_.connecting() || !away_.empty()) return kConnectPollPeriod;
  Clock::time_point wake = now + kIdlePollPeriod;
  if (!inputs_.done()) {
    // --input-step-us: no wake-up for inputs sooner than a step from now;
    // the inputs due meanwhile go out together when it ends.
    const auto step = std::chrono::microseconds(options_.input_step_us);
    wake = std::min(wake, std::max(inputs_.next_due(), now + step));
  }
  if (storm_started_ && !storm_joins_.done()) wake = std::min(wake, storm_joins_.next_due());
  return std::max(Clock::duration::zero(), wake - now);
}

// The controller publishes the measured window once every player is in.
void RoomWorker::follow_window() {
  if (!window_known_) {
    if (!control_.go.load(std::memory_order_acquire)) return;
    window_start_ =
        Clock::time_point(Clock::duration(control_.measure_start.load(std::memory_order_relaxed)));
    window_end_ =
        Clock::time_point(Clock::duration(control_.measure_end.load(std::memory_order_relaxed)));
    recorder_.set_window(window_start_, window_end_);
    ticks_.set_window(window_start_, window_end_);
    window_known_ = true;
  }
}

void RoomWorker::run_storm(Clock::time_point now) {
  if (!storm_started_) {
    const Clock::rep origin = storm_origin_.load(std::memory_order_acquire);
    if (origin == 0) return;
    storm_joins_ = InputPacer(client_.size(), seconds(options_.join_window_s),
                              Clock::time_point(Clock::duration(origin)), /*rounds=*/1);
    storm_started_ = true;
    // Every player logged in now gets one join; the controller waits for
    // that many answers (the counts it reads are up to 50 ms stale).
    storm_joins_due_.store(static_cast<int64_t>(sessions_.in_phase(SessionPhase::kLoggedIn)),
                           std::memory_order_relaxed);
  }
  storm_joins_.run_due(now, [&](uint32_t slot, Clock::time_point) {
    if (sessions_.phase(slot) != SessionPhase::kLoggedIn) return;
    if (first_join_sent_at_ == Clock::time_point{}) first_join_sent_at_ = now;
    sessions_.join(client_, slot, now);
  });
}

void RoomWorker::on_open(ConnId id, Clock::time_point) {
  if (players_[id].away) {
    sessions_.resume(client_, id);
  } else {
    sessions_.login(client_, id);
  }
}

void RoomWorker::on_close(ConnId id) {
  const SessionPhase was = sessions_.phase(id);
  if (was == SessionPhase::kJoining) ++joins_closed_;
  sessions_.on_close(id);
  if (options_.resume && !control_.stop.load(std::memory_order_relaxed) &&
      (was == SessionPhase::kInRoom || was == SessionPhase::kResuming)) {
    went_away(id, Clock::now());
  }
}

// --resume: the player lost its connection (again, if it was away already).
void RoomWorker::went_away(ConnId id, Clock::time_point now) {
  Player& p = players_[id];
  if (!p.away) {
    p.away = true;
    p.gap_from = p.last_state_at == Clock::time_point{} ? now : p.last_state_at;
    p.attempts = 0;
    ++resume_.drops;
    away_.push_back(id);
  }
  p.last_tick = 0;  // the room's ticks after the gap are not compared with before
  p.reconnect_due = now + reconnect_backoff(p.attempts++, jitter_u_(rng_),
                                            ms_duration(options_.reconnect_base_ms),
                                            ms_duration(options_.reconnect_max_ms));
}

// --resume: reconnects whose time has come; players back (or lost) leave the list.
void RoomWorker::run_reconnects(Clock::time_point now) {
  std::erase_if(away_, [&](ConnId id) {
    Player& p = players_[id];
    if (!p.away) return true;
    if (!client_.is_closed(id) || now < p.reconnect_due) return false;
    if (now - p.gap_from > seconds(options_.resume_give_up_s)) {
      p.away = false;
      ++resume_.gave_up;
      return true;
    }
    client_.reconnect(id, now);
    ++resume_.reconnects;
    // If this connect fails too, the next try waits a longer backoff.
    p.reconnect_due = now + reconnect_backoff(p.attempts++, jitter_u_(rng_),
                                              ms_duration(options_.reconnect_base_ms),
                                              ms_duration(options_.reconnect_max_ms));
    return false;
  });
}

// --drop-after: once, that far into the window, every open connection closes.
void RoomWorker::drop_everyone_once(Clock::time_point now) {
  if (dropped_everyone_ || !window_known_ || now < window_start_ + seconds(options_.drop_after_s)) {
    return;
  }
  dropped_everyone_ = true;
  for (ConnId id = 0; id < client_.size(); ++id) {
    if (client_.is_open(id)) client_.drop(id);
  }
}

void RoomWorker::on_sent(ConnId id, Clock::time_point at) {
  sessions_.on_sent(id, at);
  Player& p = players_[id];
  if (p.stamp_pending) {
    p.sent.restamp_last(at);
    p.stamp_pending = false;
  }
}

void RoomWorker::send_input(ConnId id, Clock::time_point due, Clock::time_point now) {
  if (sessions_.phase(id) != SessionPhase::kInRoom) return;
  Player& p = players_[id];
  const uint32_t seq = p.sent.next_seq();
  if (options_.game == RoomGame::kArena) {
    // A random walk: players drift about the field instead of pinning to a wall.
    p.dx = std::clamp(p.dx + step_(rng_), -1.0f, 1.0f);
    p.dy = std::clamp(p.dy + step_(rng_), -1.0f, 1.0f);
    client_.send(id, proto::cmd::kArenaInput, encoder_.arena_input(seq, p.dx, p.dy));
  } else {
    client_.send(id, proto::cmd::kLockstepInput, encoder_.lockstep_input(seq));
  }
  if (const auto evicted = p.sent.push(now)) {
    answered(*evicted, now);  // a lower bound: it has waited this long already
    ++game_.inputs_evicted;
  }
  p.stamp_pending = true;
  ++game_.inputs_sent;
  if (in_window(now)) {
    ++game_.inputs_measured;
    input_lag_.record(now - due);
  }
}

void RoomWorker::on_frame(ConnId id, const proto::FrameView& frame, Clock::time_point now) {
  if (frame.cmd == proto::cmd::kError) return;  // counted by the client
  RoomSessions::Event event = RoomSessions::Event::kNone;
  if (sessions_.on_frame(id, frame, now, event)) {
    if (event == RoomSessions::Event::kLoggedIn && !options_.join_storm) {
      sessions_.join(client_, id, now);
      if (first_join_sent_at_ == Clock::time_point{}) first_join_sent_at_ = now;
    } else if (event == RoomSessions::Event::kFailed && players_[id].away) {
      players_[id].away = false;  // the Resume was refused: lost
      ++resume_.refused;
    } else if (event == RoomSessions::Event::kJoined) {
      players_[id].room_index = ticks_.index_of(sessions_.room_id(id));
      const uint32_t hz = sessions_.tick_hz(id);
      if (hz > tick_hz_) {
        tick_hz_ = hz;
        frame_period_ = period_of_hz(hz);
      }
    }
    return;
  }
  if (sessions_.phase(id) != SessionPhase::kInRoom) {
    ++game_.other_pushes;
    return;
  }
  if (frame.cmd == proto::cmd::kArenaState && options_.game == RoomGame::kArena) {
    on_arena_state(id, frame, now);
  } else if (frame.cmd == proto::cmd::kLockstepFrame && options_.game == RoomGame::kLockstep) {
    on_lockstep_frame(id, frame, now);
  } else {
    ++game_.other_pushes;  // RoomEvent (players joining) and the like
    if (frame.cmd == proto::cmd::kRoomEvent) {
      const auto event = decode_room_event(frame.payload);
      if (event && event->kind == kRoomEventRejoined) {
        ++resume_.rejoined;
        Player& p = players_[id];
        p.room_index = ticks_.index_of(event->room_id);
        p.last_tick = 0;  // a restored room's ticks are not compared with before
        if (!p.away && !p.moving) {
          // No drop: its room moved to another game node (a fleet's
          // failover) while the connection stayed up.
          p.moving = true;
          p.gap_from = p.last_state_at == Clock::time_point{} ? now : p.last_state_at;
          ++resume_.moved;
        }
      }
    }
  }
}

void RoomWorker::on_arena_state(ConnId id, const proto::FrameView& frame, Clock::time_point now) {
  const auto state = decode_arena_state(frame.payload, sessions_.user_id(id));
  if (!state) {
    ++game_.bad_pushes;
    return;
  }
  Player& p = players_[id];
  ++game_.pushes;
  if (in_window(now)) ++game_.pushes_measured;
  if (p.away) {  // --resume: the first state after the Resume
    gaps_.record(now - p.gap_from);
    p.away = false;
    ++resume_.resumed;
  }
  if (p.moving) {  // the first state after the room moved
    moved_gaps_.record(now - p.gap_from);
    p.moving = false;
    ++resume_.moved_back;
  }
  p.last_state_at = now;
  ticks_.observe(p.room_index, state->tick, now);
  if (state->tick > p.last_tick) {
    if (p.last_tick != 0 && in_window(now)) {
      const uint32_t missing = state->tick - p.last_tick - 1;
      game_.tick_gaps += missing;
      game_.tick_gap_max = std::max(game_.tick_gap_max, missing);
    }
    p.last_tick = state->tick;
  }
  if (state->own_ack) p.sent.ack(*state->own_ack, [&](Clock::time_point t) { answered(t, now); });
}

void RoomWorker::on_lockstep_frame(ConnId id, const proto::FrameView& frame,
                                   Clock::time_point now) {
  const auto f = decode_lockstep_frame(frame.payload, sessions_.user_id(id));
  if (!f) {
    ++game_.bad_pushes;
    return;
  }
  Player& p = players_[id];
  ++game_.pushes;
  const bool measured = in_window(now);
  if (measured) ++game_.pushes_measured;
  ticks_.observe(p.room_index, f->frame, now);
  if (p.last_frame != 0) {
    if (f->frame <= p.last_frame) {
      ++game_.frames_out_of_order;
    } else {
      game_.frame_gaps += f->frame - p.last_frame - 1;
    }
  }
  p.last_frame = std::max(p.last_frame, f->frame);
  const auto deviation = p.arrivals.arrive(now, frame_period_);
  if (deviation && measured) jitter_.record(*deviation);
  if (f->own_seq) p.sent.ack(*f->own_seq, [&](Clock::time_point t) { answered(t, now); });
}

ClientCounters RoomWorker::merged_counters() const {
  ClientCounters c = client_.counters();
  const SessionCounts& s = sessions_.counts();
  c.requests_sent = game_.inputs_sent;
  c.replies_ok = answered_;  // inputs answered: the rate on the progress line
  c.replies_mismatched = s.unexpected + s.logins_refused + s.joins_refused + game_.bad_pushes;
  c.open_answered = sessions_.in_phase(SessionPhase::kInRoom);
  return c;
}

void RoomWorker::publish() {
  const uint64_t connect_failed = client_.counters().connect_failed;
  const uint64_t in_room = sessions_.in_phase(SessionPhase::kInRoom);
  const uint64_t done = sessions_.in_phase(SessionPhase::kFailed) +
                        sessions_.in_phase(SessionPhase::kClosed) + connect_failed;
  const uint64_t logged_in = sessions_.in_phase(SessionPhase::kLoggedIn);
  resolved_.store(done + in_room + (options_.join_storm && !storm_started_ ? logged_in : 0),
                  std::memory_order_relaxed);
  const SessionCounts& s = sessions_.counts();
  joins_sent_pub_.store(s.joins_sent, std::memory_order_relaxed);
  joins_resolved_pub_.store(s.joins_ok + s.joins_refused + joins_closed_,
                            std::memory_order_relaxed);
  in_room_pub_.store(in_room, std::memory_order_relaxed);
  board_.publish(merged_counters(), client_.first_error(), 0, recorder_.interval());
}

}  // namespace citadel::bench
