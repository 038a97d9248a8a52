#include "services/services.h"

namespace citadel::services {

Services::Services(server::Server& server, const ServicesConfig& config)
    : store_(std::make_unique<store::SqliteStore>(config.store)),
      hasher_(config.hasher),
      signer_(load_or_create_secret(config.token_secret_file)),
      sessions_(server.service_loop(), server, signer_, config.session),
      auth_(server.service_loop(), server, *store_, hasher_, sessions_, signer_, config.auth),
      chat_(server.service_loop(), server, sessions_, *store_, config.chat) {
  auth_.register_handlers(server.router());
  chat_.register_handlers(server.router());
  sessions_.set_hooks([this](const Session& s) { chat_.on_session_start_in_loop(s); },
                      [this](const Session& s) { chat_.on_session_end_in_loop(s); });
  server.set_user_disconnected_hook([this](uint64_t connection_id, uint64_t user_id) {
    auth_.on_user_disconnected(connection_id, user_id);
  });
}

Services::~Services() = default;

}  // namespace citadel::services
