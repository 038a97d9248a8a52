#include "rooms/delivery.h"

#include "net/responder.h"

namespace citadel::rooms {

Delivery::Delivery(std::vector<net::EventLoop*> io_loops) : loops_(std::move(io_loops)) {
  for (std::size_t i = 0; i < loops_.size(); ++i) routes_.push_back(std::make_unique<RouteTable>());
}

net::EventLoop* Delivery::loop_of(uint64_t connection_id) const {
  const uint32_t index = net::EventLoop::loop_of(connection_id);
  return index < loops_.size() ? loops_[index] : nullptr;
}

namespace {
void deliver_in_loop(net::EventLoop& loop, uint64_t connection_id, const net::SharedBytes& frame) {
  if (net::Responder* peer = loop.responder_in_loop(connection_id)) {
    peer->send_shared(frame);
  } else {
    loop.mutable_stats().deliveries_dropped.add();
  }
}
}  // namespace

void Delivery::send(net::EventLoop& from, uint64_t connection_id, const net::SharedBytes& frame) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  if (to == &from) return deliver_in_loop(*to, connection_id, frame);
  to->post([to, connection_id, frame] { deliver_in_loop(*to, connection_id, frame); });
}

// Several executor threads share one Delivery: the per-loop grouping lives
// in thread_local scratch (its capacity kept between calls).
void Delivery::send_many(net::EventLoop& from, std::span<const uint64_t> connection_ids,
                         const net::SharedBytes& frame) {
  thread_local std::vector<std::vector<uint64_t>> remote;
  remote.resize(loops_.size());
  for (uint64_t id : connection_ids) {
    net::EventLoop* to = loop_of(id);
    if (to == nullptr) continue;
    if (to == &from) {
      deliver_in_loop(*to, id, frame);
    } else {
      remote[to->index()].push_back(id);
    }
  }
  for (std::size_t i = 0; i < remote.size(); ++i) {
    if (remote[i].empty()) continue;
    net::EventLoop* to = loops_[i];
    to->post([to, ids = std::move(remote[i]), frame] {
      for (uint64_t id : ids) deliver_in_loop(*to, id, frame);
    });
    remote[i].clear();
  }
}

void Delivery::with_connection(net::EventLoop& from, uint64_t connection_id,
                               std::function<void(net::Responder&)> f) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  auto run = [to, connection_id, f = std::move(f)] {
    if (net::Responder* peer = to->responder_in_loop(connection_id)) f(*peer);
  };
  if (to == &from) return run();
  to->post(std::move(run));
}

void Delivery::set_route(net::EventLoop& from, uint64_t connection_id, std::shared_ptr<Room> room) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  RouteTable* table = routes_[to->index()].get();
  auto set = [to, table, connection_id, room = std::move(room)]() mutable {
    if (to->responder_in_loop(connection_id) != nullptr) table->set(connection_id, std::move(room));
  };
  if (to == &from) return set();
  to->post(std::move(set));
}

void Delivery::clear_route(net::EventLoop& from, uint64_t connection_id) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  RouteTable* table = routes_[to->index()].get();
  if (to == &from) {
    table->erase(connection_id);
    return;
  }
  to->post([table, connection_id] { table->erase(connection_id); });
}

Room* Delivery::route_in_loop(uint64_t connection_id) const {
  const net::EventLoop* loop = loop_of(connection_id);
  if (loop == nullptr) return nullptr;
  CITADEL_ASSERT_IN_LOOP(*loop);
  const auto& rooms = routes_[loop->index()]->rooms;
  auto it = rooms.find(connection_id);
  return it == rooms.end() ? nullptr : it->second.get();
}

uint64_t Delivery::routes() const {
  uint64_t n = 0;
  for (const auto& table : routes_) n += table->count.get();
  return n;
}

void Delivery::clear_route_in_loop(uint64_t connection_id) {
  if (const net::EventLoop* loop = loop_of(connection_id)) {
    CITADEL_ASSERT_IN_LOOP(*loop);
    routes_[loop->index()]->erase(connection_id);
  }
}

}  // namespace citadel::rooms
