#include "fleet/membership/drain_targets.h"

#include "fleet/link/rendezvous_hash.h"

namespace citadel::fleet {

namespace {

// splitmix64's finaliser over the FNV weight: FNV-1a alone left sequential
// keys 25/25/50 over three gateways; mixed, each gets its third.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::vector<DrainTarget> drain_targets(const FleetTable& table, std::string_view self) {
  std::vector<DrainTarget> out;
  for (const auto& [id, entry] : table) {
    const NodeRecord& r = entry.record;
    if (id == self || r.role != "gateway" || r.draining || r.game_address.empty()) continue;
    out.push_back(DrainTarget{id, r.game_address});
  }
  return out;
}

const DrainTarget* pick_drain_target(std::span<const DrainTarget> targets, uint64_t key) {
  const DrainTarget* best = nullptr;
  uint64_t best_weight = 0;
  // Decimal, one spelling: any node computing it agrees (tests rely on it).
  const std::string k = std::to_string(key);
  for (const DrainTarget& t : targets) {
    const uint64_t w = mix(link::rendezvous_weight(k, t.node_id));
    if (best == nullptr || w > best_weight) {
      best = &t;
      best_weight = w;
    }
  }
  return best;
}

}  // namespace citadel::fleet
