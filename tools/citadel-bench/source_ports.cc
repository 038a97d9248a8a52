#include "source_ports.h"

#include <algorithm>
#include <fstream>

namespace citadel::bench {

std::pair<uint16_t, uint16_t> SourcePorts::ephemeral_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 0;
  unsigned last = 0;
  if (in >> first >> last && first > 0 && first <= last && last <= 65535) {
    return {static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
  }
  return {32768, 60999};
}

SourcePorts::SourcePorts(std::pair<uint16_t, uint16_t> range, uint32_t index, uint32_t slices,
                         uint64_t seed) {
  const uint32_t total = uint32_t{range.second} - range.first + 1;
  slices = std::max<uint32_t>(slices, 1);
  const uint32_t begin = static_cast<uint32_t>(uint64_t{total} * index / slices);
  const uint32_t end = static_cast<uint32_t>(uint64_t{total} * (index + 1) / slices);
  first_ = static_cast<uint16_t>(range.first + begin);
  count_ = std::max<uint32_t>(end - begin, 1);
  cursor_ = static_cast<uint32_t>(seed % count_);
}

uint16_t SourcePorts::next() {
  const auto port = static_cast<uint16_t>(first_ + cursor_);
  cursor_ = cursor_ + 1 == count_ ? 0 : cursor_ + 1;
  return port;
}

}  // namespace citadel::bench
