// The session part of the Client: logins through the library, the token and
// push id it remembers (session.h), and the Resume it sends on every new
// connection while it holds a token.
#include <utility>

#include "client/auth_messages.h"
#include "client/client_impl.h"
#include "protocol/commands.h"

namespace citadel::client {

namespace proto = citadel::protocol;

namespace {

AuthOutcome outcome_of(const Reply& reply) {
  AuthOutcome o;
  o.reply = reply;
  if (reply.ok() && reply.cmd == proto::cmd::kAuthReply) o.auth = decode_auth_reply(reply.payload);
  return o;
}

}  // namespace

RequestId Client::Impl::auth_request(
    uint16_t cmd, const std::function<std::vector<uint8_t>(uint32_t request_id)>& encode,
    AuthCallback callback, bool bypass_hold) {
  ReplyCallback on_reply;
  if (callback) {
    on_reply = [callback = std::move(callback)](const Reply& r) { callback(outcome_of(r)); };
  }
  return keyed_request(cmd, encode, proto::cmd::kAuthReply, std::move(on_reply), bypass_hold);
}

RequestId Client::Impl::resume(AuthCallback callback) {
  if (!session.can_resume()) {
    const RequestId id = next_id_++;
    if (callback) {
      fail_later(id, RequestError::kNoSession,
                 [callback = std::move(callback)](const Reply& r) { callback(outcome_of(r)); });
    }
    return id;
  }
  const SessionInfo& s = session.info();
  return auth_request(
      proto::cmd::kResume,
      [&](uint32_t request_id) { return encode_resume(request_id, s.token, s.last_push_id); },
      std::move(callback));
}

RequestId Client::Impl::logout(AuthCallback callback) {
  return auth_request(proto::cmd::kLogout, encode_logout, std::move(callback));
}

void Client::Impl::set_session(std::string token, uint64_t last_push_id) {
  session.set_token(std::move(token), last_push_id);
}

void Client::Impl::forget_session() {
  session.forget();
}

// A new connection while a token is held: Resume before anything else.
void Client::Impl::start_resume(uint64_t link) {
  resuming_ = true;
  const SessionInfo& s = session.info();
  auth_request(
      proto::cmd::kResume,
      [&](uint32_t request_id) { return encode_resume(request_id, s.token, s.last_push_id); },
      [weak = weak_from_this(), link](const AuthOutcome& o) {
        if (auto self = weak.lock()) self->resume_answered(link, o.reply);
      },
      true);
}

// The session event (resumed, lost, ...) has already been reported by
// observe_auth_reply when an AuthReply came; this decides what happens to the
// connection and to the requests held meanwhile.
void Client::Impl::resume_answered(uint64_t link, const Reply& reply) {
  if (link != link_ || !resuming_) return;  // that connection is gone; so are its held requests
  resuming_ = false;
  if (reply.error == RequestError::kServerError) {
    // A server without Resume (ERROR 3), or a payload it refused: it will not
    // resume this session on any connection.
    session_lost(0, "Resume answered by ERROR " + std::to_string(reply.server_error_code) + ": " +
                        std::string(reply.server_error_text));
  } else if (reply.error == RequestError::kTimeout) {
    // No answer on this link: try a fresh one (backoff applies).
    drop_connection("Resume timed out");
    return;
  } else if (reply.ok()) {
    const std::optional<AuthReplyFields> auth = decode_auth_reply(reply.payload);
    if (!auth) {
      session_lost(0, "Resume answered by a malformed AuthReply");
    } else if (!auth->ok() && SessionState::is_transient(auth->result)) {
      // Busy: the session may still be there. Retry on a new connection,
      // after a backoff delay, while the grace period lasts.
      drop_connection("Resume refused for now: " + std::string(auth_result_name(auth->result)));
      return;
    }
  }
  release_held();
}

void Client::Impl::release_held() {
  std::deque<HeldRequest> held = std::exchange(held_, {});
  for (HeldRequest& r : held) {
    if (r.one_way) {
      send(r.cmd, r.payload);  // no one to tell if it fails: inputs are best effort
    } else {
      send_now(r.id, r.cmd, r.payload, r.reply_cmd, std::move(r.callback), r.reply_key);
    }
  }
}

void Client::Impl::observe_auth_reply(uint16_t request_cmd, const proto::FrameView& frame) {
  const std::optional<AuthReplyFields> auth = decode_auth_reply(frame.payload);
  if (!auth) return;
  const SessionInfo before = session.info();
  if (const std::optional<SessionEventKind> kind = session.on_auth_reply(request_cmd, *auth)) {
    SessionEvent e;
    e.kind = *kind;
    e.user_id = auth->user_id;
    e.username = auth->username;
    if (*kind == SessionEventKind::kLost) {  // a refusal names no user: say whose session ended
      e.user_id = before.user_id;
      e.username = before.username;
    }
    e.auth_result = auth->result;
    e.message = auth->message;
    if (session_callback) session_callback(e);
  }
}

void Client::Impl::session_lost(uint16_t auth_result, std::string_view message) {
  const SessionInfo before = session.info();
  session.forget();
  SessionEvent e;
  e.kind = SessionEventKind::kLost;
  e.user_id = before.user_id;
  e.username = before.username;
  e.auth_result = auth_result;
  e.message = message;
  if (session_callback) session_callback(e);
}

// ---- the public face ----

void Client::set_session(std::string token, uint64_t last_push_id) {
  impl_->set_session(std::move(token), last_push_id);
}
void Client::forget_session() {
  impl_->forget_session();
}
const SessionInfo& Client::session() const {
  return impl_->session.info();
}

RequestId Client::login_guest(std::string_view device_id, AuthCallback callback) {
  return impl_->auth_request(
      proto::cmd::kGuestLogin,
      [&](uint32_t request_id) { return encode_guest_login(request_id, device_id); },
      std::move(callback));
}

RequestId Client::login(std::string_view username, std::string_view password,
                        AuthCallback callback) {
  return impl_->auth_request(
      proto::cmd::kLogin,
      [&](uint32_t request_id) { return encode_login(request_id, username, password); },
      std::move(callback));
}

RequestId Client::register_account(std::string_view username, std::string_view password,
                                   AuthCallback callback) {
  return impl_->auth_request(
      proto::cmd::kRegister,
      [&](uint32_t request_id) { return encode_register(request_id, username, password); },
      std::move(callback));
}

RequestId Client::resume(AuthCallback callback) {
  return impl_->resume(std::move(callback));
}

RequestId Client::logout(AuthCallback callback) {
  return impl_->logout(std::move(callback));
}

}  // namespace citadel::client
