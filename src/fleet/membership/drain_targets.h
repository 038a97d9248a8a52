// Where a draining gateway sends its clients (docs/fleet.md "Draining"):
// the other live gateways of the table, each client to one of them chosen
// by rendezvous hashing of its connection id, so a drain spreads its
// clients over every gateway left rather than piling them on one, and a
// gateway that is itself draining is never chosen.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/membership/fleet_view.h"

namespace citadel::fleet {

struct DrainTarget {
  std::string node_id;
  std::string address;  // its game port, host:port (what clients connect to)
};

// The gateways of `table` a client may move to: role gateway, not
// draining, not `self`, with a game address. In node id order.
std::vector<DrainTarget> drain_targets(const FleetTable& table, std::string_view self);
// The target for the client `key` (its connection id), or nullptr if there
// is none.
const DrainTarget* pick_drain_target(std::span<const DrainTarget> targets, uint64_t key);

}  // namespace citadel::fleet
