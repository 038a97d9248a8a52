#include "services/auth/auth_service.h"

#include <flatbuffers/flatbuffers.h>
#include <spdlog/spdlog.h>

#include "net/responder.h"
#include "protocol/commands.h"
#include "protocol/flatbuffers_text.h"
#include "protocol/utf8.h"
#include "server/verified_handler.h"

namespace citadel::services {

namespace {

constexpr std::size_t kMinDeviceIdBytes = 8, kMaxDeviceIdBytes = 128;
constexpr std::size_t kMinUsernameChars = 3, kMaxUsernameChars = 32;
constexpr std::size_t kMinPasswordBytes = 8, kMaxPasswordBytes = 128;

bool valid_username(std::string_view name) {
  if (name.size() < kMinUsernameChars || name.size() > kMaxUsernameChars) return false;
  // "guest-" names belong to guest accounts.
  if (fold_username(name).starts_with("guest-")) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<uint8_t> encode_auth_reply(uint32_t request_id, msg::AuthResult result,
                                       std::string_view message, uint64_t user_id,
                                       std::string_view username, std::string_view token,
                                       int64_t token_expires_unix_ms, bool resumed,
                                       bool resync_required) {
  flatbuffers::FlatBufferBuilder fbb(128);
  const auto message_off = fbb.CreateString(message.data(), message.size());
  const auto username_off = fbb.CreateString(username.data(), username.size());
  const auto token_off = fbb.CreateString(token.data(), token.size());
  fbb.Finish(msg::CreateAuthReply(fbb, request_id, result, message_off, user_id, username_off,
                                  token_off, static_cast<uint64_t>(token_expires_unix_ms), resumed,
                                  resync_required));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

AuthService::AuthService(net::EventLoop& service_loop, server::Outbox& outbox,
                         store::AccountStore& accounts, PasswordHasher& hasher,
                         SessionRegistry& sessions, const TokenSigner& signer,
                         const AuthConfig& config)
    : loop_(service_loop),
      outbox_(outbox),
      accounts_(accounts),
      hasher_(hasher),
      sessions_(sessions),
      signer_(signer),
      config_(config),
      per_account_(config.max_failed_logins_per_account, config.failed_login_window),
      per_address_(config.max_failed_logins_per_address, config.failed_login_window) {}

void AuthService::register_handlers(server::Router& router) {
  using server::verified;
  router.add(protocol::cmd::kGuestLogin,
             verified<msg::GuestLogin>([this](auto& p, const auto& m) { on_guest_login(p, m); }));
  router.add(protocol::cmd::kRegister,
             verified<msg::Register>([this](auto& p, const auto& m) { on_register(p, m); }));
  router.add(protocol::cmd::kLogin,
             verified<msg::Login>([this](auto& p, const auto& m) { on_login(p, m); }));
  router.add(protocol::cmd::kResume,
             verified<msg::Resume>([this](auto& p, const auto& m) { on_resume(p, m); }));
  router.add(protocol::cmd::kLogout,
             verified<msg::Logout>([this](auto& p, const auto& m) { on_logout(p, m); }),
             server::Access::kLoggedIn);
}

// The connection forgets its user at once, so a login right behind the
// Logout (pipelined) is accepted; the session ends on the service loop.
void AuthService::on_logout(net::Responder& peer, const msg::Logout& m) {
  const uint64_t user_id = peer.user_id();
  peer.set_user_id(0);
  loop_.post([this, user_id, connection_id = peer.connection_id()] {
    sessions_.logout_in_loop(user_id, connection_id);
  });
  peer.send(protocol::cmd::kAuthReply,
            encode_auth_reply(m.request_id(), Result::Ok, "logged out", user_id));
}

void AuthService::on_user_disconnected(uint64_t connection_id, uint64_t user_id) {
  loop_.post([this, connection_id, user_id] { sessions_.detach_in_loop(user_id, connection_id); });
}

// ---- connection loop: cheap checks, then hand off ----

static void reply_now(net::Responder& peer, uint32_t request_id, msg::AuthResult result,
                      std::string_view message) {
  peer.send(protocol::cmd::kAuthReply, encode_auth_reply(request_id, result, message));
}

void AuthService::on_guest_login(net::Responder& peer, const msg::GuestLogin& m) {
  if (peer.user_id() != 0) {
    return reply_now(peer, m.request_id(), Result::AlreadyLoggedIn, "already logged in");
  }
  const std::string_view device = protocol::text_of(m.device_id());
  // UTF-8 without NUL: what every store backend can hold as text
  // (PostgreSQL refuses both NUL and malformed UTF-8).
  if (device.size() < kMinDeviceIdBytes || device.size() > kMaxDeviceIdBytes ||
      device.find('\0') != std::string_view::npos || !protocol::is_valid_utf8(device)) {
    return reply_now(peer, m.request_id(), Result::InvalidDeviceId,
                     "device_id must be 8 to 128 bytes of UTF-8 without NUL");
  }
  const Request req{peer.connection_id(), m.request_id()};
  accounts_.find_or_create_guest(std::string(device), [this, req](store::GuestLoginResult r) {
    loop_.post([this, req, r] {
      if (!r.ok()) {
        return fail_in_loop(
            req,
            r.error == store::StoreError::kOverloaded ? Result::ServerBusy : Result::InternalError,
            store::to_string(r.error));
      }
      finish_login_in_loop(req, static_cast<uint64_t>(r.value.account_id),
                           "guest-" + std::to_string(r.value.account_id));
    });
  });
}

void AuthService::on_register(net::Responder& peer, const msg::Register& m) {
  if (peer.user_id() != 0) {
    return reply_now(peer, m.request_id(), Result::AlreadyLoggedIn, "already logged in");
  }
  const std::string username(protocol::text_of(m.username()));
  const std::string_view password = protocol::text_of(m.password());
  if (!valid_username(username)) {
    return reply_now(peer, m.request_id(), Result::InvalidUsername,
                     "username: 3 to 32 of A-Z a-z 0-9 _ - . (not starting guest-)");
  }
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return reply_now(peer, m.request_id(), Result::WeakPassword, "password: 8 to 128 bytes");
  }
  const Request req{peer.connection_id(), m.request_id()};
  const bool queued = hasher_.hash(std::string(password), [this, req, username](std::string hash) {
    if (hash.empty()) {
      loop_.post([this, req] { fail_in_loop(req, Result::InternalError, "hashing failed"); });
      return;
    }
    accounts_.create_account(
        username, std::move(hash), "", [this, req, username](store::CreateAccountResult r) {
          loop_.post([this, req, username, r] {
            if (r.ok()) {
              return finish_login_in_loop(req, static_cast<uint64_t>(r.value), username);
            }
            if (r.error == store::StoreError::kUsernameTaken) {
              return fail_in_loop(req, Result::UsernameTaken, "username taken");
            }
            fail_in_loop(req,
                         r.error == store::StoreError::kOverloaded ? Result::ServerBusy
                                                                   : Result::InternalError,
                         store::to_string(r.error));
          });
        });
  });
  if (!queued) reply_now(peer, m.request_id(), Result::ServerBusy, "busy: retry with backoff");
}

void AuthService::on_login(net::Responder& peer, const msg::Login& m) {
  if (peer.user_id() != 0) {
    return reply_now(peer, m.request_id(), Result::AlreadyLoggedIn, "already logged in");
  }
  const std::string_view username = protocol::text_of(m.username());
  const std::string_view password = protocol::text_of(m.password());
  if (username.empty() || username.size() > kMaxUsernameChars || password.empty() ||
      password.size() > kMaxPasswordBytes) {
    return reply_now(peer, m.request_id(), Result::BadCredentials, "bad username or password");
  }
  const Request req{peer.connection_id(), m.request_id()};
  loop_.post([this, req, u = std::string(username), p = std::string(password),
              a = peer.peer_address().to_string()]() mutable {
    check_and_login_in_loop(req, std::move(u), std::move(p), std::move(a));
  });
}

void AuthService::on_resume(net::Responder& peer, const msg::Resume& m) {
  if (peer.user_id() != 0) {
    return reply_now(peer, m.request_id(), Result::AlreadyLoggedIn, "already logged in");
  }
  TokenClaims claims;
  switch (signer_.verify(protocol::text_of(m.token()), unix_ms_now(), claims)) {
    case TokenError::kNone:
      break;
    case TokenError::kExpired:
      return reply_now(peer, m.request_id(), Result::TokenExpired, "token expired: log in again");
    default:
      return reply_now(peer, m.request_id(), Result::TokenInvalid, "token invalid");
  }
  const Request req{peer.connection_id(), m.request_id()};
  loop_.post([this, req, claims, last = m.last_push_id()] {
    std::vector<net::SharedBytes> missed;
    bool complete = true;
    SessionRegistry::Login renewed;
    const auto result =
        sessions_.resume_in_loop(claims, req.connection_id, last, missed, complete, renewed);
    if (result != SessionRegistry::ResumeResult::kResumed) {
      // In a fleet, the session may be held (or have been held) by another
      // node: etcd's record decides.
      if (FleetSessionSink* fleet = sessions_.fleet()) {
        return resume_from_fleet_in_loop(req, claims, *fleet);
      }
      return fail_in_loop(req, Result::SessionGone,
                          result == SessionRegistry::ResumeResult::kSessionReplaced
                              ? "session replaced by a newer login: log in again"
                              : "session ended (grace period passed): log in again");
    }
    send_resumed_in_loop(req, renewed, std::move(missed), complete);
  });
}

void AuthService::send_resumed_in_loop(Request req, const SessionRegistry::Login& renewed,
                                       std::vector<net::SharedBytes> missed, bool complete) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  const Session& s = *renewed.session;
  auto reply = server::make_shared_frame(
      protocol::cmd::kAuthReply,
      encode_auth_reply(req.request_id, Result::Ok, complete ? "resumed" : "resumed; resync",
                        s.user_id, s.username, renewed.token, renewed.token_expires_unix_ms, true,
                        !complete));
  const uint64_t user_id = s.user_id;
  outbox_.with_connection(
      req.connection_id,
      [this, user_id, reply, missed = std::move(missed)](net::Responder& conn) {
        conn.set_user_id(user_id);
        conn.send_shared(reply);  // the reply first, then what was missed, in order
        for (const auto& frame : missed) conn.send_shared(frame);
        loop_.post([this, user_id, c = conn.connection_id()] {
          sessions_.announce_attached_in_loop(user_id, c);
        });
      },
      [this, user_id, conn = req.connection_id] { on_user_disconnected(conn, user_id); });
}

void AuthService::resume_from_fleet_in_loop(Request req, TokenClaims claims,
                                            FleetSessionSink& fleet) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  // The username from the account (the record may be gone with its node).
  accounts_.find_by_id(static_cast<int64_t>(claims.user_id), [this, req, claims,
                                                              &fleet](store::FindAccountResult r) {
    loop_.post([this, req, claims, &fleet, r] {
      if (!r.ok()) return fail_in_loop(req, Result::ServerBusy, store::to_string(r.error));
      if (!r.value) return fail_in_loop(req, Result::SessionGone, "no such account");
      std::string username =
          r.value->username.empty() ? "guest-" + std::to_string(claims.user_id) : r.value->username;
      fleet.resolve_in_loop(
          claims.user_id, claims.session_id, username,
          [this, req, claims, username](FleetSessionSink::Verdict verdict) {
            using Verdict = FleetSessionSink::Verdict;
            switch (verdict) {
              case Verdict::kAdopt:
                break;
              case Verdict::kReplaced:
                return fail_in_loop(req, Result::SessionGone,
                                    "session replaced by a newer login: log in again");
              case Verdict::kEnded:
                return fail_in_loop(req, Result::SessionGone,
                                    "session ended (logged out or grace period passed): "
                                    "log in again");
              case Verdict::kUnavailable:
                return fail_in_loop(req, Result::ServerBusy,
                                    "sessions unavailable (fleet): retry with backoff");
            }
            // Its pushes stayed on the node that held it: the client
            // re-reads state, as after a restart.
            const auto renewed = sessions_.adopt_in_loop(claims.user_id, username,
                                                         claims.session_id, req.connection_id);
            send_resumed_in_loop(req, renewed, {}, false);
          });
    });
  });
}

// ---- service loop ----

void AuthService::check_and_login_in_loop(Request req, std::string username, std::string password,
                                          std::string address) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  const auto now = FailureLimiter::Clock::now();
  const std::string account_key = fold_username(username);
  if (per_account_.blocked(account_key, now) || per_address_.blocked(address, now)) {
    return fail_in_loop(req, Result::RateLimited, "too many failed logins: wait a minute");
  }
  accounts_.find_by_username(username, [this, req, password = std::move(password), account_key,
                                        address](store::FindAccountResult r) mutable {
    if (!r.ok() || !r.value) {
      loop_.post([this, req, r, account_key, address] {
        if (!r.ok()) return fail_in_loop(req, Result::ServerBusy, store::to_string(r.error));
        record_failure_in_loop(account_key, address);
        fail_in_loop(req, Result::BadCredentials, "bad username or password");
      });
      return;
    }
    const store::Account account = *r.value;
    const bool queued = hasher_.verify(
        account.password_hash, std::move(password),
        [this, req, account, account_key, address](bool ok) {
          loop_.post([this, req, ok, account, account_key, address] {
            if (!ok) {
              record_failure_in_loop(account_key, address);
              return fail_in_loop(req, Result::BadCredentials, "bad username or password");
            }
            per_account_.reset(account_key);
            finish_login_in_loop(req, static_cast<uint64_t>(account.id), account.username);
          });
        });
    if (!queued) {
      loop_.post(
          [this, req] { fail_in_loop(req, Result::ServerBusy, "busy: retry with backoff"); });
    }
  });
}

void AuthService::record_failure_in_loop(const std::string& account_key,
                                         const std::string& address) {
  const auto now = FailureLimiter::Clock::now();
  per_account_.record_failure(account_key, now);
  per_address_.record_failure(address, now);
}

void AuthService::finish_login_in_loop(Request req, uint64_t user_id, std::string username) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  const auto login = sessions_.login_in_loop(user_id, username, req.connection_id);
  auto reply = server::make_shared_frame(
      protocol::cmd::kAuthReply,
      encode_auth_reply(req.request_id, Result::Ok, "welcome", user_id, login.session->username,
                        login.token, login.token_expires_unix_ms));
  if (FleetSessionSink* fleet = sessions_.fleet()) {
    // In a fleet the reply waits for the session's record in etcd: a client
    // told "welcome" holds the user fleet-wide, and a login elsewhere after
    // it is ordered after it.
    return fleet->when_recorded_in_loop(
        user_id, login.session->session_id,
        [this, req, user_id, reply] { send_welcome_in_loop(req, user_id, reply); });
  }
  send_welcome_in_loop(req, user_id, reply);
}

void AuthService::send_welcome_in_loop(Request req, uint64_t user_id, net::SharedBytes reply) {
  outbox_.with_connection(
      req.connection_id,
      [this, user_id, reply](net::Responder& conn) {
        conn.set_user_id(user_id);
        conn.send_shared(reply);
        loop_.post([this, user_id, c = conn.connection_id()] {
          sessions_.announce_attached_in_loop(user_id, c);
        });
      },
      // Gone before the reply: the session waits out its grace like any other.
      [this, user_id, conn = req.connection_id] { on_user_disconnected(conn, user_id); });
}

void AuthService::fail_in_loop(Request req, Result result, std::string_view message) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  outbox_.send(req.connection_id,
               server::make_shared_frame(protocol::cmd::kAuthReply,
                                         encode_auth_reply(req.request_id, result, message)));
}

}  // namespace citadel::services
