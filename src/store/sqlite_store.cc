#include "store/sqlite_store.h"

#include <utility>

namespace citadel::store {
namespace {

QueueOptions queue_options_of(const SqliteConfig& config) {
  return {config.max_batch, config.queue_capacity, config.group_commit_window_us,
          config.history_per_channel};
}

}  // namespace

// The base checks the sizes before the file is opened.
SqliteStore::SqliteStore(SqliteConfig config)
    : QueuedStore("sqlite", "citadel-store", queue_options_of(config)),
      config_(std::move(config)),
      db_(open_sqlite_database(config_)),
      runner_(db_.get(), config_.history_per_channel) {
  start();
}

SqliteStore::~SqliteStore() {
  shutdown();  // the writer uses runner_ and db_ until it is joined
}

bool SqliteStore::run_batch(std::span<QueuedRequest> batch) {
  return runner_.run_in_writer(batch);
}

}  // namespace citadel::store
