#include "client/session.h"

#include <utility>

#include "protocol/commands.h"

namespace citadel::client {

namespace proto = citadel::protocol;

std::string_view to_string(SessionEventKind kind) {
  switch (kind) {
    case SessionEventKind::kLoggedIn:
      return "logged_in";
    case SessionEventKind::kResumed:
      return "resumed";
    case SessionEventKind::kResyncRequired:
      return "resync_required";
    case SessionEventKind::kLost:
      return "lost";
    case SessionEventKind::kLoggedOut:
      return "logged_out";
  }
  return "unknown";
}

bool SessionState::is_transient(uint16_t auth_result) {
  return auth_result == auth_result::kServerBusy || auth_result == auth_result::kInternalError ||
         auth_result == auth_result::kRateLimited;
}

std::optional<SessionEventKind> SessionState::on_auth_reply(uint16_t request_cmd,
                                                            const AuthReplyFields& reply) {
  switch (request_cmd) {
    case proto::cmd::kGuestLogin:
    case proto::cmd::kRegister:
    case proto::cmd::kLogin:
      // A refused login changes nothing: an AlreadyLoggedIn keeps the session it refers to.
      if (!reply.ok() || reply.token.empty()) return std::nullopt;
      info_.token = reply.token;
      info_.user_id = reply.user_id;
      info_.username = reply.username;
      info_.token_expires_unix_ms = reply.token_expires_unix_ms;
      // Push ids are server-wide; a new session (maybe on a restarted server,
      // whose ids start again at 1) must not skip pushes by an old high mark.
      info_.last_push_id = 0;
      info_.logged_in = true;
      return SessionEventKind::kLoggedIn;
    case proto::cmd::kResume:
      if (!reply.ok()) {
        // AlreadyLoggedIn: a Resume sent on a connection that has the session
        // already (an application's own resume()); nothing is lost.
        if (is_transient(reply.result) || reply.result == auth_result::kAlreadyLoggedIn) {
          return std::nullopt;
        }
        forget();
        return SessionEventKind::kLost;
      }
      // The server renews the token on every resume; keep the newest.
      if (!reply.token.empty()) {
        info_.token = reply.token;
        info_.token_expires_unix_ms = reply.token_expires_unix_ms;
      }
      info_.user_id = reply.user_id;
      info_.username = reply.username;
      info_.logged_in = true;
      return reply.resync_required ? SessionEventKind::kResyncRequired : SessionEventKind::kResumed;
    case proto::cmd::kLogout:
      if (!reply.ok()) return std::nullopt;
      forget();
      return SessionEventKind::kLoggedOut;
    default:
      return std::nullopt;
  }
}

void SessionState::on_push(uint16_t cmd, std::span<const uint8_t> payload) {
  if (const std::optional<uint64_t> id = read_push_id(cmd, payload)) {
    if (*id > info_.last_push_id) info_.last_push_id = *id;
  }
}

void SessionState::set_token(std::string token, uint64_t last_push_id) {
  info_ = SessionInfo{};
  info_.token = std::move(token);
  info_.last_push_id = last_push_id;
}

void SessionState::forget() {
  info_ = SessionInfo{};
}

}  // namespace citadel::client
