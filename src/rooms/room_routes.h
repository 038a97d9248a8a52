// The route from a connection to its room, kept per I/O loop so that an
// input finds its room without leaving the connection's thread. Each
// loop's table is touched only by that loop; a room sets and clears its
// players' routes from its own thread (executor) with the same `from` rule
// as the Outbox (server/outbox.h): directly when the connection is on the
// room's own loop, else as a task on the connection's loop. A room's route
// changes and its frames to one connection therefore keep their order.
//
// Frames go out through the Outbox, the one way to reach a connection.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "net/loop_stats.h"

namespace citadel::rooms {

class Room;

class RoomRoutes {
 public:
  explicit RoomRoutes(std::vector<net::EventLoop*> io_loops);

  // Set and cleared from the room's thread (`from`). A route is only set
  // for an open connection, so a connection that closed meanwhile leaves
  // nothing behind.
  void set_route(net::EventLoop& from, uint64_t connection_id, std::shared_ptr<Room> room);
  void clear_route(net::EventLoop& from, uint64_t connection_id);
  // On the connection's own loop.
  Room* route_in_loop(uint64_t connection_id) const;
  void clear_route_in_loop(uint64_t connection_id);

  // Routes held now, over all loops. Thread-safe (a gauge).
  uint64_t routes() const;

 private:
  net::EventLoop* loop_of(uint64_t connection_id) const;

  // One per I/O loop, touched only by that loop; `count` mirrors the
  // table's size for readers on other threads.
  struct RouteTable {
    std::unordered_map<uint64_t, std::shared_ptr<Room>> rooms;
    net::RelaxedCounter count;
    void set(uint64_t connection_id, std::shared_ptr<Room> room) {
      if (rooms.insert_or_assign(connection_id, std::move(room)).second) count.add();
    }
    void erase(uint64_t connection_id) {
      if (rooms.erase(connection_id) != 0) count.sub();
    }
  };
  std::vector<net::EventLoop*> loops_;
  std::vector<std::unique_ptr<RouteTable>> routes_;  // one per I/O loop
};

}  // namespace citadel::rooms
