// Everything above the network core, wired into one Server: the account
// store, password hashing, session tokens, the session registry, and the
// auth, chat and storage services, and the rooms. Construct after the Server and
// before server.start(); destroy after server.stop() (the services' timers
// run on the server's service loop).
//
// Shutdown order: the hashers' and the store's threads run callbacks that
// refer to the auth and chat services, so those threads are stopped and
// joined (shutdown()) before any service is destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "rooms/room_service.h"
#include "rooms/room_type.h"
#include "server/server.h"
#include "services/auth/auth_service.h"
#include "services/auth/password_hasher.h"
#include "services/auth/token_signer.h"
#include "services/chat/chat_service.h"
#include "services/leaderboard/leaderboard_service.h"
#include "services/session/session_registry.h"
#include "services/storage/storage_service.h"
#include "store/recovery/recovery_store.h"
#include "store/store.h"
#include "store/store_config.h"

namespace citadel::services {

// Crash recovery (docs/operations.md "Crash recovery"): sessions and room
// snapshots in a node-local file, brought back at the next start.
struct RecoveryConfig {
  bool enabled = false;
  std::string path = "citadel-recovery.db";
  uint32_t snapshot_every_ticks = 20;  // 0: rooms are not saved
  std::chrono::milliseconds session_flush{100};
};

struct ServicesConfig {
  store::StoreConfig store;                          // the backend and its settings
  std::string token_secret_file = "citadel.secret";  // created (0600) if absent
  SessionConfig session;
  AuthConfig auth;
  PasswordHasherConfig hasher;
  ChatConfig chat;
  LeaderboardConfig leaderboards;
  StorageConfig storage;
  rooms::RoomsConfig rooms;
  RecoveryConfig recovery;
  rooms::RoomTypeOptions arena{};                 // the arena demo's room type
  bool arena_transfer_east = false;               // its transfer demo (rooms.arena_transfer_east)
  rooms::RoomTypeOptions lockstep{30, 8};         // the lockstep room type
  std::vector<rooms::RoomType> extra_room_types;  // a game's own room types
  // False on a fleet's gateway: room commands are forwarded to game nodes
  // (fleet/gateway), so the rooms' handlers are not registered here.
  bool rooms_here = true;
};

// What a fleet's gateway tells its game nodes about players (fleet/gateway):
// each runs where the matching service hook runs.
struct PlayerHooks {
  // Service loop: a fresh login started a session (its name, for the rooms).
  std::function<void(uint64_t user_id, const std::string& username)> session_started;
  // A connection's loop: the connection closed (user 0 if it had none).
  std::function<void(uint64_t connection_id, uint64_t user_id)> connection_closed;
  // Service loop: the user's session is on a new connection (a resume).
  std::function<void(uint64_t user_id, uint64_t connection_id)> session_attached;
  // Service loop: the user's session ended (logout, grace over, taken over).
  std::function<void(uint64_t user_id)> session_ended;
};

class Services {
 public:
  // Opens the store (the configured backend) and the token secret (throws
  // std::runtime_error naming the file or the database if either cannot be
  // opened), registers handlers and hooks.
  Services(server::Server& server, const ServicesConfig& config);
  ~Services();  // shutdown(), then the services, then the store

  // After server.stop(): drops queued password hashes and joins the hashers
  // (a hash in progress finishes), completes the store's queued requests
  // (acknowledged writes reach the disk) and joins its writer, and stops the
  // rooms' logic threads. Callbacks that run meanwhile post to the stopped
  // loops, where they are discarded. Idempotent.
  void shutdown();

  SessionRegistry& sessions() { return sessions_; }
  // Before server.start(). A gateway's link to its game nodes.
  void set_player_hooks(PlayerHooks hooks) { player_hooks_ = std::move(hooks); }
  // Before server.start(). Where rooms learn the name of a user whose
  // session is not in this process (a game node's players, who logged in
  // at a gateway); called on the service loop.
  void set_remote_usernames(std::function<std::string(uint64_t user_id)> f) {
    remote_usernames_ = std::move(f);
  }
  ChatService& chat() { return chat_; }
  rooms::RoomService& rooms() { return rooms_; }
  LeaderboardService& leaderboards() { return leaderboards_; }
  // Tests and the app fuzz target wait on these until the work handed to
  // their threads has come back to the service loop.
  store::Store& store() { return *store_; }
  PasswordHasher& hasher() { return hasher_; }
  // Null when recovery is off.
  const store::RecoveryStore* recovery() const { return recovery_.get(); }
  // What the start brought back (service loop writes once; any thread reads).
  uint64_t sessions_restored() const { return sessions_restored_.load(std::memory_order_relaxed); }
  uint64_t rooms_restored() const { return rooms_restored_.load(std::memory_order_relaxed); }

 private:
  // Declared (so built) first and destroyed last; shutdown() stops the
  // threads of the first two before any member below them is destroyed.
  std::unique_ptr<store::Store> store_;
  // Outlives the rooms and the session registry, which write to it.
  std::unique_ptr<store::RecoveryStore> recovery_;
  std::atomic<uint64_t> sessions_restored_{0}, rooms_restored_{0};
  PasswordHasher hasher_;
  const TokenSigner::Secret secret_;  // signs tokens and storage cursors
  TokenSigner signer_;
  SessionRegistry sessions_;
  AuthService auth_;
  ChatService chat_;
  LeaderboardService leaderboards_;
  StorageService storage_;
  rooms::RoomService rooms_;
  PlayerHooks player_hooks_;
  std::function<std::string(uint64_t)> remote_usernames_;

  void start_recovery(server::Server& server, const RecoveryConfig& config);
  void restore_in_loop(store::RecoveredState state);
};

}  // namespace citadel::services
