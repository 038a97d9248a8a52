#include "room_sessions.h"

#include <algorithm>

#include "protocol/commands.h"

namespace citadel::bench {
namespace {

namespace proto = citadel::protocol;
constexpr uint16_t kOk = 0;  // AuthResult::Ok and RoomResult::Ok

}  // namespace

RoomSessions::RoomSessions(uint32_t connections, std::string room_type, std::string_view run_prefix,
                           uint32_t worker, bool keep_tokens)
    : room_type_(std::move(room_type)),
      keep_tokens_(keep_tokens),
      ids_(run_prefix, worker),
      conns_(connections) {
  in_phase_[static_cast<std::size_t>(SessionPhase::kConnecting)] = connections;
}

void RoomSessions::set_phase(Conn& c, SessionPhase p) {
  --in_phase_[static_cast<std::size_t>(c.phase)];
  ++in_phase_[static_cast<std::size_t>(p)];
  c.phase = p;
}

void RoomSessions::login(FrameClient& client, ConnId id) {
  Conn& c = conns_[id];
  c.request_id = next_request_++;
  client.send(id, proto::cmd::kGuestLogin, auth_.guest_login(c.request_id, ids_.next()));
  set_phase(c, SessionPhase::kLoggingIn);
}

void RoomSessions::resume(FrameClient& client, ConnId id) {
  Conn& c = conns_[id];
  c.request_id = next_request_++;
  client.send(id, proto::cmd::kResume, auth_.resume(c.request_id, c.token, 0));
  ++counts_.resumes_sent;
  set_phase(c, SessionPhase::kResuming);
}

void RoomSessions::join(FrameClient& client, ConnId id, Clock::time_point now) {
  Conn& c = conns_[id];
  if (c.phase != SessionPhase::kLoggedIn) return;
  c.request_id = next_request_++;
  client.send(id, proto::cmd::kRoomJoin, game_.room_join(c.request_id, room_type_));
  c.join_sent_at = now;  // replaced by the send's own time in on_sent
  c.stamp_pending = true;
  ++counts_.joins_sent;
  set_phase(c, SessionPhase::kJoining);
}

void RoomSessions::on_sent(ConnId id, Clock::time_point at) {
  Conn& c = conns_[id];
  if (c.stamp_pending) {
    c.join_sent_at = at;
    c.stamp_pending = false;
  }
}

void RoomSessions::on_close(ConnId id) {
  Conn& c = conns_[id];
  if (c.phase != SessionPhase::kClosed) set_phase(c, SessionPhase::kClosed);
}

bool RoomSessions::on_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now,
                            Event& event) {
  event = Event::kNone;
  Conn& c = conns_[id];
  if (frame.cmd == proto::cmd::kAuthReply) {
    const auto reply = decode_auth_reply(frame.payload);
    if (!reply || (c.phase != SessionPhase::kLoggingIn && c.phase != SessionPhase::kResuming) ||
        reply->request_id != c.request_id) {
      ++counts_.unexpected;
      return true;
    }
    if (c.phase == SessionPhase::kResuming) {
      ++counts_.resume_results[std::min<std::size_t>(reply->result, kResultSlots - 1)];
      if (reply->result != kOk) {
        set_phase(c, SessionPhase::kFailed);
        event = Event::kFailed;
        return true;
      }
      ++counts_.resumes_ok;
      set_phase(c, SessionPhase::kInRoom);  // RoomEvent Rejoined and a snapshot follow
      event = Event::kResumed;
      return true;
    }
    ++counts_.login_results[std::min<std::size_t>(reply->result, kResultSlots - 1)];
    if (reply->result != kOk) {
      ++counts_.logins_refused;
      set_phase(c, SessionPhase::kFailed);
      event = Event::kFailed;
      return true;
    }
    ++counts_.logins_ok;
    c.user_id = reply->user_id;
    if (keep_tokens_) c.token.assign(reply->token);
    set_phase(c, SessionPhase::kLoggedIn);
    event = Event::kLoggedIn;
    return true;
  }
  if (frame.cmd == proto::cmd::kRoomReply) {
    const auto reply = decode_room_reply(frame.payload);
    if (!reply || c.phase != SessionPhase::kJoining || reply->request_id != c.request_id) {
      ++counts_.unexpected;
      return true;
    }
    last_join_reply_at_ = now;
    ++counts_.join_results[std::min<std::size_t>(reply->result, kResultSlots - 1)];
    if (reply->result != kOk) {
      ++counts_.joins_refused;
      set_phase(c, SessionPhase::kFailed);
      event = Event::kFailed;
      return true;
    }
    ++counts_.joins_ok;
    join_latency_.record(now - c.join_sent_at);
    c.room_id = reply->room_id;
    c.tick_hz = reply->tick_hz;
    set_phase(c, SessionPhase::kInRoom);
    event = Event::kJoined;
    return true;
  }
  return false;
}

}  // namespace citadel::bench
