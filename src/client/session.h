// What the library remembers about the logged-in session, so that a
// reconnect can resume it: the token from the last successful login or
// resume, and the highest push_id seen since. Pure logic over decoded
// messages (no sockets, no clock), unit-tested in tests/client/session_test.cc;
// the Client feeds it and sends the Resume.
//
// Not thread-safe: lives on the Client's io thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "client/auth_messages.h"

namespace citadel::client {

enum class SessionEventKind : uint8_t {
  kLoggedIn,        // GuestLogin, Register or Login succeeded: the token is remembered
  kResumed,         // Resume succeeded: same user; the missed pushes follow as pushes
  kResyncRequired,  // Resume succeeded, but some missed pushes were dropped by the
                    // server: re-read state (e.g. rejoin channels for their history)
  kLost,            // the session cannot be resumed (token forgotten): the connection
                    // stays open, logged out; log in again
  kLoggedOut,       // Logout succeeded (the token was forgotten when it was sent)
};
std::string_view to_string(SessionEventKind kind);

struct SessionEvent {
  SessionEventKind kind = SessionEventKind::kLoggedIn;
  uint64_t user_id = 0;
  std::string_view username;
  // kLost: the AuthResult that ended it (SessionGone, TokenExpired,
  // TokenInvalid, ...), or 0 when it did not come from an AuthReply (a server
  // ERROR answered the Resume, or ERROR 11: logged in elsewhere).
  uint16_t auth_result = 0;
  std::string_view message;  // the server's message, or why
};

struct SessionInfo {
  std::string token;  // empty: nothing to resume
  uint64_t user_id = 0;
  std::string username;
  uint64_t token_expires_unix_ms = 0;
  uint64_t last_push_id = 0;  // highest push_id seen since the login
  bool logged_in = false;     // on the current connection
};

class SessionState {
 public:
  // The AuthReply that answered a request of `request_cmd` (GuestLogin,
  // Register, Login, Resume or Logout). Returns the event to report, if any.
  // A Resume refused with a transient result (ServerBusy, InternalError,
  // RateLimited) reports nothing and keeps the token: it is worth retrying.
  // So does AlreadyLoggedIn: this connection has the session already.
  std::optional<SessionEventKind> on_auth_reply(uint16_t request_cmd, const AuthReplyFields& reply);
  // A frame that answered no request: remembers its push_id, if it has one.
  void on_push(uint16_t cmd, std::span<const uint8_t> payload);
  // The connection is gone; the token stays for a resume.
  void on_link_down() { info_.logged_in = false; }
  // A token obtained elsewhere (e.g. saved by the application), to resume.
  void set_token(std::string token, uint64_t last_push_id);
  void forget();

  bool can_resume() const { return !info_.token.empty(); }
  const SessionInfo& info() const { return info_; }

  // Results after which a Resume is worth trying again later.
  static bool is_transient(uint16_t auth_result);

 private:
  SessionInfo info_;
};

}  // namespace citadel::client
