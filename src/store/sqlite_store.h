// The embedded default store: accounts and chat history in one SQLite file.
//
// One writer thread owns the connection. Calls from any thread go into a
// bounded queue; the writer takes everything queued, runs it in transactions
// of up to max_batch requests (group commit), then runs the callbacks. Reads
// run on the same thread in the same batches: every call sees the effect of
// every call queued before it, and one thread is enough (see
// src/store/README.md for the measurements behind that choice).
//
// Thread contract: see account_store.h. In short, every public method is safe
// from any thread and never blocks; callbacks run on the writer thread
// ("citadel-store") and must not block; a refused call (kOverloaded,
// kShuttingDown) completes inline on the caller's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "store/account_store.h"
#include "store/bounded_batch_queue.h"
#include "store/chat_history_store.h"
#include "store/sqlite_batch_runner.h"
#include "store/sqlite_config.h"
#include "store/sqlite_database.h"
#include "store/sqlite_requests.h"

namespace citadel::store {

class SqliteStore final : public AccountStore, public ChatHistoryStore {
 public:
  // Counters since open. Read from any thread (each value is exact on its
  // own; the set is not one atomic snapshot).
  struct Stats {
    uint64_t requests_completed = 0;  // results ready (counted before their callbacks run)
    uint64_t transactions_committed = 0;
    uint64_t transactions_failed = 0;      // every request in them got kStorageError
    uint64_t overloaded_rejections = 0;    // calls refused because the queue was full
    uint64_t history_appends_dropped = 0;  // appends refused (queue full or closing)
    uint64_t largest_batch = 0;            // requests in the largest transaction so far
    uint64_t queue_outstanding = 0;        // gauge: accepted, not yet completed
  };

  // Opens or creates the database, migrates the schema and starts the writer
  // thread. Throws StoreOpenError (naming the path) when the file cannot be
  // used, and std::invalid_argument when max_batch or queue_capacity is 0.
  explicit SqliteStore(SqliteConfig config);
  // shutdown(), then closes the database.
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // AccountStore. Any thread.
  void create_account(std::string username, std::string password_hash, std::string device_id,
                      CreateAccountCallback done) override;
  void find_by_username(std::string username, FindAccountCallback done) override;
  void find_by_id(int64_t account_id, FindAccountCallback done) override;
  void find_or_create_guest(std::string device_id, GuestLoginCallback done) override;

  // ChatHistoryStore. Any thread. With history_per_channel == 0 history is
  // off: append stores nothing and load_recent returns no messages.
  bool append(std::string channel, int64_t sender_id, std::string sender_name, std::string text,
              int64_t sent_at_unix_ms) override;
  void load_recent(std::string channel, uint32_t limit, HistoryCallback done) override;

  // Refuses new calls (kShuttingDown, completed inline), completes every
  // request already queued (writes committed, callbacks run) and joins the
  // writer. Whoever the callbacks refer to must outlive this call. Idempotent;
  // not from a store callback.
  void shutdown();

  Stats stats() const;  // any thread
  const SqliteConfig& config() const { return config_; }

 private:
  // Queues the request; when refused, completes it inline and returns false.
  bool submit(sqlite::Request request);
  void run_writer();

  // Writer-thread counters: one writer, so a relaxed load + store, no locked
  // instruction (the pattern of ops::DurationHistogram).
  static void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  const SqliteConfig config_;
  // Declaration order is destruction order in reverse: the runner's
  // statements are finalized before the connection closes.
  SqliteDb db_;
  sqlite::BatchRunner runner_;
  BoundedBatchQueue<sqlite::Request> queue_;

  std::atomic<uint64_t> requests_completed_{0};       // writer thread
  std::atomic<uint64_t> transactions_committed_{0};   // writer thread
  std::atomic<uint64_t> transactions_failed_{0};      // writer thread
  std::atomic<uint64_t> largest_batch_{0};            // writer thread
  // Requests whose queue places are free again but whose callbacks have not
  // all run yet: still outstanding as far as a caller can tell.
  std::atomic<uint64_t> completing_{0};  // writer thread
  std::atomic<uint64_t> overloaded_rejections_{0};    // any thread (fetch_add)
  std::atomic<uint64_t> history_appends_dropped_{0};  // any thread (fetch_add)

  std::thread writer_;  // last: started once everything above exists
};

}  // namespace citadel::store
