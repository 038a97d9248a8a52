#include "app/fleet_role.h"

#include <spdlog/spdlog.h>

#include "fleet/game/game_links.h"
#include "fleet/gateway/gateway_links.h"
#include "ops/admin/metrics_writer.h"
#include "server/server.h"
#include "services/services.h"

namespace citadel::app {

bool is_gateway(const ops::Config& config) {
  return !config.fleet.etcd.empty() && config.fleet.role == "gateway";
}

bool is_game_node(const ops::Config& config) {
  return !config.fleet.etcd.empty() && config.fleet.role == "game";
}

FleetRole::FleetRole(const ops::Config& config, std::string node_id, server::Server& server,
                     services::Services& services) {
  rooms::RoomService& rooms = services.rooms();
  if (is_gateway(config)) {
    fleet::GatewayLinks::Options o;
    o.cluster = config.fleet.cluster;
    o.node_id = node_id;
    gateway_ = std::make_unique<fleet::GatewayLinks>(server.outbox(), server.io_loops(), o);
    gateway_->register_handlers(server.router(), rooms.input_cmds());
    services::PlayerHooks hooks;
    auto* g = gateway_.get();
    hooks.session_started = [g](uint64_t user, const std::string& name) {
      g->session_started(user, name);
    };
    hooks.connection_closed = [g](uint64_t id, uint64_t user) { g->connection_closed(id, user); };
    hooks.session_attached = [g](uint64_t user, uint64_t id) { g->session_attached(user, id); };
    hooks.session_ended = [g](uint64_t user) { g->session_ended(user); };
    services.set_player_hooks(std::move(hooks));
  } else if (is_game_node(config)) {
    fleet::GameLinks::Options o;
    o.cluster = config.fleet.cluster;
    o.node_id = node_id;
    o.host = config.server.host;
    o.port = config.fleet.link_port;
    fleet::GameLinks::Hooks hooks;
    // As the server's own connection-closed hook does for a socket.
    hooks.player_closed = [&rooms](uint64_t id, uint64_t user) {
      rooms.on_connection_closed(id);
      if (user != 0) rooms.on_user_disconnected(id, user);
    };
    hooks.session_attached = [&rooms](uint64_t user, uint64_t id) {
      rooms.on_session_attached_in_loop(user, id);
    };
    hooks.session_ended = [&rooms](uint64_t user) { rooms.on_session_ended_in_loop(user); };
    game_ = std::make_unique<fleet::GameLinks>(server.service_loop(), server.io_loops(),
                                               server.router(), o, std::move(hooks));
    auto* g = game_.get();
    rooms.set_seat_observer([g](uint64_t user, uint64_t room) { g->seat_changed(user, room); });
    services.set_remote_usernames([g](uint64_t user) { return g->username_of(user); });
  }
}

FleetRole::~FleetRole() {
  stop();
}

uint16_t FleetRole::start() {
  if (!game_) return 0;
  game_->start();
  return game_->port();
}

void FleetRole::on_table(const fleet::FleetTable& table) {
  if (!gateway_) return;
  std::vector<fleet::GatewayLinks::GameNode> nodes;
  for (const auto& [id, entry] : table) {
    const fleet::NodeRecord& r = entry.record;
    if (r.role != "game" || r.link_address.empty()) continue;
    const auto colon = r.link_address.rfind(':');
    if (colon == std::string::npos) continue;
    fleet::GatewayLinks::GameNode n;
    n.id = id;
    n.link_host = r.link_address.substr(0, colon);
    n.link_port = static_cast<uint16_t>(std::stoul(r.link_address.substr(colon + 1)));
    n.room_players = r.load.room_players;
    n.rooms = r.load.rooms;
    n.draining = r.draining;
    nodes.push_back(std::move(n));
  }
  gateway_->set_game_nodes(std::move(nodes));
}

void FleetRole::stop() {
  if (gateway_) gateway_->stop();
  if (game_) game_->stop();
}

void FleetRole::write_metrics(ops::admin::MetricsWriter& out) const {
  if (gateway_) {
    const auto s = gateway_->stats();
    out.gauge("citadel_fleet_links_open",
              "Node links up (a gateway: one per loop per game node; a game node: one per "
              "gateway loop).",
              static_cast<double>(s.links_open));
    out.counter("citadel_fleet_link_drops_total", "Node links that closed after being up.",
                s.link_drops);
    out.counter("citadel_fleet_forwarded_frames_total",
                "Players' frames forwarded over node links (a gateway: room commands to game "
                "nodes; a game node: frames dispatched from gateways).",
                s.frames_forwarded);
    out.counter("citadel_fleet_forward_refusals_total",
                "Room commands a gateway could not forward (no game node, link down or full).",
                s.frames_refused);
    out.counter("citadel_fleet_link_deliveries_total",
                "Frames delivered to this gateway's players from game nodes (per player).",
                s.deliveries);
  }
  if (game_) {
    const auto s = game_->stats();
    out.gauge("citadel_fleet_links_open",
              "Node links up (a gateway: one per loop per game node; a game node: one per "
              "gateway loop).",
              static_cast<double>(s.links_open));
    out.counter("citadel_fleet_links_accepted_total", "Gateway links this game node accepted.",
                s.links_accepted);
    out.counter("citadel_fleet_links_refused_total",
                "Gateway links refused (another cluster, another link version, no slot).",
                s.links_refused);
    out.gauge("citadel_fleet_remote_players",
              "Players reached through gateways' links (their sockets are on the gateways).",
              static_cast<double>(s.players));
    out.counter("citadel_fleet_forwarded_frames_total",
                "Players' frames forwarded over node links (a gateway: room commands to game "
                "nodes; a game node: frames dispatched from gateways).",
                s.frames_forwarded);
    out.counter("citadel_fleet_link_malformed_total",
                "Malformed link messages from gateways (each closes its link).", s.malformed);
  }
}

}  // namespace citadel::app
