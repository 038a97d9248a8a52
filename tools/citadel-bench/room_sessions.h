// The way into a room that the arena and lockstep scenarios share, per
// connection: GuestLogin with a device id new to this run -> AuthReply Ok ->
// RoomJoin (join-or-create of one room type) -> RoomReply Ok. It sends the
// requests through the worker's FrameClient, reads the two replies, and
// keeps what the game traffic needs afterwards (user id, room id, tick rate)
// and what the report needs (outcomes by result code, join latency).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench_messages.h"
#include "device_ids.h"
#include "frame_client.h"
#include "game_messages.h"
#include "histogram.h"
#include "report_rows.h"

namespace citadel::bench {

enum class SessionPhase : uint8_t {
  kConnecting,  // not open yet
  kLoggingIn,   // GuestLogin sent
  kLoggedIn,    // waiting for the scenario to send RoomJoin
  kJoining,     // RoomJoin sent
  kInRoom,
  kFailed,    // login or join refused, or a reply that made no sense
  kClosed,    // the connection closed
  kResuming,  // --resume: reconnected, Resume sent
};

struct SessionCounts {
  uint64_t logins_ok = 0;
  uint64_t logins_refused = 0;
  uint64_t joins_sent = 0;
  uint64_t joins_ok = 0;
  uint64_t joins_refused = 0;
  uint64_t unexpected = 0;  // replies to nothing we asked, or undecodable
  ResultCounts login_results{};
  ResultCounts join_results{};
  uint64_t resumes_sent = 0;  // --resume
  uint64_t resumes_ok = 0;
  ResultCounts resume_results{};
};

class RoomSessions {
 public:
  enum class Event { kNone, kLoggedIn, kJoined, kFailed, kResumed };

  // keep_tokens: keep each session's token for resume().
  RoomSessions(uint32_t connections, std::string room_type, std::string_view run_prefix,
               uint32_t worker, bool keep_tokens = false);

  // The connection is open: log it in.
  void login(FrameClient& client, ConnId id);
  // Sends RoomJoin (the connection must be kLoggedIn).
  void join(FrameClient& client, ConnId id, Clock::time_point now);
  // The connection is open again after a drop: Resume with the session's
  // token (AuthReply Ok: back kInRoom, Event::kResumed; else kFailed).
  void resume(FrameClient& client, ConnId id);
  // AuthReply and RoomReply are handled here (true); any other frame is the
  // scenario's (false). `event` says what the frame changed.
  bool on_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now, Event& event);
  // The first bytes queued on `id` left at `at`: a pending join's clock starts there.
  void on_sent(ConnId id, Clock::time_point at);
  void on_close(ConnId id);

  SessionPhase phase(ConnId id) const { return conns_[id].phase; }
  uint64_t user_id(ConnId id) const { return conns_[id].user_id; }
  uint64_t room_id(ConnId id) const { return conns_[id].room_id; }
  uint32_t tick_hz(ConnId id) const { return conns_[id].tick_hz; }
  Clock::time_point join_sent_at(ConnId id) const { return conns_[id].join_sent_at; }

  const SessionCounts& counts() const { return counts_; }
  // RoomJoin -> RoomReply Ok, every join.
  const Histogram& join_latency() const { return join_latency_; }
  // Connections in each phase right now.
  uint64_t in_phase(SessionPhase p) const { return in_phase_[static_cast<std::size_t>(p)]; }
  // Time of the last RoomReply (any result); zero if none yet.
  Clock::time_point last_join_reply_at() const { return last_join_reply_at_; }

 private:
  struct Conn {
    SessionPhase phase = SessionPhase::kConnecting;
    bool stamp_pending = false;
    uint32_t request_id = 0;  // of the login or join in flight
    uint32_t tick_hz = 0;
    uint64_t user_id = 0;
    uint64_t room_id = 0;
    Clock::time_point join_sent_at{};
    std::string token;  // --resume: the session token of the login
  };

  void set_phase(Conn& c, SessionPhase p);

  std::string room_type_;
  bool keep_tokens_ = false;
  DeviceIds ids_;
  MessageEncoder auth_;
  GameEncoder game_;
  std::vector<Conn> conns_;
  uint32_t next_request_ = 1;
  SessionCounts counts_;
  Histogram join_latency_;
  std::array<uint64_t, 8> in_phase_{};
  Clock::time_point last_join_reply_at_{};
};

}  // namespace citadel::bench
