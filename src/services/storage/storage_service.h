// Player storage over the protocol: StorageRead, StorageWrite, StorageDelete
// and StorageList (schemas/storage.fbs, docs/protocol.md "Storage") on the
// ObjectStore port.
//
// Who may do what is decided here; the store only keeps the permissions and
// checks the conditions it is given. A client reads its own objects unless
// they are server-only (read 0), and others' objects only when public
// (read 2); it writes and deletes only its own objects, never one whose
// write permission is 0.
//
// Threads: a handler checks the request on the connection's loop (names,
// sizes, JSON) and refuses it there, or hands it to the store, which never
// blocks. The store's completion runs on the store thread and is posted to
// the service loop, which encodes the reply and sends it through the
// Outbox. Requests that reach the store are answered in request order (the
// store completes in queue order); a refusal decided on arrival may
// overtake them. Clients match replies by request_id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/event_loop.h"
#include "protocol/storage_generated.h"
#include "server/outbox.h"
#include "server/router.h"
#include "services/storage/storage_cursor.h"
#include "store/object_store.h"

namespace citadel::services {

struct StorageConfig {
  uint32_t max_value_bytes = 16 * 1024;  // one object's JSON value
  uint32_t max_objects_per_batch = 100;  // items in one read, write or delete
};

inline constexpr uint32_t kMaxStorageListLimit = 100;

class StorageService {
 public:
  StorageService(net::EventLoop& service_loop, server::Outbox& outbox, store::ObjectStore& objects,
                 const TokenSigner::Secret& secret, const StorageConfig& config);

  // Start-up: the four storage commands, logged-in users only.
  void register_handlers(server::Router& router);

 private:
  using Result = msg::StorageResult;
  struct Request {
    uint64_t connection_id = 0;
    uint64_t user_id = 0;
    uint32_t request_id = 0;
  };

  // Connection loop: check, then hand to the store.
  void read(const Request& req, const msg::StorageRead& m);
  void write(const Request& req, const msg::StorageWrite& m);
  void erase(const Request& req, const msg::StorageDelete& m);
  void list(const Request& req, const msg::StorageList& m);

  // Any thread: a reply with no objects.
  void refuse(const Request& req, Result result, std::string_view message,
              int32_t failed_index = -1);
  // Store thread: a store error as a reply (true when there was one).
  bool refuse_store_error(const Request& req, store::StoreError error);

  net::EventLoop& loop_;
  server::Outbox& outbox_;
  store::ObjectStore& objects_;
  const StorageCursor cursor_;
  const StorageConfig config_;
};

}  // namespace citadel::services
