#include "storage_messages.h"

#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::bench {

std::span<const uint8_t> StorageEncoder::finished() {
  return {fbb_.GetBufferPointer(), fbb_.GetSize()};
}

std::span<const uint8_t> StorageEncoder::write(uint32_t request_id, std::string_view collection,
                                               std::string_view key, std::string_view json_value) {
  fbb_.Clear();
  const auto c = fbb_.CreateString(collection.data(), collection.size());
  const auto k = fbb_.CreateString(key.data(), key.size());
  const auto v = fbb_.CreateString(json_value.data(), json_value.size());
  const auto item = msg::CreateStorageWriteItem(fbb_, c, k, v);
  fbb_.Finish(msg::CreateStorageWrite(fbb_, request_id, fbb_.CreateVector(&item, 1)));
  return finished();
}

std::span<const uint8_t> StorageEncoder::read(uint32_t request_id, std::string_view collection,
                                              std::string_view key) {
  fbb_.Clear();
  const auto c = fbb_.CreateString(collection.data(), collection.size());
  const auto k = fbb_.CreateString(key.data(), key.size());
  const auto id = msg::CreateStorageObjectId(fbb_, c, k);  // user 0: the sender's own
  fbb_.Finish(msg::CreateStorageRead(fbb_, request_id, fbb_.CreateVector(&id, 1)));
  return finished();
}

std::optional<StorageReplyFields> decode_storage_reply(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::StorageReply>(payload);
  if (m == nullptr) return std::nullopt;
  return StorageReplyFields{m->request_id(), static_cast<uint16_t>(m->result())};
}

std::string_view storage_result_name(uint16_t result) {
  const char* name = msg::EnumNameStorageResult(static_cast<msg::StorageResult>(result));
  return *name != '\0' ? std::string_view(name) : std::string_view("unknown");
}

}  // namespace citadel::bench
