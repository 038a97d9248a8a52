// The route from a connection to its room, kept per I/O loop so that an
// input finds its room without leaving the connection's thread. Each
// loop's table is touched only by that loop; a room sets and clears its
// players' routes from its own thread (executor) with the same `from` rule
// as the Outbox (server/outbox.h): directly when the connection is on the
// room's own loop, else as a task on the connection's loop. A room's route
// changes and its frames to one connection therefore keep their order.
//
// Player transfer (docs/rooms.md): a room that hands a player to another
// room keeps the player's route (and the inputs it still receives for the
// player) until the route moves. When a route moves from room A to room B
// the connection's loop is the sequencer: it holds the inputs that arrive
// meanwhile, asks A for the inputs it kept (a task on A's thread, which
// runs after every input this loop sent A before), and gives B A's inputs
// and then the held ones, in the order the client sent them. No input is
// lost or applied twice, on one thread or several.
//
// Frames go out through the Outbox, the one way to reach a connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "net/loop_stats.h"

namespace citadel::rooms {

class Room;

// An input a room kept for a player that left it by transfer, or one its
// connection's loop held while the route moved.
struct HeldInput {
  uint64_t user_id = 0;
  std::vector<uint8_t> bytes;
};

class RoomRoutes {
 public:
  // Inputs a connection's loop holds while its route moves, at most (more
  // are dropped and counted): a hand-over takes one round trip to a room's
  // thread, so a client at 20 Hz sends one or two meanwhile.
  static constexpr std::size_t kMaxHeldInputs = 256;
  static constexpr std::size_t kMaxHeldBytes = 64 * 1024;

  // Where the inputs a hand-over collected go when no room takes them here
  // (a fleet's game node returns them to the player's gateway): the input
  // cmd of the room they were sent to, and the inputs in order.
  using TakeInputs = std::function<void(uint16_t cmd, std::vector<HeldInput> inputs)>;

  struct Route {
    std::shared_ptr<Room> room;  // where inputs go (while handing over: the room left)
    struct Handover {
      std::shared_ptr<Room> to;  // the room they go to; or
      TakeInputs out;            // who takes them instead
      std::vector<HeldInput> held;
      std::size_t held_bytes = 0;
    };
    std::unique_ptr<Handover> handover;  // set while the route moves
  };

  explicit RoomRoutes(std::vector<net::EventLoop*> io_loops);

  // Set and cleared from the room's thread (`from`). A route is only set
  // for an open connection, so a connection that closed meanwhile leaves
  // nothing behind. A route that points to another room moves by a
  // hand-over (above).
  void set_route(net::EventLoop& from, uint64_t connection_id, std::shared_ptr<Room> room);
  // Only while the route still points to `room` and is not moving.
  void clear_route(net::EventLoop& from, uint64_t connection_id, const Room* room);
  // On the connection's own loop.
  Room* route_in_loop(uint64_t connection_id) const;
  Route* find_in_loop(uint64_t connection_id);
  void clear_route_in_loop(uint64_t connection_id);
  // An input that arrived while the route moves: kept for the room it
  // moves to. False (dropped, counted) past the caps.
  bool hold_in_loop(uint64_t connection_id, Route& route, uint64_t user_id,
                    std::span<const uint8_t> payload);
  // The connection's loop (a fleet's game node, the player transferred to
  // another node): the inputs the connection's room kept for it go to
  // `out`, on this loop, and the route goes. No route: out(0, {}) at once.
  void take_inputs_in_loop(uint64_t connection_id, TakeInputs out);

  // Routes held now, over all loops. Thread-safe (a gauge).
  uint64_t routes() const;
  // Inputs dropped because a hand-over held too many. Thread-safe.
  uint64_t held_dropped() const;

 private:
  struct RouteTable;
  net::EventLoop* loop_of(uint64_t connection_id) const;
  // On the connection's loop: ask the room the route leaves for the
  // inputs it kept for the connection; finish_handover_in_loop gets them.
  void start_handover_in_loop(net::EventLoop& loop, RouteTable& table, uint64_t connection_id,
                              std::shared_ptr<Room> from);
  void finish_handover_in_loop(RouteTable& table, uint64_t connection_id, uint16_t cmd,
                               std::vector<HeldInput> inputs);

  // One per I/O loop, touched only by that loop; `count` mirrors the
  // table's size for readers on other threads.
  struct RouteTable {
    std::unordered_map<uint64_t, Route> rooms;
    net::RelaxedCounter count;
    net::RelaxedCounter held_dropped;
    Route& set(uint64_t connection_id, std::shared_ptr<Room> room) {
      auto [it, added] = rooms.try_emplace(connection_id);
      if (added) count.add();
      it->second.room = std::move(room);
      return it->second;
    }
    void erase(uint64_t connection_id) {
      if (rooms.erase(connection_id) != 0) count.sub();
    }
  };
  std::vector<net::EventLoop*> loops_;
  std::vector<std::unique_ptr<RouteTable>> routes_;  // one per I/O loop
};

}  // namespace citadel::rooms
