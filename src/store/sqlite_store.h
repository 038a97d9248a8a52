// The embedded default store: accounts and chat history in one SQLite file.
//
// One writer thread owns the connection. Calls from any thread go into a
// bounded queue; the writer takes everything queued, runs it in transactions
// of up to max_batch requests (group commit), then runs the callbacks
// (QueuedStore). Reads run on the same thread in the same batches: every call
// sees the effect of every call queued before it, and one thread is enough
// (see src/store/README.md for the measurements behind that choice).
//
// Thread contract: see account_store.h. In short, every public method is safe
// from any thread and never blocks; callbacks run on the writer thread
// ("citadel-store") and must not block; a refused call (kOverloaded,
// kShuttingDown) completes inline on the caller's thread.
#pragma once

#include <span>

#include "store/queued_store.h"
#include "store/sqlite_batch_runner.h"
#include "store/sqlite_config.h"
#include "store/sqlite_database.h"

namespace citadel::store {

class SqliteStore final : public QueuedStore {
 public:
  using Stats = StoreStats;

  // Opens or creates the database, migrates the schema and starts the writer
  // thread. Throws StoreOpenError (naming the path) when the file cannot be
  // used, and std::invalid_argument when max_batch or queue_capacity is 0.
  explicit SqliteStore(SqliteConfig config);
  // shutdown(), then closes the database.
  ~SqliteStore() override;

  const SqliteConfig& config() const { return config_; }

 private:
  bool run_batch(std::span<QueuedRequest> batch) override;

  const SqliteConfig config_;
  // Declaration order is destruction order in reverse: the runner's
  // statements are finalized before the connection closes.
  SqliteDb db_;
  sqlite::BatchRunner runner_;
};

}  // namespace citadel::store
