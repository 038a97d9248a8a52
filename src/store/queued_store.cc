#include "store/queued_store.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "store/object_validation.h"

namespace citadel::store {
namespace {

const QueueOptions& checked(const std::string& backend, const QueueOptions& options) {
  if (options.max_batch == 0) {
    throw std::invalid_argument(backend + " store: max_batch must be > 0");
  }
  if (options.queue_capacity == 0) {
    throw std::invalid_argument(backend + " store: queue_capacity must be > 0");
  }
  return options;
}

}  // namespace

QueuedStore::QueuedStore(std::string backend, std::string thread_name, QueueOptions options)
    : backend_(std::move(backend)),
      thread_name_(std::move(thread_name)),
      options_(checked(backend_, options)),
      queue_(options_.queue_capacity) {}

QueuedStore::~QueuedStore() {
  shutdown();  // the derived destructor did this already; kept for safety
}

void QueuedStore::start() {
  thread_ = std::thread([this] { run(); });
}

void QueuedStore::shutdown() {
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

bool QueuedStore::submit(Request request) {
  QueuedRequest queued{std::move(request), std::chrono::steady_clock::now()};
  switch (queue_.try_push(queued)) {
    case BoundedBatchQueue<QueuedRequest>::Push::kAccepted:
      return true;
    case BoundedBatchQueue<QueuedRequest>::Push::kFull:
      overloaded_rejections_.fetch_add(1, std::memory_order_relaxed);
      fail(queued.request, StoreError::kOverloaded);
      break;
    case BoundedBatchQueue<QueuedRequest>::Push::kClosed:
      fail(queued.request, StoreError::kShuttingDown);
      break;
  }
  complete(queued.request);
  return false;
}

void QueuedStore::create_account(std::string username, std::string password_hash,
                                 std::string device_id, CreateAccountCallback done) {
  submit(CreateAccountRequest{
      std::move(username), std::move(password_hash), std::move(device_id), std::move(done), {}});
}

void QueuedStore::find_by_username(std::string username, FindAccountCallback done) {
  submit(FindByUsernameRequest{std::move(username), std::move(done), {}});
}

void QueuedStore::find_by_id(int64_t account_id, FindAccountCallback done) {
  submit(FindByIdRequest{account_id, std::move(done), {}});
}

void QueuedStore::find_or_create_guest(std::string device_id, GuestLoginCallback done) {
  submit(GuestLoginRequest{std::move(device_id), std::move(done), {}});
}

bool QueuedStore::append(std::string channel, int64_t sender_id, std::string sender_name,
                         std::string text, int64_t sent_at_unix_ms, AppendCallback done) {
  if (options_.history_per_channel == 0) {  // history is off: nothing to keep
    if (done) done({});
    return true;
  }
  const bool queued = submit(
      AppendHistoryRequest{std::move(channel),
                           {sender_id, std::move(sender_name), std::move(text), sent_at_unix_ms},
                           std::move(done),
                           {}});
  if (!queued) history_appends_dropped_.fetch_add(1, std::memory_order_relaxed);
  return queued;
}

void QueuedStore::load_recent(std::string channel, uint32_t limit, HistoryCallback done) {
  submit(LoadHistoryRequest{std::move(channel), limit, std::move(done), {}});
}

void QueuedStore::save_leaderboard(LeaderboardBoardRow board,
                                   LeaderboardStore::WriteCallback done) {
  submit(SaveLeaderboardRequest{std::move(board), std::move(done), {}});
}

void QueuedStore::save_leaderboard_record(LeaderboardRecordRow record,
                                          LeaderboardStore::WriteCallback done) {
  submit(SaveLeaderboardRecordRequest{std::move(record), std::move(done), {}});
}

void QueuedStore::delete_leaderboard_record(std::string board_id, int64_t period_start_unix_ms,
                                            int64_t user_id, LeaderboardStore::WriteCallback done) {
  submit(DeleteLeaderboardRecordRequest{
      std::move(board_id), period_start_unix_ms, user_id, std::move(done), {}});
}

void QueuedStore::load_leaderboards(LoadCallback done) {
  submit(LoadLeaderboardsRequest{std::move(done), {}});
}

namespace {

template <class Result, class Callback>
void refuse_inline(Callback& done) {
  Result r;
  r.error = StoreError::kInvalidArgument;
  if (done) done(std::move(r));
}

}  // namespace

void QueuedStore::read_objects(std::vector<ObjectId> ids, ReadCallback done) {
  if (!valid_object_reads(ids)) return refuse_inline<ObjectReadResult>(done);
  submit(ReadObjectsRequest{std::move(ids), std::move(done), {}});
}

void QueuedStore::write_objects(std::vector<ObjectWrite> writes, ObjectStore::WriteCallback done) {
  if (!valid_object_writes(writes)) return refuse_inline<ObjectWriteResult>(done);
  submit(WriteObjectsRequest{std::move(writes), std::move(done), {}});
}

void QueuedStore::delete_objects(std::vector<ObjectDelete> deletes,
                                 ObjectStore::WriteCallback done) {
  if (!valid_object_deletes(deletes)) return refuse_inline<ObjectWriteResult>(done);
  submit(DeleteObjectsRequest{std::move(deletes), std::move(done), {}});
}

void QueuedStore::list_objects(ObjectListQuery query, ListCallback done) {
  if (!valid_object_list(query)) return refuse_inline<ObjectListResult>(done);
  submit(ListObjectsRequest{std::move(query), std::move(done), {}});
}

StoreStats QueuedStore::stats() const {
  StoreStats s;
  s.requests_completed = requests_completed_.load(std::memory_order_relaxed);
  s.requests_failed = requests_failed_.load(std::memory_order_relaxed);
  s.transactions_committed = transactions_committed_.load(std::memory_order_relaxed);
  s.transactions_failed = transactions_failed_.load(std::memory_order_relaxed);
  s.overloaded_rejections = overloaded_rejections_.load(std::memory_order_relaxed);
  s.history_appends_dropped = history_appends_dropped_.load(std::memory_order_relaxed);
  s.largest_batch = largest_batch_.load(std::memory_order_relaxed);
  s.queue_capacity = options_.queue_capacity;
  s.request_latency = latency_.snapshot();
  // In this order: the store thread counts a batch as completing before it
  // frees its places, so a request is never missing from both.
  s.queue_outstanding = queue_.outstanding();
  s.queue_outstanding += completing_.load();
  add_backend_stats(s);
  return s;
}

void QueuedStore::run() {
  pthread_setname_np(pthread_self(), thread_name_.c_str());
  std::vector<QueuedRequest> taken;
  const auto window = std::chrono::microseconds(options_.group_commit_window_us);
  // Zero time point: the first request is taken at once.
  std::chrono::steady_clock::time_point last_take{};
  // A full batch ends the window early; so does a full queue, when it is
  // smaller than a batch.
  const std::size_t fill_to = std::min(options_.max_batch, options_.queue_capacity);
  // Returns false only once the queue is closed and drained, so shutdown
  // completes everything accepted before it.
  while (queue_.wait_take_all(taken, fill_to, last_take + window)) {
    last_take = std::chrono::steady_clock::now();
    const std::span<QueuedRequest> all(taken);
    for (std::size_t start = 0; start < all.size(); start += options_.max_batch) {
      const auto batch =
          all.subspan(start, std::min<std::size_t>(options_.max_batch, all.size() - start));
      const bool committed = run_batch(batch);
      bump(committed ? transactions_committed_ : transactions_failed_);
      if (batch.size() > largest_batch_.load(std::memory_order_relaxed)) {
        largest_batch_.store(batch.size(), std::memory_order_relaxed);
      }
      const auto now = std::chrono::steady_clock::now();
      uint64_t failed = 0;
      for (const QueuedRequest& q : batch) {
        latency_.observe_ns(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - q.queued_at).count()));
        if (error_of(q.request) == StoreError::kStorageError) ++failed;
      }
      bump(requests_failed_, failed);
      bump(requests_completed_, batch.size());
      // Their places free up before anyone is told: a caller that submits
      // again from its completion (the usual thing to do) must find room.
      // Until the last callback has run they still count as outstanding.
      completing_.fetch_add(batch.size());
      queue_.release(batch.size());
      // Callbacks only after COMMIT: an id handed out is an id that holds.
      for (QueuedRequest& q : batch) complete(q.request);
      completing_.fetch_sub(batch.size());
    }
  }
}

}  // namespace citadel::store
