// Login, registration, guest login and session resume (schemas/auth.fbs).
//
// Threads: handlers start on the connection's loop (shape checks, token
// signature), slow work goes to the password hasher's workers and the
// store's thread, and every decision about sessions is taken on the service
// loop. The reply reaches the connection through the Outbox, which also sets
// the connection's user id in the same step, so no frame of the new session
// can be handled before the connection knows its user.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "net/event_loop.h"
#include "protocol/auth_generated.h"
#include "server/outbox.h"
#include "server/router.h"
#include "services/auth/failure_limiter.h"
#include "services/auth/password_hasher.h"
#include "services/auth/token_signer.h"
#include "services/session/session_registry.h"
#include "store/account_store.h"

namespace citadel::services {

struct AuthConfig {
  uint32_t max_failed_logins_per_account = 5;   // per window
  uint32_t max_failed_logins_per_address = 20;  // per window
  std::chrono::seconds failed_login_window{60};
};

class AuthService {
 public:
  AuthService(net::EventLoop& service_loop, server::Outbox& outbox, store::AccountStore& accounts,
              PasswordHasher& hasher, SessionRegistry& sessions, const TokenSigner& signer,
              const AuthConfig& config);

  // Start-up: GuestLogin, Register, Login and Resume, open to anyone.
  void register_handlers(server::Router& router);
  // Any loop: a connection with a user closed.
  void on_user_disconnected(uint64_t connection_id, uint64_t user_id);

 private:
  using Result = msg::AuthResult;
  struct Request {
    uint64_t connection_id = 0;
    uint32_t request_id = 0;
  };

  void on_guest_login(net::Responder& peer, const msg::GuestLogin& m);
  void on_register(net::Responder& peer, const msg::Register& m);
  void on_login(net::Responder& peer, const msg::Login& m);
  void on_resume(net::Responder& peer, const msg::Resume& m);
  void on_logout(net::Responder& peer, const msg::Logout& m);

  // Service loop.
  void check_and_login_in_loop(Request req, std::string username, std::string password,
                               std::string address);
  void finish_login_in_loop(Request req, uint64_t user_id, std::string username);
  void send_welcome_in_loop(Request req, uint64_t user_id, net::SharedBytes reply);
  void fail_in_loop(Request req, Result result, std::string_view message);
  // A Resume of a session this node does not hold, in a fleet: ask etcd
  // whether another node held it (docs/fleet.md "Sessions across the fleet").
  void resume_from_fleet_in_loop(Request req, TokenClaims claims, FleetSessionSink& fleet);
  void send_resumed_in_loop(Request req, const SessionRegistry::Login& renewed,
                            std::vector<net::SharedBytes> missed, bool complete);
  void record_failure_in_loop(const std::string& account_key, const std::string& address);

  net::EventLoop& loop_;
  server::Outbox& outbox_;
  store::AccountStore& accounts_;
  PasswordHasher& hasher_;
  SessionRegistry& sessions_;
  const TokenSigner& signer_;
  const AuthConfig config_;
  FailureLimiter per_account_;
  FailureLimiter per_address_;
};

// Encodes an AuthReply payload (exposed for tests and tools).
std::vector<uint8_t> encode_auth_reply(uint32_t request_id, msg::AuthResult result,
                                       std::string_view message, uint64_t user_id = 0,
                                       std::string_view username = {}, std::string_view token = {},
                                       int64_t token_expires_unix_ms = 0, bool resumed = false,
                                       bool resync_required = false);

}  // namespace citadel::services
