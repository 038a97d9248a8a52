#include "store/recovery/recovery_codec.h"

#include <algorithm>

namespace citadel::store {

std::vector<uint8_t> encode_seats(const std::vector<RoomSeat>& seats) {
  std::vector<uint8_t> out;
  for (const auto& s : seats) {
    const auto size = static_cast<uint16_t>(std::min<std::size_t>(s.username.size(), 0xffff));
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(s.user_id >> (8 * i)));
    out.push_back(static_cast<uint8_t>(size & 0xff));
    out.push_back(static_cast<uint8_t>(size >> 8));
    out.insert(out.end(), s.username.begin(), s.username.begin() + size);
  }
  return out;
}

std::optional<std::vector<RoomSeat>> decode_seats(std::span<const uint8_t> bytes) {
  std::vector<RoomSeat> seats;
  std::size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 10) return std::nullopt;
    RoomSeat s;
    for (int i = 0; i < 8; ++i) s.user_id |= static_cast<uint64_t>(bytes[at + i]) << (8 * i);
    const std::size_t size = bytes[at + 8] | (static_cast<std::size_t>(bytes[at + 9]) << 8);
    at += 10;
    if (bytes.size() - at < size) return std::nullopt;
    s.username.assign(reinterpret_cast<const char*>(bytes.data() + at), size);
    at += size;
    seats.push_back(std::move(s));
  }
  return seats;
}

}  // namespace citadel::store
