// The player storage messages (schemas/storage.fbs), typed: plain structs for
// StorageRead, StorageWrite, StorageDelete and StorageList, their encoders,
// and the decoder of StorageReply. The decoder runs the FlatBuffers verifier
// first: these are bytes from the network. The wire contract (names,
// versions, permissions, cursors, batches) is docs/protocol.md, "Storage".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::client {

// StorageReply result codes (the StorageResult enum in schemas/storage.fbs;
// the numbers are part of the protocol and never change).
namespace storage_result {
inline constexpr uint16_t kOk = 0;
inline constexpr uint16_t kInvalidRequest = 1;
inline constexpr uint16_t kInvalidCollection = 2;
inline constexpr uint16_t kInvalidKey = 3;
inline constexpr uint16_t kInvalidJson = 4;
inline constexpr uint16_t kValueTooLarge = 5;
inline constexpr uint16_t kTooManyObjects = 6;
inline constexpr uint16_t kVersionConflict = 7;
inline constexpr uint16_t kPermissionDenied = 8;
inline constexpr uint16_t kBadCursor = 9;
inline constexpr uint16_t kStoreUnavailable = 10;
inline constexpr uint16_t kInternalError = 11;
}  // namespace storage_result
// The enum's name for a result code ("VersionConflict"), or "" if unknown.
std::string_view storage_result_name(uint16_t result);

// Object permissions (storage.fbs): who may read, who may write.
namespace storage_permission {
inline constexpr uint8_t kReadServerOnly = 0;
inline constexpr uint8_t kReadOwner = 1;  // the default
inline constexpr uint8_t kReadPublic = 2;
inline constexpr uint8_t kWriteServerOnly = 0;  // final for clients once written
inline constexpr uint8_t kWriteOwner = 1;       // the default
}  // namespace storage_permission

// An object's address in a StorageRead.
struct StorageObjectId {
  std::string collection;
  std::string key;
  uint64_t user_id = 0;  // the owner; 0: yourself
};

// One object in a StorageWrite (always your own).
struct StorageWriteItem {
  std::string collection;
  std::string key;
  std::string value;       // a JSON object, stored byte for byte
  uint64_t version = 0;    // 0: no condition; N: only if the stored version is N
  bool if_absent = false;  // only if no object exists (not with version)
  uint8_t permission_read = storage_permission::kReadOwner;
  uint8_t permission_write = storage_permission::kWriteOwner;
};

// One object in a StorageDelete (always your own).
struct StorageDeleteItem {
  std::string collection;
  std::string key;
  uint64_t version = 0;  // 0: whatever is there; N: only if the stored version is N
};

// A StorageList: one page of a user's objects in a collection, by key.
struct StorageListRequest {
  std::string collection;
  uint64_t user_id = 0;                 // whose objects; 0: yours
  uint32_t limit = 0;                   // 1..100; 0 means 100
  std::optional<std::string> cursor{};  // the previous page's cursor; nullopt: the first page
};

// An object as the server returns it.
struct StorageObject {
  std::string collection;
  std::string key;
  uint64_t user_id = 0;  // the owner
  std::string value;     // the JSON object, as written
  uint64_t version = 0;  // 1 when created, +1 on every write
  uint8_t permission_read = 0;
  uint8_t permission_write = 0;
  uint64_t created_unix_ms = 0;
  uint64_t updated_unix_ms = 0;

  bool operator==(const StorageObject&) const = default;
};

// A decoded StorageReply (cmd 0x0404), copied out of the frame.
struct StorageReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;
  std::string message;
  int32_t failed_index = -1;           // the item a refusal is about, or -1
  std::vector<StorageObject> objects;  // StorageRead, StorageList
  std::vector<uint64_t> versions;      // StorageWrite Ok: each item's new version, in order
  std::optional<std::string> cursor;   // StorageList: the next page's; nullopt on the last

  bool ok() const { return result == storage_result::kOk; }
  bool operator==(const StorageReplyFields&) const = default;
};
// What Client::storage_list gives: one page, and the cursor of the next.
struct StoragePage {
  std::vector<StorageObject> objects;
  std::optional<std::string> cursor;  // nullopt on the last page
};

// What Client::storage_delete gives: nothing but success.
struct StorageDeleted {};

// nullopt if the payload is not a valid StorageReply.
std::optional<StorageReplyFields> decode_storage_reply(std::span<const uint8_t> payload);

std::vector<uint8_t> encode_storage_read(uint32_t request_id,
                                         std::span<const StorageObjectId> objects);
std::vector<uint8_t> encode_storage_write(uint32_t request_id,
                                          std::span<const StorageWriteItem> objects);
std::vector<uint8_t> encode_storage_delete(uint32_t request_id,
                                           std::span<const StorageDeleteItem> objects);
std::vector<uint8_t> encode_storage_list(uint32_t request_id, const StorageListRequest& request);

}  // namespace citadel::client
