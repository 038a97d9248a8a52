// A storage backend as the server holds it: the ports (AccountStore,
// ChatHistoryStore, ObjectStore) plus what every backend has besides them, its shutdown
// and its statistics. Services hand the ports to the services that need
// them and keep this for the lifecycle and /metrics. open_store()
// (store_factory.h) picks the backend from the config.
#pragma once

#include <string_view>

#include "store/account_store.h"
#include "store/chat_history_store.h"
#include "store/leaderboard_store.h"
#include "store/object_store.h"
#include "store/store_stats.h"

namespace citadel::store {

class Store : public AccountStore,
              public ChatHistoryStore,
              public LeaderboardStore,
              public ObjectStore {
 public:
  // Refuses new calls (kShuttingDown, completed inline), completes every
  // request already accepted (writes committed, callbacks run) and joins the
  // store's threads. Whoever the callbacks refer to must outlive this call.
  // Idempotent; not from a store callback.
  virtual void shutdown() = 0;
  virtual StoreStats stats() const = 0;          // any thread
  virtual std::string_view backend() const = 0;  // "sqlite", "postgres": the metrics label
};

}  // namespace citadel::store
