// Who is logged in, and on which connection. Lives on the service loop: every
// method below runs there (connection loops post to it), so there is no lock.
//
// A session outlives its connection by the grace period: a client that
// reconnects in time with its token (Resume) gets the same session back, and
// the pushes it missed. A second login to the same user takes the session
// over: the old connection gets ERROR 11 (logged in elsewhere) and is closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "server/outbox.h"
#include "services/auth/token_signer.h"
#include "services/session/fleet_session_sink.h"
#include "services/session/push_buffer.h"
#include "store/recovery/recovery_log.h"

namespace citadel::services {

struct SessionConfig {
  std::chrono::milliseconds grace{60'000};
  std::chrono::milliseconds token_ttl{24 * 3600 * 1000};
  uint32_t push_buffer_frames = 256;
  uint64_t push_buffer_bytes = 256 * 1024;
};

struct Session {
  uint64_t user_id = 0;
  std::string username;
  uint64_t session_id = 0;     // changes on every fresh login (not on resume)
  uint64_t connection_id = 0;  // 0 while detached, waiting for a resume
  std::chrono::steady_clock::time_point detached_at{};
  PushBuffer pushes;
  // Brought back from the recovery log after a restart: the pushes it had
  // are gone, so its first resume is told to resync.
  bool restored = false;
  // Ended here because another node of the fleet resumed it: the player
  // lives on there (its room seat included), so its end must not end the
  // seat a game node holds for it.
  bool moved = false;

  Session(uint32_t frames, uint64_t bytes) : pushes(frames, bytes) {}
  bool attached() const { return connection_id != 0; }
};

class SessionRegistry {
 public:
  using Clock = net::EventLoop::Clock;  // the loops' clock: a test may fake it
  using SessionHook = std::function<void(const Session&)>;

  SessionRegistry(net::EventLoop& service_loop, server::Outbox& outbox, const TokenSigner& signer,
                  const SessionConfig& config);
  ~SessionRegistry();

  struct Login {
    Session* session = nullptr;
    std::string token;
    int64_t token_expires_unix_ms = 0;
  };
  // A fresh login of user_id on connection_id. An existing session for the
  // user is taken over (its connection, if any, is told and closed).
  Login login_in_loop(uint64_t user_id, std::string username, uint64_t connection_id);

  enum class ResumeResult : uint8_t { kResumed, kNoSession, kSessionReplaced };
  // Re-attaches the session named by the token's claims to connection_id.
  // `missed` receives the pushes after last_push_id; `complete` is false if
  // some were evicted (the client must resync).
  ResumeResult resume_in_loop(const TokenClaims& claims, uint64_t connection_id,
                              uint64_t last_push_id, std::vector<net::SharedBytes>& missed,
                              bool& complete, Login& renewed);

  // The login or resume reply has been queued on connection_id: an existing
  // session that moved there is announced (on_attach) now, so whatever the
  // hook sends arrives after the reply.
  void announce_attached_in_loop(uint64_t user_id, uint64_t connection_id);

  // An explicit logout from connection_id: the session ends now.
  void logout_in_loop(uint64_t user_id, uint64_t connection_id);

  // The connection closed: the session waits `grace` for a resume.
  void detach_in_loop(uint64_t user_id, uint64_t connection_id);

  // Sends one encoded push to users: recorded in each session's buffer and
  // queued to the connections of those attached (one task per loop).
  void push_in_loop(const std::vector<uint64_t>& user_ids, uint64_t push_id,
                    const net::SharedBytes& frame);
  uint64_t next_push_id_in_loop() {
    CITADEL_ASSERT_IN_LOOP(loop_);
    return ++last_push_id_;
  }

  // ---- the fleet (docs/fleet.md "Sessions across the fleet") ----
  // Service loop, once: from now on sessions are announced to `sink` (those
  // already here at once, as not fresh) and session ids are random 63-bit
  // numbers, so a token names one session fleet-wide, not "the 5th login
  // on some node".
  void set_fleet_in_loop(FleetSessionSink& sink);
  FleetSessionSink* fleet() const { return fleet_; }
  // The sink is going away (the node stops): the registry stands alone.
  void clear_fleet_in_loop() {
    CITADEL_ASSERT_IN_LOOP(loop_);
    fleet_ = nullptr;
  }
  // Another node holds the user now: ends session_id here if it is still
  // the user's session (its connection, if any, gets ERROR 11 and closes).
  void evict_in_loop(uint64_t user_id, uint64_t session_id, bool resumed_elsewhere);
  // A Resume of a session another node held (the fleet said kAdopt): starts
  // it here on connection_id, ending whatever session of the user was here.
  // Its pushes stayed on the other node: the client must resync.
  Login adopt_in_loop(uint64_t user_id, std::string username, uint64_t session_id,
                      uint64_t connection_id);

  net::EventLoop& service_loop() { return loop_; }
  std::chrono::milliseconds grace() const { return config_.grace; }

  Session* find_in_loop(uint64_t user_id);
  Session* find_by_name_in_loop(std::string_view username);
  // Users with a connection now (sessions waiting in their grace period excluded).
  std::size_t online_in_loop() const {
    CITADEL_ASSERT_IN_LOOP(loop_);
    return attached_;
  }

  // Called when a session starts (fresh login) and ends (grace passed or
  // taken over by nothing): the chat service uses them for presence.
  // on_attach: an existing session moved to a new connection (resume, or a
  // new login taking it over); rooms put the player back in their room.
  void set_hooks(SessionHook on_start, SessionHook on_end, SessionHook on_attach = nullptr) {
    on_start_ = std::move(on_start);
    on_end_ = std::move(on_end);
    on_attach_ = std::move(on_attach);
  }

  // Crash recovery (start-up, before the loop runs): sessions that start,
  // end or change (`mark_changed_in_loop`) are written to `log` once per
  // `flush`, with their chat channels from `channels_of`.
  using ChannelsOf = std::function<std::vector<std::string>(uint64_t user_id)>;
  void set_recovery(store::RecoveryLog& log, std::chrono::milliseconds flush,
                    ChannelsOf channels_of);
  // Hands the changes marked so far to the log now (also every `flush`).
  void flush_recovery_in_loop();
  // The session's recorded state changed (e.g. it joined a channel).
  void mark_changed_in_loop(uint64_t user_id);
  // Start-up: the sessions of the previous run, each detached and waiting
  // `grace` (from now) for its Resume; on_start runs for each. Ids issued
  // from now on stay above the floors.
  void restore_in_loop(const std::vector<store::SessionRecord>& sessions, uint64_t push_id_floor,
                       uint64_t session_id_floor);

 private:
  void schedule_expiry_sweep_in_loop();
  std::string issue_token(const Session& s, int64_t& expires_unix_ms) const;
  void end_in_loop(uint64_t user_id);
  void schedule_recovery_flush_in_loop();
  uint64_t new_session_id_in_loop();

  net::EventLoop& loop_;
  server::Outbox& outbox_;
  const TokenSigner& signer_;
  const SessionConfig config_;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::unordered_map<std::string, uint64_t> by_name_;  // lower-cased username -> user id
  std::size_t attached_ = 0;
  uint64_t last_push_id_ = 0;
  uint64_t next_session_id_ = 0;
  SessionHook on_start_, on_end_, on_attach_;
  FleetSessionSink* fleet_ = nullptr;

  // Crash recovery (service loop).
  store::RecoveryLog* recovery_ = nullptr;
  std::chrono::milliseconds recovery_flush_{100};
  ChannelsOf channels_of_;
  std::vector<uint64_t> changed_;  // users to write at the next flush (may repeat)
  // No node issues 2^31 push or session ids in one flush interval.
  store::IdFloor push_id_floor_{store::kPushIdFloor, uint64_t{1} << 32};
  store::IdFloor session_id_floor_{store::kSessionIdFloor, uint64_t{1} << 32};
  int64_t alive_written_ms_ = 0;
};

// Lower-cases ASCII letters: usernames compare case-insensitively.
std::string fold_username(std::string_view name);
int64_t unix_ms_now();

}  // namespace citadel::services
