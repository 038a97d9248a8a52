#include "rooms/room_routes.h"

#include "rooms/room.h"

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
  auto set = [this, to, table, connection_id, room = std::move(room)]() mutable {
    if (to->responder_in_loop(connection_id) == nullptr) return;
    auto it = table->rooms.find(connection_id);
    if (it == table->rooms.end() || !it->second.room) {
      table->set(connection_id, std::move(room));
      return;
    }
    Route& route = it->second;
    if (route.handover) {  // already moving: to this room now
      route.handover->to = std::move(room);
      route.handover->out = nullptr;
      return;
    }
    if (route.room == room) return;
    // Another room: a transfer. That room may still hold inputs of this
    // connection (sent before it let the player go): they come first.
    route.handover = std::make_unique<Route::Handover>();
    route.handover->to = std::move(room);
    start_handover_in_loop(*to, *table, connection_id, route.room);
  };
  if (to == &from) return set();
  to->post(std::move(set));
}

void RoomRoutes::clear_route(net::EventLoop& from, uint64_t connection_id, const Room* room) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  RouteTable* table = routes_[to->index()].get();
  auto clear = [table, connection_id, room] {
    auto it = table->rooms.find(connection_id);
    // A route another room set since, or one moving, is not this room's to clear.
    if (it == table->rooms.end() || it->second.room.get() != room || it->second.handover) return;
    table->erase(connection_id);
  };
  if (to == &from) return clear();
  to->post(std::move(clear));
}

void RoomRoutes::start_handover_in_loop(net::EventLoop& loop, RouteTable& table,
                                        uint64_t connection_id, std::shared_ptr<Room> from) {
  RouteTable* t = &table;
  if (&from->executor() == &loop) {
    auto [cmd, inputs] = from->hand_back_in_loop(connection_id);
    return finish_handover_in_loop(table, connection_id, cmd, std::move(inputs));
  }
  // The room's thread runs this after every input this loop posted it
  // before: what it hands back is all it will ever get for the connection.
  from->executor().post([this, &loop, t, connection_id, from] {
    auto back = from->hand_back_in_loop(connection_id);
    loop.post([this, t, connection_id, back = std::move(back)]() mutable {
      finish_handover_in_loop(*t, connection_id, back.first, std::move(back.second));
    });
  });
}

void RoomRoutes::finish_handover_in_loop(RouteTable& table, uint64_t connection_id, uint16_t cmd,
                                         std::vector<HeldInput> inputs) {
  auto it = table.rooms.find(connection_id);
  if (it == table.rooms.end() || !it->second.handover) return;  // the connection closed
  auto handover = std::move(it->second.handover);
  const std::size_t returned = inputs.size();
  // Returned first (sent earlier), then those held here.
  for (auto& h : handover->held) inputs.push_back(std::move(h));
  if (handover->out) {
    table.erase(connection_id);
    return handover->out(cmd, std::move(inputs));
  }
  std::shared_ptr<Room> to = std::move(handover->to);
  it->second.room = to;
  // Inputs follow only to a room of the type they were sent for; the
  // held ones were checked against the new room's type when they came.
  if (cmd != to->type().input_cmd) inputs.erase(inputs.begin(), inputs.begin() + returned);
  if (inputs.empty()) return;
  const bool check = to->type().swappable;
  if (&to->executor() == loop_of(connection_id)) {
    for (const auto& in : inputs) to->input_in_loop(in.user_id, in.bytes, check);
    return;
  }
  to->executor().post([to, check, inputs = std::move(inputs)] {
    for (const auto& in : inputs) to->input_in_loop(in.user_id, in.bytes, check);
  });
}

void RoomRoutes::take_inputs_in_loop(uint64_t connection_id, TakeInputs out) {
  net::EventLoop* loop = loop_of(connection_id);
  if (loop == nullptr) return out(0, {});
  CITADEL_ASSERT_IN_LOOP(*loop);
  RouteTable& table = *routes_[loop->index()];
  auto it = table.rooms.find(connection_id);
  if (it == table.rooms.end() || !it->second.room) return out(0, {});
  Route& route = it->second;
  if (route.handover) {
    route.handover->to = nullptr;
    route.handover->out = std::move(out);
    return;
  }
  route.handover = std::make_unique<Route::Handover>();
  route.handover->out = std::move(out);
  start_handover_in_loop(*loop, table, connection_id, route.room);
}

bool RoomRoutes::hold_in_loop(uint64_t connection_id, Route& route, uint64_t user_id,
                              std::span<const uint8_t> payload) {
  auto& h = *route.handover;
  if (h.held.size() >= kMaxHeldInputs || h.held_bytes + payload.size() > kMaxHeldBytes) {
    if (const net::EventLoop* loop = loop_of(connection_id)) {
      routes_[loop->index()]->held_dropped.add();
    }
    return false;
  }
  h.held_bytes += payload.size();
  h.held.push_back(HeldInput{user_id, std::vector<uint8_t>(payload.begin(), payload.end())});
  return true;
}

Room* RoomRoutes::route_in_loop(uint64_t connection_id) const {
  const net::EventLoop* loop = loop_of(connection_id);
  if (loop == nullptr) return nullptr;
  CITADEL_ASSERT_IN_LOOP(*loop);
  const auto& rooms = routes_[loop->index()]->rooms;
  auto it = rooms.find(connection_id);
  return it == rooms.end() ? nullptr : it->second.room.get();
}

RoomRoutes::Route* RoomRoutes::find_in_loop(uint64_t connection_id) {
  const net::EventLoop* loop = loop_of(connection_id);
  if (loop == nullptr) return nullptr;
  CITADEL_ASSERT_IN_LOOP(*loop);
  auto& rooms = routes_[loop->index()]->rooms;
  auto it = rooms.find(connection_id);
  return it == rooms.end() ? nullptr : &it->second;
}

uint64_t RoomRoutes::routes() const {
  uint64_t n = 0;
  for (const auto& table : routes_) n += table->count.get();
  return n;
}

uint64_t RoomRoutes::held_dropped() const {
  uint64_t n = 0;
  for (const auto& table : routes_) n += table->held_dropped.get();
  return n;
}

void RoomRoutes::clear_route_in_loop(uint64_t connection_id) {
  if (const net::EventLoop* loop = loop_of(connection_id)) {
    CITADEL_ASSERT_IN_LOOP(*loop);
    routes_[loop->index()]->erase(connection_id);
  }
}

}  // namespace citadel::rooms
