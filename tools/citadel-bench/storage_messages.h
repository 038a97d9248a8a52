// The storage messages the storage scenario speaks (src/protocol/schemas/
// storage.fbs): a one-object StorageWrite and StorageRead of the sender's own
// objects, and the two fields of a StorageReply the bench needs.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace citadel::bench {

// Per worker thread. Each span is valid until the next call.
class StorageEncoder {
 public:
  // An unconditional write (no version, not if_absent), owner-only permissions.
  std::span<const uint8_t> write(uint32_t request_id, std::string_view collection,
                                 std::string_view key, std::string_view json_value);
  std::span<const uint8_t> read(uint32_t request_id, std::string_view collection,
                                std::string_view key);

 private:
  std::span<const uint8_t> finished();
  flatbuffers::FlatBufferBuilder fbb_{256};
};

struct StorageReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;  // msg::StorageResult
};

// nullopt: the payload is not a valid StorageReply.
std::optional<StorageReplyFields> decode_storage_reply(std::span<const uint8_t> payload);
// "Ok", "StoreUnavailable", ...; "unknown" if not a StorageResult.
std::string_view storage_result_name(uint16_t result);

}  // namespace citadel::bench
