// Player storage objects (the Nakama storage model): JSON values addressed by
// (collection, key, owner), with a version for optimistic concurrency and
// read/write permissions. This port stores and checks conditions; who may
// read or write what is decided by the caller (the storage service for
// clients, room code for the server), which passes the checks it wants.
//
// Same thread contract as AccountStore (account_store.h): any thread may
// call; callbacks run on the store's thread and must not block; a refused
// call (kOverloaded, kShuttingDown) completes inline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/store_types.h"

namespace citadel::store {

// Read permission: 0 = no client read (server only), 1 = owner only,
// 2 = public read. Write permission: 0 = server only, 1 = owner.
inline constexpr uint8_t kReadNone = 0;
inline constexpr uint8_t kReadOwner = 1;
inline constexpr uint8_t kReadPublic = 2;
inline constexpr uint8_t kWriteNone = 0;
inline constexpr uint8_t kWriteOwner = 1;

struct ObjectId {
  std::string collection;
  std::string key;
  int64_t owner_id = 0;  // an account id; 0 for objects the server owns
};

struct StorageObject {
  std::string collection;
  std::string key;
  int64_t owner_id = 0;
  std::string value;    // JSON text, stored as given
  int64_t version = 0;  // 1 when created, +1 on every write; never reused while it exists
  uint8_t read = kReadOwner;
  uint8_t write = kWriteOwner;
  int64_t created_at_unix_ms = 0;
  int64_t updated_at_unix_ms = 0;
};

enum class ObjectCondition : uint8_t {
  kNone,     // write whatever is there
  kVersion,  // only if the stored object has exactly `version`
  kAbsent,   // only if no object exists under this id
};

struct ObjectWrite {
  ObjectId id;
  std::string value;
  uint8_t read = kReadOwner;
  uint8_t write = kWriteOwner;
  ObjectCondition condition = ObjectCondition::kNone;
  int64_t version = 0;  // with kVersion
  // A client's write: an existing object with write permission 0 is refused
  // (kPermissionDenied). Server-side writes leave this false.
  bool require_writable = false;
};

struct ObjectDelete {
  ObjectId id;
  int64_t version = 0;  // > 0: delete only that version (a missing object is a conflict)
  bool require_writable = false;
};

// Why a write or delete batch was refused as a whole. Nothing in the batch
// was written: batches are all or nothing.
enum class ObjectRefusal : uint8_t {
  kNone,
  kVersionConflict,   // a condition failed (stale version, or if_absent on an existing object)
  kPermissionDenied,  // require_writable on an object with write permission 0
};

struct ObjectWriteOutcome {
  ObjectRefusal refusal = ObjectRefusal::kNone;
  uint32_t failed_index = 0;      // the first item refused, with a refusal
  std::vector<int64_t> versions;  // writes: each item's new version, in request order
};

struct ObjectListQuery {
  int64_t owner_id = 0;
  std::string collection;
  std::string after_key;         // "" from the start; else keys strictly greater
  uint32_t limit = 100;          // the caller bounds it
  uint8_t min_read = kReadNone;  // only objects with read >= this
};

struct ObjectPage {
  std::vector<StorageObject> objects;  // by key, ascending (byte order)
  bool more = false;                   // objects past the last one exist
};

using ObjectReadResult = StoreResult<std::vector<StorageObject>>;  // the ones found
using ObjectWriteResult = StoreResult<ObjectWriteOutcome>;
using ObjectListResult = StoreResult<ObjectPage>;

class ObjectStore {
 public:
  using ReadCallback = std::function<void(ObjectReadResult)>;
  using WriteCallback = std::function<void(ObjectWriteResult)>;
  using ListCallback = std::function<void(ObjectListResult)>;

  virtual ~ObjectStore() = default;

  // The objects that exist among `ids`, in request order; missing ones are
  // left out. No permission check: the caller filters.
  virtual void read_objects(std::vector<ObjectId> ids, ReadCallback done) = 0;
  // All or nothing: every condition holds and every item is written, or the
  // outcome names the first item refused and nothing changes. Committed
  // before `done` runs.
  virtual void write_objects(std::vector<ObjectWrite> writes, WriteCallback done) = 0;
  // All or nothing, like write_objects. Deleting a missing object without a
  // version is not an error.
  virtual void delete_objects(std::vector<ObjectDelete> deletes, WriteCallback done) = 0;
  // One page of an owner's objects in a collection, by key.
  virtual void list_objects(ObjectListQuery query, ListCallback done) = 0;
};

}  // namespace citadel::store
