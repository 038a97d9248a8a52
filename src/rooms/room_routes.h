// The rooms' path to connections. A room and its players' connections may
// live on different threads: what a room sends to a connection on its own
// thread is queued directly (no post, no lock); anything else is posted to
// the connection's loop, one task per loop per send.
//
// It also keeps, per I/O loop, the route from a connection to its room, so
// an input finds its room without leaving the connection's thread. Each
// loop's table is touched only by that loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "net/loop_stats.h"
#include "net/responder.h"
#include "net/shared_bytes.h"

namespace citadel::rooms {

class Room;

class Delivery {
 public:
  explicit Delivery(std::vector<net::EventLoop*> io_loops);

  // Called on `from`'s thread. Frames to one connection keep their order.
  void send(net::EventLoop& from, uint64_t connection_id, const net::SharedBytes& frame);
  void send_many(net::EventLoop& from, std::span<const uint64_t> connection_ids,
                 const net::SharedBytes& frame);
  // Runs f on the connection's loop if it is open (directly when that is
  // `from`'s thread), ordered with the sends above.
  void with_connection(net::EventLoop& from, uint64_t connection_id,
                       std::function<void(net::Responder&)> f);

  // Routes (connection -> room), set and cleared from the room's thread;
  // ordered with the sends above. A route is only set for an open
  // connection, so a connection that closed meanwhile leaves nothing behind.
  void set_route(net::EventLoop& from, uint64_t connection_id, std::shared_ptr<Room> room);
  void clear_route(net::EventLoop& from, uint64_t connection_id);
  // On the connection's own loop.
  Room* route_in_loop(uint64_t connection_id) const;
  void clear_route_in_loop(uint64_t connection_id);

  net::EventLoop* loop_of(uint64_t connection_id) const;
  // Routes held now, over all loops. Thread-safe (a gauge).
  uint64_t routes() const;

 private:
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
