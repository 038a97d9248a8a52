// The rules every storage object obeys, whoever writes it (a client through
// the storage service, or room code through the server-side API): checked by
// the store before a request is queued, and by the service first so that a
// client gets a specific result code.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "store/object_store.h"

namespace citadel::store {

inline constexpr std::size_t kMaxObjectNameBytes = 128;

// 1..128 bytes of letters, digits, '_', '-', '.', ':' (no spaces, no
// control or non-ASCII bytes: names appear in logs, cursors and URLs).
bool valid_object_name(std::string_view name);

// The value is a JSON document whose top level is an object (RFC 8259
// syntax; strings valid UTF-8). JSON has no NaN or infinities, so none can
// be stored.
bool valid_object_json(std::string_view value);

// Read 0..2, write 0..1.
bool valid_permissions(uint8_t read, uint8_t write);

// Whole requests, as every ObjectStore checks them before queueing: names,
// permissions, JSON, a version with kVersion, one item per object, not empty.
bool valid_object_reads(const std::vector<ObjectId>& ids);
bool valid_object_writes(const std::vector<ObjectWrite>& writes);
bool valid_object_deletes(const std::vector<ObjectDelete>& deletes);
bool valid_object_list(const ObjectListQuery& query);

// Two items of one batch name the same object (not allowed: which one wins
// would be undefined, and a batch is one atomic step).
template <class Item, class IdOf>
bool has_duplicate_ids(const std::vector<Item>& items, IdOf id_of);

}  // namespace citadel::store

#include <algorithm>
#include <tuple>
#include <vector>

namespace citadel::store {

template <class Item, class IdOf>
bool has_duplicate_ids(const std::vector<Item>& items, IdOf id_of) {
  std::vector<std::tuple<int64_t, std::string_view, std::string_view>> ids;
  ids.reserve(items.size());
  for (const Item& item : items) {
    const ObjectId& id = id_of(item);
    ids.emplace_back(id.owner_id, id.collection, id.key);
  }
  std::sort(ids.begin(), ids.end());
  return std::adjacent_find(ids.begin(), ids.end()) != ids.end();
}

}  // namespace citadel::store
