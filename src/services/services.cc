#include "services/services.h"

#include <spdlog/spdlog.h>

#include "rooms/games/arena_room.h"
#include "rooms/games/lockstep_room.h"
#include "store/store_factory.h"

namespace citadel::services {

Services::Services(server::Server& server, const ServicesConfig& config)
    : store_(store::open_store(config.store)),
      hasher_(config.hasher),
      secret_(load_or_create_secret(config.token_secret_file)),
      signer_(secret_),
      sessions_(server.service_loop(), server, signer_, config.session),
      auth_(server.service_loop(), server, *store_, hasher_, sessions_, signer_, config.auth),
      chat_(server.service_loop(), server, sessions_, *store_, config.chat),
      leaderboards_(server.service_loop(), server, sessions_, *store_,
                    leaderboard_cursor_key(config.token_secret_file), config.leaderboards),
      storage_(server.service_loop(), server, *store_, secret_, config.storage),
      rooms_(server, config.rooms, [this](uint64_t user_id) {
        const Session* s = sessions_.find_in_loop(user_id);
        return s ? s->username : std::string();
      }) {
  rooms_.add_type(rooms::arena_room_type(config.arena));
  rooms_.add_type(rooms::lockstep_room_type(config.lockstep));
  for (const auto& type : config.extra_room_types) rooms_.add_type(type);
  rooms_.set_score_sink(leaderboards_);
  rooms_.set_object_store(*store_);
  auth_.register_handlers(server.router());
  chat_.register_handlers(server.router());
  leaderboards_.register_handlers(server.router());
  storage_.register_handlers(server.router());
  rooms_.register_handlers(server.router());
  sessions_.set_hooks(
      [this](const Session& s) { chat_.on_session_start_in_loop(s); },
      [this](const Session& s) {
        chat_.on_session_end_in_loop(s);
        leaderboards_.on_session_end_in_loop(s);
        rooms_.on_session_ended_in_loop(s.user_id);
      },
      [this](const Session& s) { rooms_.on_session_attached_in_loop(s.user_id, s.connection_id); });
  server.set_connection_closed_hook([this](uint64_t connection_id, uint64_t user_id) {
    // The room route goes whatever the connection's user id says: a
    // connection taken over by a newer login has lost its user id already.
    rooms_.on_connection_closed(connection_id);
    if (user_id == 0) return;
    auth_.on_user_disconnected(connection_id, user_id);
    rooms_.on_user_disconnected(connection_id, user_id);
  });
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
}

}  // namespace citadel::services
