// What a node's fleet.role adds on top of the single process (docs/fleet.md
// "Gateways and game nodes"): a gateway forwards room commands to game
// nodes over node links (fleet::GatewayLinks) and tells them of its
// players' sessions; a game node takes gateways' links (fleet::GameLinks)
// and serves their players in its rooms as if their sockets were its own.
// The composition root's part of it: which hook goes where.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "fleet/membership/fleet_view.h"
#include "ops/config.h"

namespace citadel::server {
class Server;
}
namespace citadel::services {
class Services;
}
namespace citadel::ops::admin {
class MetricsWriter;
}
namespace citadel::fleet {
class GameLinks;
class GatewayLinks;
}  // namespace citadel::fleet

namespace citadel::app {

// Whether a config makes this process a gateway or a game node (both need
// fleet.etcd; the config check refuses them without it).
bool is_gateway(const ops::Config& config);
bool is_game_node(const ops::Config& config);

class FleetRole {
 public:
  // Before the server starts: a gateway's room handlers and player hooks,
  // a game node's hooks into the rooms.
  FleetRole(const ops::Config& config, std::string node_id, server::Server& server,
            services::Services& services);
  ~FleetRole();
  FleetRole(const FleetRole&) = delete;
  FleetRole& operator=(const FleetRole&) = delete;

  // After the server started, before the membership: a game node starts
  // taking links. The link port (0: this role has none). Throws if the
  // port cannot be bound.
  uint16_t start();
  // The fleet's table changed (the service loop): a gateway dials the
  // game nodes in it.
  void on_table(const fleet::FleetTable& table);
  // Before the server stops: every link closes.
  void stop();
  void write_metrics(ops::admin::MetricsWriter& out) const;

 private:
  std::unique_ptr<fleet::GatewayLinks> gateway_;
  std::unique_ptr<fleet::GameLinks> game_;
};

}  // namespace citadel::app
