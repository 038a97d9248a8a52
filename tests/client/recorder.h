// Collects what a Client reports (state events, pushes, replies, session
// events), copying the views it is handed, so tests can assert on them after
// the callbacks return.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "client/client.h"
#include "fake_server.h"

namespace citadel::client::test {

inline std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string text(std::span<const uint8_t> b) {
  return {b.begin(), b.end()};
}

struct RecordedReply {
  RequestId id = 0;
  RequestError error = RequestError::kNone;
  uint16_t cmd = 0;
  std::string payload;
  uint16_t server_code = 0;
  std::chrono::microseconds rtt{0};
};

struct Recorder {
  std::vector<StateEvent> states;    // reason views are not kept valid: see reasons
  std::vector<std::string> reasons;  // kDisconnected reasons, in order
  std::vector<Frame> pushes;
  std::vector<RecordedReply> replies;
  std::vector<SessionEventKind> sessions;    // session events, in order
  std::vector<SessionEvent> session_events;  // views cleared: see session_messages
  std::vector<std::string> session_messages;

  void attach(Client& c) {
    c.set_state_handler([this](const StateEvent& e) {
      states.push_back(e);
      states.back().reason = {};
      if (e.state == ClientState::kDisconnected) reasons.emplace_back(e.reason);
    });
    c.set_push_handler([this](const protocol::FrameView& f) {
      pushes.push_back({f.cmd, text(f.payload)});
    });
    c.set_session_handler([this](const SessionEvent& e) {
      sessions.push_back(e.kind);
      session_events.push_back(e);
      session_events.back().username = {};
      session_events.back().message = {};
      session_messages.emplace_back(e.message);
    });
  }
  ReplyCallback record() {
    return [this](const Reply& r) {
      replies.push_back({r.id, r.error, r.cmd, text(r.payload), r.server_error_code, r.rtt});
    };
  }
  int count(ClientState s) const {
    int n = 0;
    for (const auto& e : states) n += e.state == s;
    return n;
  }
};

}  // namespace citadel::client::test
