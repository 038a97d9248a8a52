// The composition root: one Citadel node, built in one place. It makes the
// server, registers the built-in handlers, opens the store and the services
// (auth, chat, rooms), starts the admin HTTP server, and owns the order in
// which all of that stops. It also owns the config reload, which hands each
// live key to the part that owns it. main() keeps the command line, the
// signals and the exit code.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "app/config_reloader.h"
#include "app/fleet_role.h"
#include "ops/admin/admin_sources.h"
#include "ops/config.h"
#include "rooms/plugins/plugin_registry.h"

namespace citadel::server {
class Server;
}
namespace citadel::services {
class Services;
}
namespace citadel::ops::admin {
class AdminServer;
}
namespace citadel::store::wb {
class ConflictAdmin;
}

namespace citadel::ops {
class ServiceManager;
}
namespace citadel::fleet {
class Membership;
class GameLinks;
class GatewayLinks;
}  // namespace citadel::fleet
namespace citadel::fleet::chat {
class FleetChatLink;
}

namespace citadel::app {

class FleetSessionLink;
class FleetDrain;

class Node {
 public:
  struct Options {
    ops::Config config;       // validated
    std::string config_file;  // "" when running on defaults
    // The environment's config variables and the command line's flags,
    // applied again over every reloaded file.
    std::function<void(ops::Config&)> apply_overrides;
    // Told RELOADING/READY around every reload (systemctl reload waits for
    // the READY); null: nobody to tell. Outlives the node.
    const ops::ServiceManager* service_manager = nullptr;
    // POST /fleet/drain started a drain (admin thread): whoever runs the
    // node's life (main) stops it once drained, as after SIGTERM. Null:
    // nobody (the drain still runs; the node keeps running after it).
    std::function<void()> drain_requested;
  };

  // Builds the server and the services (opens the store, the token secret).
  // Throws std::exception saying what could not be opened.
  explicit Node(Options options);
  ~Node();  // stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts the loops and the admin server. Throws if the game port cannot
  // be bound; a failed admin bind is logged, not fatal.
  void start(ops::admin::AdminSources admin_sources);
  uint16_t port() const;
  // The STATUS= sent with READY=1 ("serving on port 7777, config version 1").
  std::string ready_status() const;
  server::Server& server() { return *server_; }

  // SIGHUP: the config file (live keys applied, the rest logged), then the
  // TLS certificate and the web files. Control thread; changes nothing that
  // fails to load.
  void reload_on_signal();
  // reload.watch_file: the file changed (control thread).
  void reload_on_file_change();
  ConfigReloader& reloader() { return *reloader_; }

  // Draining (docs/fleet.md "Draining"; a gateway or a game node only).
  // Starts it (once; any thread): false if this node does not drain (role
  // `all`, or no fleet) or already is. drained(): its clients have gone
  // (a gateway) or its rooms finished (a game node). Then, or once
  // drain_timeout() passed (drain_deadline_passed() says so), the node
  // stops as on SIGTERM.
  bool begin_drain(std::string_view why);
  bool draining() const;
  bool drained() const;
  std::chrono::milliseconds drain_timeout() const;
  void drain_deadline_passed();

  // After the drain: stops the admin server, then the loops, then the
  // services' threads (store writes complete). Idempotent.
  void stop();

 private:
  void apply_live(const ops::Config& config);
  // A reload bracketed by RELOADING=1 and READY=1 for the service manager.
  ConfigReloader::Outcome notified_reload(std::string_view trigger);

  // Every 1 s on the service loop: the plugins' automatic rollback.
  void check_plugin_rollbacks_in_loop();
  // fleet.etcd set: registers in the fleet (control thread, after the game
  // port is bound). Throws when the node id is held by a live node.
  void start_fleet(ops::admin::AdminSources& admin_sources);
  // Sessions across the fleet (docs/fleet.md): the registry's records in
  // etcd, after the membership started; stopped before it (control thread).
  void start_fleet_sessions();
  void stop_fleet_sessions();

  const ops::Config config_;                    // as started
  const ops::ServiceManager* service_manager_;  // may be null
  // Before server_ and services_: rooms hold their plugin code, not the
  // registry, but the rollback timer on the service loop reaches it.
  std::unique_ptr<rooms::PluginRegistry> plugins_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<services::Services> services_;  // after server_: its timers run on the loops
  std::unique_ptr<ConfigReloader> reloader_;
  // With write-behind: the admin port's /store/conflicts (before admin_,
  // whose endpoints call it).
  std::unique_ptr<store::wb::ConflictAdmin> conflicts_;
  std::unique_ptr<ops::admin::AdminServer> admin_;
  // fleet.etcd set: this node's membership (its completions run on the
  // service loop). Stopped first: the record goes before the node does.
  std::unique_ptr<fleet::Membership> membership_;
  // fleet.role gateway or game: the node links (after services_, whose
  // rooms and sessions they hook into; stopped before the server).
  std::unique_ptr<FleetRole> fleet_role_;
  // A gateway or game node: its drain (after server_; attached to the
  // membership when the fleet starts).
  std::unique_ptr<FleetDrain> drain_;
  std::function<void()> drain_requested_;
  std::string node_id_;  // fleet.node_id, or generated at start
  // fleet.etcd and redis.url set: chat across the fleet (app/fleet_chat.h).
  // Built and used on the service loop; reset once the loops stopped.
  std::unique_ptr<fleet::chat::FleetChatLink> fleet_chat_;
  // fleet.etcd set: the session registry's records in etcd (service loop:
  // made, used and destroyed there).
  std::unique_ptr<FleetSessionLink> fleet_sessions_;
  uint64_t crash_reports_found_ = 0;  // in crash.directory at start
  bool stopped_ = false;
};

}  // namespace citadel::app
