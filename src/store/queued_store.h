// The part every batching backend shares: a bounded queue in front of one
// store thread that takes everything queued, runs it in transactions of up to
// max_batch requests (group commit), and only then runs the callbacks. A
// backend (SqliteStore, PostgresStore) supplies run_batch(); the queue,
// refusals, ordering, shutdown and statistics are here, so every backend keeps
// the same contract (account_store.h) by construction.
//
// Subtle points, kept here once:
// - A request's queue place is freed before its callback runs (a caller that
//   submits again from its completion must find room), but stats() counts it
//   as outstanding until the callback has returned (whoever waits for the
//   store to be idle must not see it gone early).
// - Callbacks only after COMMIT: an id handed out is an id that holds.
// - Shutdown completes everything accepted before it.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "store/bounded_batch_queue.h"
#include "store/store.h"
#include "store/store_requests.h"

namespace citadel::store {

struct QueueOptions {
  uint32_t max_batch = 1000;               // requests per transaction
  uint32_t queue_capacity = 65536;         // accepted, not yet completed
  uint32_t group_commit_window_us = 5000;  // see SqliteConfig
  uint32_t history_per_channel = 100;      // 0: history off
};

class QueuedStore : public Store {
 public:
  ~QueuedStore() override;
  QueuedStore(const QueuedStore&) = delete;
  QueuedStore& operator=(const QueuedStore&) = delete;

  // AccountStore. Any thread.
  void create_account(std::string username, std::string password_hash, std::string device_id,
                      CreateAccountCallback done) final;
  void find_by_username(std::string username, FindAccountCallback done) final;
  void find_by_id(int64_t account_id, FindAccountCallback done) final;
  void find_or_create_guest(std::string device_id, GuestLoginCallback done) final;

  // ChatHistoryStore. Any thread. With history_per_channel == 0 history is
  // off: append stores nothing and load_recent returns no messages.
  bool append(std::string channel, int64_t sender_id, std::string sender_name, std::string text,
              int64_t sent_at_unix_ms, AppendCallback done = {}) final;
  void load_recent(std::string channel, uint32_t limit, HistoryCallback done) final;

  // LeaderboardStore. Any thread.
  void save_leaderboard(LeaderboardBoardRow board, LeaderboardStore::WriteCallback done) final;
  void save_leaderboard_record(LeaderboardRecordRow record,
                               LeaderboardStore::WriteCallback done) final;
  void delete_leaderboard_record(std::string board_id, int64_t period_start_unix_ms,
                                 int64_t user_id, LeaderboardStore::WriteCallback done) final;
  void load_leaderboards(LoadCallback done) final;
  // ObjectStore. Any thread. A batch that breaks the rules of
  // object_validation.h (names, JSON object, permissions, one item per
  // object) completes inline with kInvalidArgument; so does an empty one.
  void read_objects(std::vector<ObjectId> ids, ReadCallback done) final;
  void write_objects(std::vector<ObjectWrite> writes, ObjectStore::WriteCallback done) final;
  void delete_objects(std::vector<ObjectDelete> deletes, ObjectStore::WriteCallback done) final;
  void list_objects(ObjectListQuery query, ListCallback done) final;

  // Store.
  void shutdown() final;
  StoreStats stats() const final;
  std::string_view backend() const final { return backend_; }

 protected:
  // Throws std::invalid_argument when max_batch or queue_capacity is 0.
  QueuedStore(std::string backend, std::string thread_name, QueueOptions options);

  // The derived constructor calls this last, once run_batch() can run.
  void start();
  // The derived destructor calls shutdown() first: the store thread uses the
  // derived members until it is joined.

  // Store thread. Runs `batch` (at most max_batch requests) in one
  // transaction and fills every request's result; callbacks are not run here.
  // Returns true when the transaction committed. A request whose own
  // statement failed alone gets kStorageError while the rest commit; when the
  // transaction fails as a whole, every request gets kStorageError and false
  // is returned.
  virtual bool run_batch(std::span<QueuedRequest> batch) = 0;
  // Any thread: adds backend-specific figures (connections) to stats().
  virtual void add_backend_stats(StoreStats&) const {}

  const QueueOptions& queue_options() const { return options_; }

  // Store-thread counters: one writer, so a relaxed load + store, no locked
  // instruction (the pattern of ops::DurationHistogram).
  static void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

 private:
  // Queues the request; when refused, completes it inline and returns false.
  bool submit(Request request);
  void run();

  const std::string backend_;
  const std::string thread_name_;
  const QueueOptions options_;
  BoundedBatchQueue<QueuedRequest> queue_;

  std::atomic<uint64_t> requests_completed_{0};      // store thread
  std::atomic<uint64_t> requests_failed_{0};         // store thread
  std::atomic<uint64_t> transactions_committed_{0};  // store thread
  std::atomic<uint64_t> transactions_failed_{0};     // store thread
  std::atomic<uint64_t> largest_batch_{0};           // store thread
  LatencyHistogram latency_;                         // store thread
  // Requests whose queue places are free again but whose callbacks have not
  // all run yet: still outstanding as far as a caller can tell.
  std::atomic<uint64_t> completing_{0};               // store thread
  std::atomic<uint64_t> overloaded_rejections_{0};    // any thread (fetch_add)
  std::atomic<uint64_t> history_appends_dropped_{0};  // any thread (fetch_add)

  std::thread thread_;  // started by start()
};

}  // namespace citadel::store
