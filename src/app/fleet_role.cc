#include "app/fleet_role.h"

#include <spdlog/spdlog.h>

#include <future>

#include "fleet/game/game_links.h"
#include "fleet/game/owned_rooms.h"
#include "fleet/game/room_snapshots.h"
#include "fleet/game/room_takeover.h"
#include "fleet/gateway/gateway_links.h"
#include "fleet/link/link_messages.h"
#include "fleet/membership/membership.h"
#include "fleet/ownership/owner_directory.h"
#include "ops/admin/metrics_writer.h"
#include "redis/redis_url.h"
#include "rooms/room_service.h"
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
                     services::Services& services)
    : config_(config),
      node_id_(std::move(node_id)),
      rooms_(services.rooms()),
      service_loop_(server.service_loop()) {
  rooms::RoomService& rooms = services.rooms();
  if (is_gateway(config)) {
    fleet::GatewayLinks::Options o;
    o.cluster = config.fleet.cluster;
    o.node_id = node_id_;
    o.room_owner = [this](uint64_t room_id) {
      std::lock_guard lock(owners_mutex_);
      auto it = owners_.find(room_id);
      return it == owners_.end() ? std::string() : it->second;
    };
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
    hooks.session_moved = [g](uint64_t user) { g->session_moved(user); };
    services.set_player_hooks(std::move(hooks));
  } else if (is_game_node(config)) {
    fleet::GameLinks::Options o;
    o.cluster = config.fleet.cluster;
    o.node_id = node_id_;
    o.host = config.server.host;
    o.port = config.fleet.link_port;
    o.orphan_grace = std::chrono::milliseconds(config.auth.session_grace_ms);
    fleet::GameLinks::Hooks hooks;
    // As the server's own connection-closed hook does for a socket.
    hooks.player_closed = [&rooms](uint64_t id, uint64_t user) {
      rooms.on_connection_closed(id);
      if (user != 0) rooms.on_user_disconnected(id, user);
    };
    // A take-over restoring rooms holds these until the rooms are back: a
    // session attached before its room is restored must find its seat.
    hooks.session_attached = [this, &rooms](uint64_t user, uint64_t id) {
      session_event_in_loop([&rooms, user, id] { rooms.on_session_attached_in_loop(user, id); });
    };
    hooks.session_ended = [this, &rooms](uint64_t user) {
      session_event_in_loop([&rooms, user] { rooms.on_session_ended_in_loop(user); });
    };
    // Player transfer (docs/fleet.md "Player transfer"): the inputs a room
    // here kept for a player it let go go back to the gateway, and a
    // gateway seats players here.
    hooks.take_inputs = [&rooms](uint64_t id, fleet::GameLinks::TakenInputs done) {
      rooms.take_inputs_in_loop(
          id, [done = std::move(done)](uint16_t cmd, std::vector<rooms::HeldInput> inputs) {
            std::vector<std::vector<uint8_t>> bytes;
            bytes.reserve(inputs.size());
            for (auto& in : inputs) bytes.push_back(std::move(in.bytes));
            done(cmd, std::move(bytes));
          });
    };
    hooks.transfer_in = [&rooms](fleet::GameLinks::Transfer t) {
      rooms::TransferTarget target{std::move(t.room_type), t.room_id, t.elsewhere,
                                   std::move(t.handoff)};
      rooms.transfer_in_in_loop(rooms::TransferRequest{t.user_id, t.connection_id, t.from_room,
                                                       std::move(t.from_type), std::move(target)});
    };
    game_ = std::make_unique<fleet::GameLinks>(server.service_loop(), server.io_loops(),
                                               server.router(), o, std::move(hooks));
    auto* g = game_.get();
    rooms.set_seat_observer([g](uint64_t user, uint64_t room) { g->seat_changed(user, room); });
    static_assert(fleet::link::kMaxHandoffBytes == rooms::kMaxHandoffBytes);
    rooms.set_transfer_out([g](const rooms::TransferRequest& r) {
      return g->transfer_out(fleet::GameLinks::Transfer{
          r.user_id, r.connection_id, r.from_room, r.from_type, r.target.room_type,
          r.target.room_id, r.target.elsewhere, r.target.handoff});
    });
    rooms.set_return_leave([g](uint64_t connection_id, uint32_t request_id) {
      return g->return_leave(connection_id, request_id);
    });
    services.set_remote_usernames([g](uint64_t user) { return g->username_of(user); });
    // Room ids no other game node draws; each room's owner record in etcd
    // (once the membership has its client: rooms opened before wait).
    rooms.set_room_ids([] { return fleet::random_room_id(); });
    rooms::RoomService::RoomObserver observer;
    observer.opened = [this](uint64_t room_id, const std::string& type) {
      if (owned_) {
        owned_->opened(room_id, type);
      } else {
        early_rooms_.emplace_back(room_id, type);
      }
    };
    observer.closed = [this](uint64_t room_id) {
      std::erase_if(early_rooms_, [&](const auto& r) { return r.first == room_id; });
      if (!owned_) return;
      if (!snapshots_) return owned_->closed(room_id);
      // The snapshot goes first, then the record that fences it.
      owned_->closed(room_id, [s = snapshots_.get(), room_id](int64_t epoch, auto release) {
        s->erase_in_loop(room_id, epoch, std::move(release));
      });
    };
    rooms.set_room_observer(std::move(observer));
    // With Redis, rooms save their snapshots there (fenced by their owner
    // record's epoch), for the node that takes a room over if this one dies.
    if (const auto url = redis::parse_redis_url(config.redis.url);
        url && config.recovery.snapshot_every_ticks != 0) {
      snapshots_ = std::make_unique<fleet::RoomSnapshots>(
          server.service_loop(), *url, config.fleet.cluster,
          [this](uint64_t room_id) { return owned_ ? owned_->epoch_of(room_id) : int64_t{0}; });
      rooms.set_recovery(*snapshots_, config.recovery.snapshot_every_ticks);
    }
  }
}

void FleetRole::attach(fleet::Membership& membership) {
  membership.on_change([this, &membership](bool member) { on_membership(membership, member); });
}

void FleetRole::on_membership(fleet::Membership& membership, bool member) {
  // Leaving (the lease revoked at stop) says "not a member" too: after
  // stop_etcd nothing is made again.
  if (etcd_gone_) return;
  if (game_) {
    if (!owned_) {
      owned_ = std::make_unique<fleet::OwnedRooms>(membership.client_in_loop(),
                                                   config_.fleet.cluster, node_id_);
      owned_rooms_.store(owned_.get());
      // Fencing: a room ticks only while its record names this node on
      // its current lease; another node's now: it closes here.
      fleet::OwnedRooms::Observer o;
      o.held = [this](uint64_t room_id) { rooms_.fence_in_loop(room_id, false); };
      o.lost = [this](uint64_t room_id) {
        rooms_.close_room_in_loop(room_id, "another game node owns this room now");
      };
      owned_->set_observer(std::move(o));
      for (const auto& [room_id, type] : early_rooms_) owned_->opened(room_id, type);
      early_rooms_.clear();
      make_takeover_in_loop();
    }
    // Not a member: the lease may have run out in etcd, and another node
    // may be taking the rooms over: none ticks here until its record is
    // this node's again.
    if (!member && !fenced_.exchange(true)) {
      spdlog::warn("fleet: not a member: this node's rooms stop ticking until it owns them again");
      rooms_.set_fencing_in_loop(true);
    } else if (member && fenced_.exchange(false)) {
      rooms_.set_fencing_in_loop(false);
    }
    owned_->set_lease(member ? membership.lease_in_loop() : 0);
  }
  if (!directory_) {
    directory_ = std::make_unique<fleet::ownership::OwnerDirectory>(
        membership.client_in_loop(), config_.fleet.cluster,
        [this](uint64_t room_id, const std::optional<fleet::ownership::Holding>& before,
               const std::optional<fleet::ownership::Holding>& after) {
          on_owner_change(room_id, before, after);
        });
    directory_->start();
  }
}

void FleetRole::make_takeover_in_loop() {
  fleet::RoomTakeover::Options o;
  o.node_id = node_id_;
  fleet::RoomTakeover::Hooks h;
  h.claim = [this](uint64_t room_id, const std::string& type, std::function<void(int64_t)> done) {
    owned_->take_over(room_id, type, std::move(done));
  };
  h.read_snapshot = [this](uint64_t room_id, auto done) {
    auto* store = snapshots_ ? snapshots_->store_in_loop() : nullptr;
    if (store == nullptr) return done(std::nullopt, "this node keeps no snapshots (no redis.url)");
    store->read(room_id, [done = std::move(done)](auto got) {
      if (!got.snapshot) return done(std::nullopt, got.error);
      done(std::move(got.snapshot->room), "");
    });
  };
  h.restore = [this](store::RoomRecord room) {
    std::vector<store::RoomRecord> one;
    one.push_back(std::move(room));
    // Every seat is kept: the players' sessions live on their gateways,
    // which re-attach them here once they see this node owns the room.
    return rooms_.restore_in_loop(
               std::move(one), [](uint64_t) { return true; }, 0) == 1;
  };
  h.release = [this](uint64_t room_id) { owned_->closed(room_id); };
  h.idle = [this] {
    auto events = std::move(held_session_events_);
    held_session_events_.clear();
    for (auto& e : events) e();
  };
  takeover_ = std::make_unique<fleet::RoomTakeover>(service_loop_, std::move(o), std::move(h),
                                                    takeover_counters_);
  takeover_->set_live_nodes(live_game_nodes_);
}

void FleetRole::hand_over_rooms_in_loop(
    std::function<void(std::size_t handed, std::size_t kept)> done) {
  const std::vector<uint64_t> rooms = owned_ ? owned_->held() : std::vector<uint64_t>{};
  if (rooms.empty() || !snapshots_) return done(0, rooms.size());
  struct Tally {
    std::size_t left, handed = 0, kept = 0;
    std::function<void(std::size_t, std::size_t)> done;
  };
  auto tally = std::make_shared<Tally>(Tally{rooms.size(), 0, 0, std::move(done)});
  const auto one_done = [this, tally](uint64_t room_id, bool handed) {
    if (handed) {
      ++tally->handed;
      rooms_handed_over_.add();
    } else {
      ++tally->kept;
      rooms_kept_.add();
      rooms_.fence_in_loop(room_id, false);  // it plays on here until the node exits
    }
    if (--tally->left == 0) tally->done(tally->handed, tally->kept);
  };
  for (const uint64_t room_id : rooms) {
    rooms_.hand_off_in_loop(room_id, [this, room_id, one_done](auto record) {
      if (!record || etcd_gone_ || !owned_ || owned_->epoch_of(room_id) == 0) {
        return one_done(room_id, false);
      }
      snapshots_->write_now_in_loop(*record, [this, room_id, one_done](bool stored) {
        if (!stored || etcd_gone_ || !owned_) return one_done(room_id, false);
        // The record goes, the snapshot stays: the next owner restores it.
        // The room stays here fenced (its players' seats move with the
        // record's next owner) until the node exits.
        owned_->closed(room_id);
        one_done(room_id, true);
      });
    });
  }
}

void FleetRole::session_event_in_loop(std::function<void()> event) {
  if (takeover_ && takeover_->busy()) {
    held_session_events_.push_back(std::move(event));
    return;
  }
  event();
}

void FleetRole::on_owner_change(uint64_t room_id,
                                const std::optional<fleet::ownership::Holding>& before,
                                const std::optional<fleet::ownership::Holding>& after) {
  const std::string was = before && before->readable ? before->record.node_id : "";
  const std::string now = after && after->readable ? after->record.node_id : "";
  if (takeover_) {
    if (!now.empty()) {
      takeover_->owner_set(room_id);
    } else if (!was.empty()) {
      takeover_->owner_gone(room_id, before->record.room_type, was);
    }
  }
  if (!gateway_) return;
  {
    std::lock_guard lock(owners_mutex_);
    if (now.empty()) {
      owners_.erase(room_id);
    } else {
      owners_[room_id] = now;
    }
  }
  if (was == now) return;
  if (now.empty()) {
    // Its owner released it (it closed) or died: players still seated in
    // it wait for a take-over (GatewayLinks::Options::failover_wait).
    const auto t = service_loop_.now();
    if (orphaned_.size() >= 1024) {
      std::erase_if(orphaned_,
                    [&](const auto& o) { return t - o.second > std::chrono::minutes(1); });
    }
    orphaned_[room_id] = t;
    gateway_->room_owner_changed(room_id, "");
  } else if (orphaned_.erase(room_id) != 0 || !was.empty()) {
    gateway_->room_owner_changed(room_id, now);  // taken over: its seats follow
  }
}

FleetRole::~FleetRole() {
  stop();
}

uint16_t FleetRole::start() {
  started_ = true;
  if (!game_) return 0;
  game_->start();
  return game_->port();
}

void FleetRole::on_table(const fleet::FleetTable& table) {
  if (game_) {
    live_game_nodes_.clear();
    for (const auto& [id, entry] : table) {
      if (entry.record.role == "game" && !entry.record.draining) live_game_nodes_.push_back(id);
    }
    if (takeover_) takeover_->set_live_nodes(live_game_nodes_);
  }
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
  if (stopped_) return;
  stopped_ = true;
  // Never started (the server could not start: its loops never ran, and
  // nothing waits on them): nothing was opened or made.
  if (!started_) return;
  if (gateway_) gateway_->stop();
  if (game_) game_->stop();
  stop_etcd();
}

void FleetRole::rooms_left_at_deadline() {
  if (!game_ || stopped_) return;
  const auto stats = rooms_.stats();
  const uint64_t open = stats.rooms_open, seats = stats.players;
  // Each room is fenced, saved to Redis now and released, so another game
  // node takes it over from this very state; a room that cannot be handed
  // (no Redis, a write refused) goes by failover from its last periodic
  // snapshot once this node's lease is revoked at exit.
  struct Outcome {
    std::size_t handed = 0, kept = 0;
  };
  auto outcome = std::make_shared<std::promise<Outcome>>();
  service_loop_.post([this, outcome] {
    hand_over_rooms_in_loop([outcome](std::size_t handed, std::size_t kept) {
      outcome->set_value(Outcome{handed, kept});
    });
  });
  auto future = outcome->get_future();
  // Redis's own timeouts end every write well within this.
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    spdlog::warn(
        "fleet: drain deadline passed with {} rooms open ({} seats); their hand-over did not "
        "finish within 5 s: the rest go by failover from their last snapshots",
        open, seats);
    return;
  }
  const Outcome o = future.get();
  spdlog::info(
      "fleet: drain deadline passed with {} rooms open ({} seats): {} handed over to another "
      "game node, {} left to failover from their last snapshots",
      open, seats, o.handed, o.kept);
}

void FleetRole::stop_etcd() {
  if (etcd_stopped_) return;
  etcd_stopped_ = true;
  if (!started_) return;
  // The etcd objects live on the service loop: they go there, while it
  // still runs (and before the membership's client they use).
  auto done = std::make_shared<std::promise<void>>();
  service_loop_.post([this, done] {
    destroy_in_loop();
    done->set_value();
  });
  done->get_future().wait_for(std::chrono::seconds(2));
}

void FleetRole::destroy_in_loop() {
  etcd_gone_ = true;
  owned_rooms_.store(nullptr);
  directory_.reset();
  takeover_.reset();
  owned_.reset();
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
    out.counter("citadel_fleet_seats_moved_total",
                "Failover: players' seats that followed their room to the game node that took "
                "it over.",
                s.seats_moved);
    out.counter("citadel_fleet_transfers_total",
                "Player transfers this gateway completed: players placed in a room on their new "
                "game node, their inputs following.",
                s.transfers);
    out.counter("citadel_fleet_transfers_failed_total",
                "Player transfers that failed (no node, no room, refused): the player was told "
                "RoomEvent Closed and is in no room.",
                s.transfers_failed);
    out.counter("citadel_fleet_transfer_inputs_dropped_total",
                "Inputs dropped while a player was being transferred (past 512 held).",
                s.transfer_inputs_dropped);
    out.counter("citadel_fleet_seats_lost_total",
                "Failover: players' seats given up because no game node took their room over "
                "in time (each player is told its room closed).",
                s.seats_lost);
    out.counter("citadel_fleet_moved_inputs_dropped_total",
                "Failover: inputs of players whose room had moved, dropped at the gateway before "
                "the new game node had re-attached them (it would have answered not_in_room).",
                s.moved_inputs_dropped);
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
    out.counter("citadel_fleet_transfers_out_total",
                "Players rooms here transferred away whose gateway placed them.", s.transfers_out);
    out.counter("citadel_fleet_transfers_in_total",
                "Transferred players gateways sent here to be seated.", s.transfers_in);
    out.counter("citadel_fleet_transfer_inputs_returned_total",
                "Inputs of transferred players returned to their gateway, unapplied.",
                s.inputs_returned);
    out.counter("citadel_fleet_link_malformed_total",
                "Malformed link messages from gateways (each closes its link).", s.malformed);
    out.gauge("citadel_fleet_orphaned_players",
              "Players whose gateway's link dropped, their seats waiting for their sessions "
              "to come back through another gateway.",
              static_cast<double>(s.orphaned));
    out.counter("citadel_fleet_orphans_ended_total",
                "Orphaned players whose grace passed with no gateway bringing them back (their "
                "seats were freed).",
                s.orphans_ended);
  }
  if (snapshots_) {
    const auto& c = snapshots_->counters();
    out.family("citadel_fleet_room_snapshots_total", ops::admin::MetricType::kCounter,
               "Room snapshots handed to Redis, by outcome (unclaimed: the room had no owner "
               "record yet; stale: a later owner holds the room).");
    out.sample(c.stored.get(), {{"result", "stored"}});
    out.sample(c.stale.get(), {{"result", "stale"}});
    out.sample(c.failed.get(), {{"result", "failed"}});
    out.sample(c.unclaimed.get(), {{"result", "unclaimed"}});
  }
  if (const fleet::OwnedRooms* owned = owned_rooms_.load()) {
    const auto& c = owned->counters();
    out.gauge("citadel_fleet_rooms_owned",
              "Rooms whose owner record in etcd names this node (on its current lease).",
              static_cast<double>(c.owned.get()));
    out.counter("citadel_fleet_room_claims_total", "Rooms claimed in etcd by this node.",
                c.claimed.get());
    out.counter("citadel_fleet_room_claim_conflicts_total",
                "Room claims refused because another node held the id.", c.claim_conflicts.get());
    out.counter("citadel_fleet_room_claim_failures_total",
                "Room claims that failed (etcd unreachable); retried at the next registration.",
                c.claim_failures.get());
    out.counter("citadel_fleet_rooms_lost_total",
                "Rooms this node closed because another node held their record when it looked "
                "again (taken over while this node was cut off from etcd).",
                c.lost.get());
    out.gauge("citadel_fleet_rooms_fenced",
              "1 while this game node is not a fleet member and its rooms do not tick, else 0.",
              fenced_.load() ? 1.0 : 0.0);
    out.family("citadel_fleet_rooms_handed_over_total", ops::admin::MetricType::kCounter,
               "Draining: rooms this node handed to other game nodes (handed: snapshot stored, "
               "record released) or kept (no snapshot stored: they played on here).");
    out.sample(rooms_handed_over_.get(), {{"result", "handed"}});
    out.sample(rooms_kept_.get(), {{"result", "kept"}});
    const auto& t = takeover_counters_;
    out.family("citadel_fleet_room_takeovers_total", ops::admin::MetricType::kCounter,
               "Failover: rooms of dead game nodes this node claimed or tried to, by outcome "
               "(restored: back from its snapshot; no_snapshot: none to restore, released; "
               "refused: the snapshot could not be opened here, released; lost: another node "
               "claimed it first).");
    out.sample(t.restored.get(), {{"result", "restored"}});
    out.sample(t.no_snapshot.get(), {{"result", "no_snapshot"}});
    out.sample(t.refused.get(), {{"result", "refused"}});
    out.sample(t.lost_claims.get(), {{"result", "lost"}});
  }
}

}  // namespace citadel::app
