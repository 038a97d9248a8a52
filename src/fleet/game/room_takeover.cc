#include "fleet/game/room_takeover.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "fleet/link/rendezvous_hash.h"

namespace citadel::fleet {

RoomTakeover::RoomTakeover(net::EventLoop& loop, Options options, Hooks hooks, Counters& counters)
    : loop_(loop), options_(std::move(options)), hooks_(std::move(hooks)), counters_(counters) {}

RoomTakeover::~RoomTakeover() {
  *alive_ = false;
  for (auto& [id, p] : pending_) loop_.cancel_timer_in_loop(p.timer);
}

std::vector<std::string> RoomTakeover::rank(uint64_t room_id, std::vector<std::string> nodes) {
  const std::string key = std::to_string(room_id);
  std::sort(nodes.begin(), nodes.end(), [&](const std::string& a, const std::string& b) {
    const uint64_t wa = link::rendezvous_weight(key, a), wb = link::rendezvous_weight(key, b);
    return wa != wb ? wa > wb : a < b;
  });
  return nodes;
}

void RoomTakeover::set_live_nodes(std::vector<std::string> nodes) {
  live_ = std::move(nodes);
}

bool RoomTakeover::is_live(const std::string& node) const {
  return std::find(live_.begin(), live_.end(), node) != live_.end();
}

void RoomTakeover::owner_gone(uint64_t room_id, const std::string& type,
                              const std::string& former) {
  if (former == options_.node_id) return;  // this node released it (or lost it: fencing's part)
  if (pending_.contains(room_id)) return;
  Pending& p = pending_[room_id];
  p.type = type;
  p.former = former;
  schedule(room_id, p, options_.settle);
}

void RoomTakeover::owner_set(uint64_t room_id) {
  auto it = pending_.find(room_id);
  if (it == pending_.end()) return;
  loop_.cancel_timer_in_loop(it->second.timer);
  pending_.erase(it);
}

void RoomTakeover::schedule(uint64_t room_id, Pending& p, std::chrono::milliseconds after) {
  p.timer = loop_.run_at_in_loop(loop_.now() + after, [this, alive = alive_, room_id] {
    if (*alive) look(room_id);
  });
}

void RoomTakeover::look(uint64_t room_id) {
  auto it = pending_.find(room_id);
  if (it == pending_.end()) return;
  Pending& p = it->second;
  if (is_live(p.former)) {
    // Its owner is still in the table: it closed the room, or the table
    // has not heard of the owner's lease yet. One more look, then leave it.
    if (p.former_seen) {
      pending_.erase(it);
      return;
    }
    p.former_seen = true;
    schedule(room_id, p, options_.backup_delay);
    return;
  }
  if (!p.ranked) {
    const auto order = rank(room_id, live_);
    const auto me = std::find(order.begin(), order.end(), options_.node_id);
    if (me == order.end()) {
      pending_.erase(it);  // this node takes no rooms (draining, or not listed yet)
      return;
    }
    const auto position = static_cast<int>(me - order.begin());
    if (position > 0) {
      p.ranked = true;
      schedule(room_id, p, options_.backup_delay * position);
      return;
    }
  }
  std::string type = std::move(p.type);
  pending_.erase(it);
  take(room_id, std::move(type));
}

void RoomTakeover::take(uint64_t room_id, std::string type) {
  ++in_flight_;
  hooks_.claim(room_id, type, [this, alive = alive_, room_id](int64_t epoch) {
    if (!*alive) return;
    if (epoch == 0) {
      counters_.lost_claims.add();
      return done_one();
    }
    spdlog::info("fleet: took room {} over (epoch {}): restoring its snapshot", room_id, epoch);
    hooks_.read_snapshot(
        room_id, [this, alive, room_id](Snapshot snapshot, const std::string& error) {
          if (!*alive) return;
          if (!snapshot) {
            counters_.no_snapshot.add();
            spdlog::warn("fleet: room {} taken over but not restored: {}", room_id,
                         error.empty() ? std::string("no snapshot of it in Redis") : error);
            hooks_.release(room_id);
          } else if (snapshot->room_id != room_id) {
            counters_.no_snapshot.add();
            spdlog::error("fleet: room {}'s snapshot names room {}: not restored", room_id,
                          snapshot->room_id);
            hooks_.release(room_id);
          } else if (hooks_.restore(std::move(*snapshot))) {
            counters_.restored.add();
          } else {
            counters_.refused.add();
            hooks_.release(room_id);
          }
          done_one();
        });
  });
}

void RoomTakeover::done_one() {
  if (--in_flight_ == 0 && hooks_.idle) hooks_.idle();
}

}  // namespace citadel::fleet
