#include "services/session/session_registry.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/responder.h"

namespace citadel::services {

std::string fold_username(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int64_t unix_ms_now() {
  return net::LoopClock::unix_ms();
}

// The registry must be destroyed only after the service loop has stopped:
// its sweep timer refers to it.
SessionRegistry::SessionRegistry(net::EventLoop& service_loop, server::Outbox& outbox,
                                 const TokenSigner& signer, const SessionConfig& config)
    : loop_(service_loop), outbox_(outbox), signer_(signer), config_(config) {
  loop_.post([this] { schedule_expiry_sweep_in_loop(); });
}

SessionRegistry::~SessionRegistry() = default;

std::string SessionRegistry::issue_token(const Session& s, int64_t& expires_unix_ms) const {
  expires_unix_ms = unix_ms_now() + config_.token_ttl.count();
  return signer_.issue(TokenClaims{s.user_id, s.session_id, expires_unix_ms});
}

// Tells the connection a newer login took its session, then closes it. Its
// user id is cleared first so its close does not detach the new session.
static void kick(server::Outbox& outbox, uint64_t connection_id,
                 std::string_view why =
                     "logged in elsewhere: a newer login took over this "
                     "session") {
  outbox.with_connection(connection_id, [why = std::string(why)](net::Responder& conn) {
    conn.set_user_id(0);
    conn.close_with_error(protocol::ErrorCode::kLoggedInElsewhere, why);
  });
}

uint64_t SessionRegistry::new_session_id_in_loop() {
  if (fleet_ == nullptr) return ++next_session_id_;
  // Random, so that no two nodes issue the same id: a token then names one
  // session fleet-wide. 63 bits keep it a positive int64 wherever it goes
  // (etcd's JSON, the recovery log); 0 means "none".
  uint64_t id = 0;
  while (id == 0) {
    randombytes_buf(&id, sizeof id);
    id &= ~(uint64_t{1} << 63);
  }
  return id;
}

SessionRegistry::Login SessionRegistry::login_in_loop(uint64_t user_id, std::string username,
                                                      uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto& slot = sessions_[user_id];
  const bool fresh = !slot;
  if (fresh) {
    slot = std::make_unique<Session>(config_.push_buffer_frames, config_.push_buffer_bytes);
    slot->user_id = user_id;
    slot->username = std::move(username);
    if (!slot->username.empty()) by_name_[fold_username(slot->username)] = user_id;
  } else if (slot->attached() && slot->connection_id != connection_id) {
    kick(outbox_, slot->connection_id);
    --attached_;
  } else if (slot->attached()) {
    --attached_;  // the same connection logging in again
  }
  Session& s = *slot;
  s.session_id = new_session_id_in_loop();
  s.connection_id = connection_id;
  s.pushes.clear();  // a fresh login has seen nothing; it starts from now
  s.restored = false;
  ++attached_;
  mark_changed_in_loop(user_id);
  Login out{&s, {}, 0};
  out.token = issue_token(s, out.token_expires_unix_ms);
  if (fresh && on_start_) on_start_(s);
  if (fleet_ != nullptr) fleet_->started_in_loop(user_id, s.session_id, s.username, true);
  return out;
}

SessionRegistry::ResumeResult SessionRegistry::resume_in_loop(const TokenClaims& claims,
                                                              uint64_t connection_id,
                                                              uint64_t last_push_id,
                                                              std::vector<net::SharedBytes>& missed,
                                                              bool& complete, Login& renewed) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  Session* s = find_in_loop(claims.user_id);
  if (s == nullptr) return ResumeResult::kNoSession;
  if (s->session_id != claims.session_id) return ResumeResult::kSessionReplaced;
  if (s->attached()) {
    // The old connection may be half-open (its peer vanished without a FIN):
    // the token holder wins.
    if (s->connection_id != connection_id) kick(outbox_, s->connection_id);
    --attached_;
  }
  s->connection_id = connection_id;
  ++attached_;
  missed = s->pushes.since(last_push_id, complete);
  if (s->restored) {
    // The pushes before the restart are gone; the client re-reads state.
    complete = false;
    s->restored = false;
  }
  renewed.session = s;
  renewed.token = issue_token(*s, renewed.token_expires_unix_ms);
  return ResumeResult::kResumed;
}

void SessionRegistry::announce_attached_in_loop(uint64_t user_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  Session* s = find_in_loop(user_id);
  if (s != nullptr && s->connection_id == connection_id && on_attach_) on_attach_(*s);
}

void SessionRegistry::logout_in_loop(uint64_t user_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  Session* s = find_in_loop(user_id);
  if (s == nullptr || s->connection_id != connection_id) return;  // already taken over
  s->connection_id = 0;
  --attached_;
  end_in_loop(user_id);
}

void SessionRegistry::detach_in_loop(uint64_t user_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  Session* s = find_in_loop(user_id);
  if (s == nullptr || s->connection_id != connection_id) return;  // already taken over
  s->connection_id = 0;
  s->detached_at = Clock::now();
  --attached_;
}

void SessionRegistry::push_in_loop(const std::vector<uint64_t>& user_ids, uint64_t push_id,
                                   const net::SharedBytes& frame) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  std::vector<uint64_t> connections;
  connections.reserve(user_ids.size());
  for (uint64_t user_id : user_ids) {
    Session* s = find_in_loop(user_id);
    if (s == nullptr) continue;
    s->pushes.record(push_id, frame);
    if (s->attached()) connections.push_back(s->connection_id);
  }
  if (!connections.empty()) outbox_.send_many(connections, frame);
}

Session* SessionRegistry::find_in_loop(uint64_t user_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = sessions_.find(user_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

Session* SessionRegistry::find_by_name_in_loop(std::string_view username) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = by_name_.find(fold_username(username));
  return it == by_name_.end() ? nullptr : find_in_loop(it->second);
}

void SessionRegistry::end_in_loop(uint64_t user_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  auto it = sessions_.find(user_id);
  if (it == sessions_.end()) return;
  if (on_end_) on_end_(*it->second);
  if (fleet_ != nullptr) fleet_->ended_in_loop(user_id, it->second->session_id);
  if (!it->second->username.empty()) by_name_.erase(fold_username(it->second->username));
  sessions_.erase(it);
  mark_changed_in_loop(user_id);
}

// ---- the fleet ----

void SessionRegistry::set_fleet_in_loop(FleetSessionSink& sink) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  fleet_ = &sink;
  for (const auto& [user_id, s] : sessions_) {
    fleet_->started_in_loop(user_id, s->session_id, s->username, false);
  }
}

void SessionRegistry::evict_in_loop(uint64_t user_id, uint64_t session_id, bool resumed_elsewhere) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  Session* s = find_in_loop(user_id);
  if (s == nullptr || s->session_id != session_id) return;
  if (s->attached()) {
    kick(outbox_, s->connection_id,
         resumed_elsewhere ? "logged in elsewhere: the session was resumed on another node"
                           : "logged in elsewhere: a newer login took over this session");
    s->connection_id = 0;
    --attached_;
  }
  s->moved = resumed_elsewhere;
  // Detached: dropped silently, as its grace period ending would.
  end_in_loop(user_id);
}

SessionRegistry::Login SessionRegistry::adopt_in_loop(uint64_t user_id, std::string username,
                                                      uint64_t session_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (Session* old = find_in_loop(user_id)) {
    // An older session of the user here (the record named another): it ends
    // as a replaced session does.
    if (old->attached()) {
      if (old->connection_id != connection_id) kick(outbox_, old->connection_id);
      old->connection_id = 0;
      --attached_;
    }
    end_in_loop(user_id);
  }
  auto& slot = sessions_[user_id];
  slot = std::make_unique<Session>(config_.push_buffer_frames, config_.push_buffer_bytes);
  Session& s = *slot;
  s.user_id = user_id;
  s.username = std::move(username);
  s.session_id = session_id;
  s.connection_id = connection_id;
  if (!s.username.empty()) by_name_[fold_username(s.username)] = user_id;
  ++attached_;
  mark_changed_in_loop(user_id);
  Login out{&s, {}, 0};
  out.token = issue_token(s, out.token_expires_unix_ms);
  if (on_start_) on_start_(s);
  return out;
}

// ---- crash recovery ----

void SessionRegistry::set_recovery(store::RecoveryLog& log, std::chrono::milliseconds flush,
                                   ChannelsOf channels_of) {
  recovery_ = &log;
  recovery_flush_ = flush;
  channels_of_ = std::move(channels_of);
  loop_.post([this] { schedule_recovery_flush_in_loop(); });
}

void SessionRegistry::mark_changed_in_loop(uint64_t user_id) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (recovery_ != nullptr) changed_.push_back(user_id);
}

void SessionRegistry::restore_in_loop(const std::vector<store::SessionRecord>& sessions,
                                      uint64_t push_id_floor, uint64_t session_id_floor) {
  CITADEL_ASSERT_IN_LOOP(loop_);
  last_push_id_ = std::max(last_push_id_, push_id_floor);
  next_session_id_ = std::max(next_session_id_, session_id_floor);
  const auto now = Clock::now();
  for (const auto& record : sessions) {
    auto& slot = sessions_[record.user_id];
    if (slot) continue;  // a duplicate row: the first wins
    slot = std::make_unique<Session>(config_.push_buffer_frames, config_.push_buffer_bytes);
    slot->user_id = record.user_id;
    slot->username = record.username;
    slot->session_id = record.session_id;
    slot->detached_at = now;  // the grace period starts again
    slot->restored = true;
    if (!slot->username.empty()) by_name_[fold_username(slot->username)] = record.user_id;
    if (on_start_) on_start_(*slot);
    if (fleet_ != nullptr)
      fleet_->started_in_loop(record.user_id, record.session_id, record.username, false);
  }
  if (recovery_ != nullptr) flush_recovery_in_loop();  // the raised floors, at once
}

void SessionRegistry::schedule_recovery_flush_in_loop() {
  loop_.run_at_in_loop(Clock::now() + recovery_flush_, [this] {
    flush_recovery_in_loop();
    schedule_recovery_flush_in_loop();
  });
}

void SessionRegistry::flush_recovery_in_loop() {
  CITADEL_ASSERT_IN_LOOP(loop_);
  if (recovery_ == nullptr) return;
  push_id_floor_.keep_above(last_push_id_, *recovery_);
  session_id_floor_.keep_above(next_session_id_, *recovery_);
  const int64_t now_ms = unix_ms_now();
  if (now_ms - alive_written_ms_ >= 1000) {
    alive_written_ms_ = now_ms;
    recovery_->raise_floor(store::kAliveUnixMs, static_cast<uint64_t>(now_ms));
  }
  if (changed_.empty()) return;
  std::sort(changed_.begin(), changed_.end());
  changed_.erase(std::unique(changed_.begin(), changed_.end()), changed_.end());
  std::vector<store::SessionRecord> put;
  std::vector<uint64_t> erased;
  for (uint64_t user_id : changed_) {
    const Session* s = find_in_loop(user_id);
    if (s == nullptr) {
      erased.push_back(user_id);
      continue;
    }
    put.push_back(
        store::SessionRecord{s->user_id, s->username, s->session_id,
                             channels_of_ ? channels_of_(user_id) : std::vector<std::string>{}});
  }
  changed_.clear();
  recovery_->write_sessions(std::move(put), std::move(erased));
}

// Ends sessions whose grace period has passed, once a second.
void SessionRegistry::schedule_expiry_sweep_in_loop() {
  loop_.run_at_in_loop(Clock::now() + std::chrono::seconds(1), [this] {
    const auto now = Clock::now();
    std::vector<uint64_t> expired;
    for (const auto& [user_id, s] : sessions_) {
      if (!s->attached() && now - s->detached_at >= config_.grace) expired.push_back(user_id);
    }
    for (uint64_t user_id : expired) end_in_loop(user_id);
    schedule_expiry_sweep_in_loop();
  });
}

}  // namespace citadel::services
