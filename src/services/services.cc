#include "services/services.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>

#include "rooms/games/arena_room.h"
#include "rooms/games/lockstep_room.h"
#include "store/store_factory.h"

namespace citadel::services {

Services::Services(server::Server& server, const ServicesConfig& config)
    : store_(store::open_store(config.store)),
      hasher_(config.hasher),
      secret_(load_or_create_secret(config.token_secret_file)),
      signer_(secret_),
      sessions_(server.service_loop(), server.outbox(), signer_, config.session),
      auth_(server.service_loop(), server.outbox(), *store_, hasher_, sessions_, signer_,
            config.auth),
      chat_(server.service_loop(), server.outbox(), sessions_, *store_, config.chat),
      leaderboards_(server.service_loop(), server.outbox(), sessions_, *store_,
                    leaderboard_cursor_key(config.token_secret_file), config.leaderboards),
      storage_(server.service_loop(), server.outbox(), *store_, secret_, config.storage),
      rooms_(server, config.rooms, [this](uint64_t user_id) {
        if (const Session* s = sessions_.find_in_loop(user_id)) return s->username;
        return remote_usernames_ ? remote_usernames_(user_id) : std::string();
      }) {
  rooms_.add_type(rooms::arena_room_type(config.arena, config.arena_transfer_east));
  rooms_.add_type(rooms::lockstep_room_type(config.lockstep));
  for (const auto& type : config.extra_room_types) rooms_.add_type(type);
  rooms_.set_score_sink(leaderboards_);
  rooms_.set_object_store(*store_);
  auth_.register_handlers(server.router());
  chat_.register_handlers(server.router());
  leaderboards_.register_handlers(server.router());
  storage_.register_handlers(server.router());
  if (config.rooms_here) rooms_.register_handlers(server.router());
  sessions_.set_hooks(
      [this](const Session& s) {
        chat_.on_session_start_in_loop(s);
        if (player_hooks_.session_started) player_hooks_.session_started(s.user_id, s.username);
      },
      [this](const Session& s) {
        chat_.on_session_end_in_loop(s);
        leaderboards_.on_session_end_in_loop(s);
        rooms_.on_session_ended_in_loop(s.user_id);
        if (player_hooks_.session_ended) player_hooks_.session_ended(s.user_id);
      },
      [this](const Session& s) {
        rooms_.on_session_attached_in_loop(s.user_id, s.connection_id);
        if (player_hooks_.session_attached)
          player_hooks_.session_attached(s.user_id, s.connection_id);
      });
  if (config.recovery.enabled) start_recovery(server, config.recovery);
  server.set_connection_closed_hook([this](uint64_t connection_id, uint64_t user_id) {
    // The room route goes whatever the connection's user id says: a
    // connection taken over by a newer login has lost its user id already.
    rooms_.on_connection_closed(connection_id);
    if (player_hooks_.connection_closed) player_hooks_.connection_closed(connection_id, user_id);
    if (user_id == 0) return;
    auth_.on_user_disconnected(connection_id, user_id);
    rooms_.on_user_disconnected(connection_id, user_id);
  });
}

void Services::start_recovery(server::Server& server, const RecoveryConfig& config) {
  store::RecoveredState state;
  try {
    recovery_ = std::make_unique<store::RecoveryStore>(config.path);
    state = recovery_->load();
  } catch (const store::RecoveryFileBusy&) {
    throw;  // another server runs on this file: refuse to start, touch nothing
  } catch (const std::exception& e) {
    // The file only speeds players back: a damaged one (a machine crash,
    // a stray write) costs those sessions, never the start.
    recovery_.reset();
    const std::string aside = config.path + ".damaged";
    std::error_code ec;
    std::filesystem::rename(config.path, aside, ec);
    for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(config.path + suffix, ec);
    spdlog::error("recovery: {} cannot be read ({}); moved to {}, starting without it", config.path,
                  e.what(), aside);
    recovery_ = std::make_unique<store::RecoveryStore>(config.path);  // throws if it cannot be made
  }
  // Sessions wait `grace` for a resume; after a longer stop they are gone.
  // The previous run wrote at least once a second while it was up.
  const int64_t down_ms = unix_ms_now() - state.last_commit_unix_ms;
  if (state.last_commit_unix_ms != 0 && down_ms > sessions_.grace().count()) {
    spdlog::info("recovery: {} is {} s old, past the session grace period: starting afresh",
                 config.path, down_ms / 1000);
    recovery_->clear_sessions_and_rooms();
    state.sessions.clear();
    state.rooms.clear();
  }
  recovery_->start();
  sessions_.set_recovery(*recovery_, config.session_flush,
                         [this](uint64_t user_id) { return chat_.channels_of_in_loop(user_id); });
  rooms_.set_recovery(*recovery_, config.snapshot_every_ticks);
  // A planned stop hands over the session changes of the last interval too.
  server.set_before_stop_hook([this] {
    auto flushed = std::make_shared<std::promise<void>>();
    sessions_.service_loop().post([this, flushed] {
      sessions_.flush_recovery_in_loop();
      flushed->set_value();
    });
    flushed->get_future().wait_for(std::chrono::seconds(2));
  });
  // The first task of the service loop: before any connection exists.
  sessions_.service_loop().post(
      [this, state = std::move(state)]() mutable { restore_in_loop(std::move(state)); });
}

void Services::restore_in_loop(store::RecoveredState state) {
  const auto floor = [&](std::string_view name) {
    auto it = state.floors.find(name);
    return it == state.floors.end() ? uint64_t{0} : it->second;
  };
  sessions_.restore_in_loop(state.sessions, floor(store::kPushIdFloor),
                            floor(store::kSessionIdFloor));
  for (const auto& s : state.sessions) chat_.restore_channels_in_loop(s.user_id, s.channels);
  const std::size_t rooms = rooms_.restore_in_loop(
      std::move(state.rooms),
      [this](uint64_t user_id) { return sessions_.find_in_loop(user_id) != nullptr; },
      floor(store::kRoomIdFloor));
  sessions_restored_.store(state.sessions.size(), std::memory_order_relaxed);
  rooms_restored_.store(rooms, std::memory_order_relaxed);
  if (!state.sessions.empty() || rooms != 0) {
    spdlog::info(
        "recovery: {} sessions and {} rooms back from {}; each waits for its players' "
        "resume",
        state.sessions.size(), rooms, recovery_->path());
  }
}

Services::~Services() {
  shutdown();
}

void Services::shutdown() {
  // A hash in progress may still hand its result to the store: hashers first.
  const std::size_t dropped = hasher_.shutdown();
  if (dropped != 0) spdlog::info("shutdown: {} queued password hashes dropped", dropped);
  store_->shutdown();
  rooms_.stop();
  // Last: the rooms and the registry no longer write. What is waiting is
  // committed, so a planned restart brings the players back too.
  if (recovery_) recovery_->shutdown();
}

}  // namespace citadel::services
