// What a node's fleet.role adds on top of the single process (docs/fleet.md
// "Gateways and game nodes"): a gateway forwards room commands to game
// nodes over node links (fleet::GatewayLinks) and tells them of its
// players' sessions; a game node takes gateways' links (fleet::GameLinks)
// and serves their players in its rooms as if their sockets were its own.
// The composition root's part of it: which hook goes where.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleet/game/room_takeover.h"
#include "fleet/membership/fleet_view.h"
#include "net/event_loop.h"
#include "ops/config.h"

namespace citadel::server {
class Server;
}
namespace citadel::net {
class EventLoop;
}
namespace citadel::services {
class Services;
}
namespace citadel::rooms {
class RoomService;
}
namespace citadel::ops::admin {
class MetricsWriter;
}
namespace citadel::fleet {
class GameLinks;
class GatewayLinks;
class Membership;
class OwnedRooms;
class RoomSnapshots;
namespace ownership {
class OwnerDirectory;
struct Holding;
}  // namespace ownership
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
  // Before the membership starts: follows it (the table of nodes, the
  // lease), on the service loop.
  void attach(fleet::Membership& membership);
  // The fleet's table changed (the service loop): a gateway dials the
  // game nodes in it.
  void on_table(const fleet::FleetTable& table);
  // Before the membership stops (its etcd client goes with it): the
  // role's etcd readers and writers go first, on the service loop. Blocks.
  void stop_etcd();
  // Before the server stops: every link closes.
  void stop();
  // Control thread. A game node's drain (app/fleet_drain.h) reached its
  // deadline (fleet.drain_timeout_ms) with rooms still open: hands them over
  // (hand_over_rooms_in_loop) and waits for it (at most 5 s); the node then
  // stops, and what was not handed goes by failover with its lease.
  void rooms_left_at_deadline();
  void write_metrics(ops::admin::MetricsWriter& out) const;
  // Draining, a game node (service loop; docs/fleet.md "Draining"): hands
  // every room it owns to the other game nodes. Each room is fenced, its
  // state written to Redis under its epoch, then its owner record released,
  // so a live game node takes it over as after a death (RoomTakeover) and
  // the gateways move its players. The node must already be listed as
  // draining (other nodes take rooms only from a node that is not live).
  // `done(handed, kept)` once every room is through; kept: not handed (no
  // snapshot port, a write Redis did not store, a code that saves no
  // state) and ticking again.
  void hand_over_rooms_in_loop(std::function<void(std::size_t handed, std::size_t kept)> done);

 private:
  void on_membership(fleet::Membership& membership, bool member);  // service loop
  void destroy_in_loop();
  // The owner directory's changes (service loop): a gateway's routing and
  // seats, a game node's take-overs.
  void on_owner_change(uint64_t room_id, const std::optional<fleet::ownership::Holding>& before,
                       const std::optional<fleet::ownership::Holding>& after);
  void make_takeover_in_loop();
  // A game node's players' session events, held while a take-over restores
  // rooms (service loop).
  void session_event_in_loop(std::function<void()> event);

  const ops::Config& config_;
  const std::string node_id_;
  rooms::RoomService& rooms_;
  net::EventLoop& service_loop_;
  bool started_ = false;                         // start() ran: the loops run
  bool stopped_ = false, etcd_stopped_ = false;  // the control thread's
  bool etcd_gone_ = false;                       // service loop: after destroy_in_loop
  // Rooms opened before the membership had its client (service loop).
  std::vector<std::pair<uint64_t, std::string>> early_rooms_;
  std::atomic<const fleet::OwnedRooms*> owned_rooms_{nullptr};  // for the admin thread
  std::atomic<bool> fenced_{false};  // a game node's rooms are fenced (written on the service loop)
  std::unique_ptr<fleet::GatewayLinks> gateway_;
  std::unique_ptr<fleet::GameLinks> game_;
  // A game node with redis.url: its rooms' snapshots. Outlives the rooms
  // (they hold it as their snapshot port): destroyed with the role.
  std::unique_ptr<fleet::RoomSnapshots> snapshots_;
  // Service loop; made once the membership has its etcd client.
  std::unique_ptr<fleet::OwnedRooms> owned_;                     // a game node
  std::unique_ptr<fleet::ownership::OwnerDirectory> directory_;  // both roles
  std::unique_ptr<fleet::RoomTakeover> takeover_;                // a game node
  fleet::RoomTakeover::Counters takeover_counters_;              // read by the admin thread
  net::RelaxedCounter rooms_handed_over_, rooms_kept_;           // draining
  std::vector<std::string> live_game_nodes_;                     // not draining
  std::vector<std::function<void()>> held_session_events_;
  // A gateway: room -> owner node, from directory_, for the loops' joins.
  mutable std::mutex owners_mutex_;
  std::unordered_map<uint64_t, std::string> owners_;
  // A gateway (service loop): rooms whose owner record went, until another
  // node claims them (failover) or they are forgotten.
  std::unordered_map<uint64_t, net::EventLoop::Clock::time_point> orphaned_;
};

}  // namespace citadel::app
