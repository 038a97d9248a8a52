#include "client/storage_messages.h"

#include <cstring>

#include <flatbuffers/flatbuffers.h>

#include "client/flatbuffers_io.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::client {

namespace proto = citadel::protocol;
namespace msg = citadel::msg;

namespace {

using fb_io::copy;
using fb_io::finish;
using fb_io::string;

StorageObject object_of(const msg::StorageObject& o) {
  StorageObject out;
  out.collection = copy(o.collection());
  out.key = copy(o.key());
  out.user_id = o.user_id();
  out.value = copy(o.value());
  out.version = o.version();
  out.permission_read = o.permission_read();
  out.permission_write = o.permission_write();
  out.created_unix_ms = o.created_unix_ms();
  out.updated_unix_ms = o.updated_unix_ms();
  return out;
}

}  // namespace

std::string_view storage_result_name(uint16_t result) {
  if (result > static_cast<uint16_t>(msg::StorageResult::MAX)) return {};
  return msg::EnumNameStorageResult(static_cast<msg::StorageResult>(result));
}

std::optional<StorageReplyFields> decode_storage_reply(std::span<const uint8_t> payload) {
  const msg::StorageReply* r = proto::verified_root<msg::StorageReply>(payload);
  if (r == nullptr) return std::nullopt;
  StorageReplyFields f;
  f.request_id = r->request_id();
  f.result = static_cast<uint16_t>(r->result());
  f.message = copy(r->message());
  f.failed_index = r->failed_index();
  if (const auto* objects = r->objects()) {
    f.objects.reserve(objects->size());
    for (const msg::StorageObject* o : *objects) {
      if (o != nullptr) f.objects.push_back(object_of(*o));
    }
  }
  if (const auto* versions = r->versions()) f.versions = protocol::copy_scalars(*versions);
  if (r->cursor() != nullptr) f.cursor = copy(r->cursor());
  return f;
}

std::vector<uint8_t> encode_storage_read(uint32_t request_id,
                                         std::span<const StorageObjectId> objects) {
  flatbuffers::FlatBufferBuilder b(128);
  std::vector<flatbuffers::Offset<msg::StorageObjectId>> ids;
  ids.reserve(objects.size());
  for (const StorageObjectId& o : objects) {
    const auto collection = string(b, o.collection);
    const auto key = string(b, o.key);
    ids.push_back(msg::CreateStorageObjectId(b, collection, key, o.user_id));
  }
  b.Finish(msg::CreateStorageRead(b, request_id, b.CreateVector(ids)));
  return finish(b);
}

std::vector<uint8_t> encode_storage_write(uint32_t request_id,
                                          std::span<const StorageWriteItem> objects) {
  flatbuffers::FlatBufferBuilder b(256);
  std::vector<flatbuffers::Offset<msg::StorageWriteItem>> items;
  items.reserve(objects.size());
  for (const StorageWriteItem& o : objects) {
    const auto collection = string(b, o.collection);
    const auto key = string(b, o.key);
    const auto value = string(b, o.value);
    items.push_back(msg::CreateStorageWriteItem(b, collection, key, value, o.version, o.if_absent,
                                                o.permission_read, o.permission_write));
  }
  b.Finish(msg::CreateStorageWrite(b, request_id, b.CreateVector(items)));
  return finish(b);
}

std::vector<uint8_t> encode_storage_delete(uint32_t request_id,
                                           std::span<const StorageDeleteItem> objects) {
  flatbuffers::FlatBufferBuilder b(128);
  std::vector<flatbuffers::Offset<msg::StorageDeleteItem>> items;
  items.reserve(objects.size());
  for (const StorageDeleteItem& o : objects) {
    const auto collection = string(b, o.collection);
    const auto key = string(b, o.key);
    items.push_back(msg::CreateStorageDeleteItem(b, collection, key, o.version));
  }
  b.Finish(msg::CreateStorageDelete(b, request_id, b.CreateVector(items)));
  return finish(b);
}

std::vector<uint8_t> encode_storage_list(uint32_t request_id, const StorageListRequest& request) {
  flatbuffers::FlatBufferBuilder b(128);
  const auto collection = string(b, request.collection);
  const auto cursor =
      request.cursor ? string(b, *request.cursor) : flatbuffers::Offset<flatbuffers::String>();
  b.Finish(
      msg::CreateStorageList(b, request_id, collection, request.user_id, request.limit, cursor));
  return finish(b);
}

}  // namespace citadel::client
