#include "server/local_outbox.h"

#include <algorithm>

#include "net/connection.h"
#include "net/event_loop.h"

namespace citadel::server {
namespace {

// On the connection's loop.
void deliver_in_loop(net::EventLoop& loop, uint64_t connection_id, const net::SharedBytes& frame) {
  if (net::EventLoop::node_slot_of(connection_id) != 0) {
    // A player whose socket is on another node: its link answers for it.
    if (net::Responder* remote = loop.responder_in_loop(connection_id)) {
      remote->send_shared(frame);
    } else {
      loop.mutable_stats().deliveries_dropped.add();
    }
  } else if (net::Connection* conn = loop.find_in_loop(connection_id)) {
    conn->send_shared_in_loop(frame);
  } else {
    loop.mutable_stats().deliveries_dropped.add();
  }
}

}  // namespace

LocalOutbox::LocalOutbox(std::vector<net::EventLoop*> io_loops) : loops_(std::move(io_loops)) {}

net::EventLoop* LocalOutbox::loop_of(uint64_t connection_id) const {
  const uint32_t index = net::EventLoop::loop_of(connection_id);
  return index < loops_.size() ? loops_[index] : nullptr;
}

void LocalOutbox::send_from(net::EventLoop* from, uint64_t connection_id, net::SharedBytes frame) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) return;
  if (to == from) return deliver_in_loop(*to, connection_id, frame);
  to->post([to, connection_id, frame = std::move(frame)] {
    deliver_in_loop(*to, connection_id, frame);
  });
}

// Many threads share one outbox (every room executor, the service loop):
// the grouping by loop lives in thread_local scratch, its capacity kept
// between calls, so a broadcast allocates only the ids each task carries.
void LocalOutbox::send_many_from(net::EventLoop* from, std::span<const uint64_t> connection_ids,
                                 const net::SharedBytes& frame) {
  thread_local std::vector<std::vector<uint64_t>> remote;
  remote.resize(std::max(remote.size(), loops_.size()));
  for (uint64_t id : connection_ids) {
    net::EventLoop* to = loop_of(id);
    if (to == nullptr) continue;
    if (to == from) {
      deliver_in_loop(*to, id, frame);
    } else {
      remote[to->index()].push_back(id);
    }
  }
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    if (remote[i].empty()) continue;
    net::EventLoop* to = loops_[i];
    to->post([to, ids = std::move(remote[i]), frame] {
      for (uint64_t id : ids) deliver_in_loop(*to, id, frame);
    });
    remote[i].clear();
  }
}

void LocalOutbox::with_connection_from(net::EventLoop* from, uint64_t connection_id,
                                       std::function<void(net::Responder&)> f,
                                       std::function<void()> on_gone) {
  net::EventLoop* to = loop_of(connection_id);
  if (to == nullptr) {
    if (on_gone) on_gone();
    return;
  }
  auto run = [to, connection_id, f = std::move(f), on_gone = std::move(on_gone)] {
    if (net::Responder* conn = to->responder_in_loop(connection_id)) {
      f(*conn);
    } else {
      to->mutable_stats().deliveries_dropped.add();
      if (on_gone) on_gone();
    }
  };
  if (to == from) return run();
  to->post(std::move(run));
}

}  // namespace citadel::server
