// A gateway's side of the node links (issue 18, docs/fleet.md "Gateways and
// game nodes"): every I/O loop of the gateway dials one link to every live
// game node, so a player's room command leaves from the player's own loop
// with no thread hop; room commands (join, leave, matchmaking and every
// room type's input) are forwarded over them, and what game nodes send
// back (Deliver, ClosePlayer) reaches the players through the Outbox.
//
// Where a player's room commands go:
//   - while the player holds a seat on a game node (SeatChanged from that
//     node): there, whatever the command (a second join is answered
//     AlreadyInRoom by the node that knows);
//   - RoomJoin by id: the room's owner, as its owner record in etcd says
//     (Options::room_owner, an OwnerDirectory kept by watch); an id nobody
//     holds goes to any node, which answers NoSuchRoom;
//   - join-or-create and create: the least-loaded live game node (players
//     seated, then rooms, by the load figure each node writes to etcd
//     about once a second; ties by node id, so every gateway picks alike);
//   - MatchFind: one node per room type (rendezvous hashing over the live
//     game nodes), so players from every gateway meet in one queue;
//     MatchCancel follows the player's last MatchFind;
//   - RoomLeave with no seat: any node (it answers NotInRoom); an input
//     with no seat: ERROR not_in_room from the gateway itself.
//
// A link that drops is dialled again (backoff 100 ms doubling to 2 s) while
// the node is in the table; once welcomed again, the players seated there
// from this loop are opened again and their sessions re-attached, so their
// rooms see them come back (RoomEvent Rejoined).
//
// Threads: the table and the per-user maps behind mutex_ (written on the
// service loop and on link loops, read rarely); each loop's links, its
// players' seats and its forwarding on that loop only (LoopLinks).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleet/link/link_connection.h"
#include "net/event_loop.h"
#include "server/outbox.h"
#include "server/router.h"

namespace citadel::fleet {

class GatewayLinks {
 public:
  struct GameNode {
    std::string id;
    std::string link_host;
    uint16_t link_port = 0;
    uint64_t room_players = 0;  // the load figure
    uint64_t rooms = 0;
    bool draining = false;
    bool operator==(const GameNode&) const = default;
  };
  struct Options {
    std::string cluster;
    std::string node_id;
    link::LinkConnection::Options link;
    // Past this many bytes queued on a link, a player's frame for it is
    // refused (the game node is not keeping up).
    std::size_t link_soft_limit = std::size_t{8} << 20;
    // The game node that holds a room ("" if none); any thread.
    std::function<std::string(uint64_t room_id)> room_owner;
    // A room whose owner record went: how long its players keep their seat
    // waiting for another node to take it over (failover) before they are
    // in no room.
    std::chrono::milliseconds failover_wait{10'000};
  };
  struct Stats {
    uint64_t links_open = 0, link_drops = 0, frames_forwarded = 0, frames_refused = 0;
    uint64_t deliveries = 0;
    // Failover: players' seats that followed their room to the node that
    // took it over; seats given up because nobody took their room.
    uint64_t seats_moved = 0, seats_lost = 0;
    uint64_t moved_inputs_dropped = 0;  // inputs of a moved seat before its new node spoke
    // Player transfer: players placed on their new node; transfers that
    // failed (told RoomEvent Closed); inputs dropped past the hold's caps.
    uint64_t transfers = 0, transfers_failed = 0, transfer_inputs_dropped = 0;
  };

  GatewayLinks(server::Outbox& outbox, std::vector<net::EventLoop*> io_loops, Options options);
  ~GatewayLinks();
  GatewayLinks(const GatewayLinks&) = delete;
  GatewayLinks& operator=(const GatewayLinks&) = delete;

  // Start-up: the handlers of the room commands and of these input cmds.
  void register_handlers(server::Router& router, const std::vector<uint16_t>& input_cmds);
  // Any thread: the live game nodes (from the fleet table). Links to new
  // nodes are dialled, links to nodes gone are closed.
  void set_game_nodes(std::vector<GameNode> nodes);
  // Closes every link; before the loops stop. Blocks until done. Once:
  // later calls (the owner's destructor, after the loops stopped, when no
  // posted task would ever run) return at once.
  void stop();

  // The player hooks (services/services.h PlayerHooks).
  void session_started(uint64_t user_id, std::string username);      // service loop
  void connection_closed(uint64_t connection_id, uint64_t user_id);  // connection loop
  void session_attached(uint64_t user_id, uint64_t connection_id);   // service loop
  void session_ended(uint64_t user_id);                              // service loop

  // Any thread (the owner directory's changes): room's owner is `node`
  // now ("": nobody). Players seated in it follow it to its new node.
  void room_owner_changed(uint64_t room_id, const std::string& node);

  Stats stats() const;
  // Game nodes with a welcomed link from every loop (tests wait for it).
  std::size_t ready_nodes() const;

 private:
  class LoopLinks;
  friend class LoopLinks;

  LoopLinks& on(uint64_t connection_id);
  std::string username_of(uint64_t user_id) const;
  // The node of the user's seat ("" if none), for the service loop's hooks.
  std::string seat_node_of(uint64_t user_id) const;
  // "" clears; a room of 0 keeps the room known (the node changed).
  void set_seat_node(uint64_t user_id, const std::string& node, uint64_t room = 0);

  server::Outbox& outbox_;
  std::vector<net::EventLoop*> loops_;
  const Options options_;
  std::vector<std::unique_ptr<LoopLinks>> per_loop_;
  bool stopped_ = false;  // stop()'s caller's thread (the control thread)

  mutable std::mutex mutex_;
  std::vector<GameNode> nodes_;
  std::unordered_map<uint64_t, std::string> usernames_;
  struct SeatNode {
    std::string node;
    uint64_t room = 0;
  };
  std::unordered_map<uint64_t, SeatNode> seat_nodes_;  // user -> the node of their seat
};

}  // namespace citadel::fleet
