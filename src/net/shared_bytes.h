// Encoded frames shared by many recipients (a broadcast, a room's state):
// made once, referenced by every output queue they go to.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace citadel::net {

// Immutable once made, so any loop may reference it.
using SharedBytes = std::shared_ptr<const std::vector<uint8_t>>;

}  // namespace citadel::net
