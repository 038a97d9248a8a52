// The byte formats of the recovery file's columns that are not plain SQL
// values: a room's seat list. A file is read back by the build that wrote
// it or a later one, so a change here needs a new kRecoverySchemaVersion.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "store/recovery/recovery_log.h"

namespace citadel::store {

// Per seat: user id (8 bytes, little endian), name length (2, little
// endian; names are cut at 65,535 bytes), name.
std::vector<uint8_t> encode_seats(const std::vector<RoomSeat>& seats);
// Nothing if the bytes are not such a list (a damaged file).
std::optional<std::vector<RoomSeat>> decode_seats(std::span<const uint8_t> bytes);

}  // namespace citadel::store
