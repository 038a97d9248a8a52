// Which server a connection goes to when citadel-bench spreads its
// connections over several (--also-port: e.g. players over a fleet's
// gateways): round robin by connection id over [first, also...].
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <vector>

namespace citadel::bench {

inline const sockaddr_in& server_for(const sockaddr_in& first, const std::vector<sockaddr_in>& also,
                                     uint32_t id) {
  if (also.empty()) return first;
  const std::size_t i = id % (also.size() + 1);
  return i == 0 ? first : also[i - 1];
}

}  // namespace citadel::bench
