#include "rooms/room_routes.h"

namespace citadel::rooms {

RoomRoutes::RoomRoutes(std::vector<net::EventLoop*> io_loops) : loops_(std::move(io_loops)) {
  for (std::size_t i = 0; i < loops_.size(); ++i) routes_.push_back(std::make_unique<RouteTable>());
}

net::EventLoop* RoomRoutes::loop_of(uint64_t connection_id) const {
  const uint32_t index = net::EventLoop::loop_of(connection_id);
  return index < loops_.size() ? loops_[index] : nullptr;
}

void RoomRoutes::set_route(net::EventLoop& from, uint64_t connection_id,
                           std::shared_ptr<Room> room) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  RouteTable* table = routes_[to->index()].get();
  auto set = [to, table, connection_id, room = std::move(room)]() mutable {
    if (to->responder_in_loop(connection_id) != nullptr) table->set(connection_id, std::move(room));
  };
  if (to == &from) return set();
  to->post(std::move(set));
}

void RoomRoutes::clear_route(net::EventLoop& from, uint64_t connection_id) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  RouteTable* table = routes_[to->index()].get();
  if (to == &from) {
    table->erase(connection_id);
    return;
  }
  to->post([table, connection_id] { table->erase(connection_id); });
}

Room* RoomRoutes::route_in_loop(uint64_t connection_id) const {
  const net::EventLoop* loop = loop_of(connection_id);
  if (loop == nullptr) return nullptr;
  CITADEL_ASSERT_IN_LOOP(*loop);
  const auto& rooms = routes_[loop->index()]->rooms;
  auto it = rooms.find(connection_id);
  return it == rooms.end() ? nullptr : it->second.get();
}

uint64_t RoomRoutes::routes() const {
  uint64_t n = 0;
  for (const auto& table : routes_) n += table->count.get();
  return n;
}

void RoomRoutes::clear_route_in_loop(uint64_t connection_id) {
  if (const net::EventLoop* loop = loop_of(connection_id)) {
    CITADEL_ASSERT_IN_LOOP(*loop);
    routes_[loop->index()]->erase(connection_id);
  }
}

}  // namespace citadel::rooms
