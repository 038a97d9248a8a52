#include "store/sqlite_store.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <span>
#include <stdexcept>
#include <utility>

namespace citadel::store {
namespace {

const SqliteConfig& checked(const SqliteConfig& config) {
  if (config.max_batch == 0) throw std::invalid_argument("sqlite store: max_batch must be > 0");
  if (config.queue_capacity == 0) {
    throw std::invalid_argument("sqlite store: queue_capacity must be > 0");
  }
  return config;
}

}  // namespace

SqliteStore::SqliteStore(SqliteConfig config)
    : config_(checked(std::move(config))),
      db_(open_sqlite_database(config_)),
      runner_(db_.get(), config_.history_per_channel),
      queue_(config_.queue_capacity),
      writer_([this] { run_writer(); }) {}

SqliteStore::~SqliteStore() {
  shutdown();
}

void SqliteStore::shutdown() {
  queue_.close();
  if (writer_.joinable()) writer_.join();
}

bool SqliteStore::submit(sqlite::Request request) {
  switch (queue_.try_push(request)) {
    case BoundedBatchQueue<sqlite::Request>::Push::kAccepted:
      return true;
    case BoundedBatchQueue<sqlite::Request>::Push::kFull:
      overloaded_rejections_.fetch_add(1, std::memory_order_relaxed);
      sqlite::fail(request, StoreError::kOverloaded);
      break;
    case BoundedBatchQueue<sqlite::Request>::Push::kClosed:
      sqlite::fail(request, StoreError::kShuttingDown);
      break;
  }
  sqlite::complete(request);
  return false;
}

void SqliteStore::create_account(std::string username, std::string password_hash,
                                 std::string device_id, CreateAccountCallback done) {
  submit(sqlite::CreateAccountRequest{
      std::move(username), std::move(password_hash), std::move(device_id), std::move(done), {}});
}

void SqliteStore::find_by_username(std::string username, FindAccountCallback done) {
  submit(sqlite::FindByUsernameRequest{std::move(username), std::move(done), {}});
}

void SqliteStore::find_by_id(int64_t account_id, FindAccountCallback done) {
  submit(sqlite::FindByIdRequest{account_id, std::move(done), {}});
}

void SqliteStore::find_or_create_guest(std::string device_id, GuestLoginCallback done) {
  submit(sqlite::GuestLoginRequest{std::move(device_id), std::move(done), {}});
}

bool SqliteStore::append(std::string channel, int64_t sender_id, std::string sender_name,
                         std::string text, int64_t sent_at_unix_ms) {
  if (config_.history_per_channel == 0) return true;  // history is off: nothing to keep
  const bool queued = submit(sqlite::AppendHistoryRequest{
      std::move(channel), {sender_id, std::move(sender_name), std::move(text), sent_at_unix_ms}});
  if (!queued) history_appends_dropped_.fetch_add(1, std::memory_order_relaxed);
  return queued;
}

void SqliteStore::load_recent(std::string channel, uint32_t limit, HistoryCallback done) {
  submit(sqlite::LoadHistoryRequest{std::move(channel), limit, std::move(done), {}});
}

SqliteStore::Stats SqliteStore::stats() const {
  Stats s;
  s.requests_completed = requests_completed_.load(std::memory_order_relaxed);
  s.transactions_committed = transactions_committed_.load(std::memory_order_relaxed);
  s.transactions_failed = transactions_failed_.load(std::memory_order_relaxed);
  s.overloaded_rejections = overloaded_rejections_.load(std::memory_order_relaxed);
  s.history_appends_dropped = history_appends_dropped_.load(std::memory_order_relaxed);
  s.largest_batch = largest_batch_.load(std::memory_order_relaxed);
  // In this order: the writer counts a batch as completing before it frees
  // its places, so a request is never missing from both.
  s.queue_outstanding = queue_.outstanding();
  s.queue_outstanding += completing_.load();
  return s;
}

void SqliteStore::run_writer() {
  pthread_setname_np(pthread_self(), "citadel-store");
  std::vector<sqlite::Request> taken;
  const auto window = std::chrono::microseconds(config_.group_commit_window_us);
  // Zero time point: the first request is taken at once.
  std::chrono::steady_clock::time_point last_take{};
  // A full batch ends the window early; so does a full queue, when it is
  // smaller than a batch.
  const std::size_t fill_to = std::min(config_.max_batch, config_.queue_capacity);
  // Returns false only once the queue is closed and drained, so shutdown
  // completes everything accepted before it.
  while (queue_.wait_take_all(taken, fill_to, last_take + window)) {
    last_take = std::chrono::steady_clock::now();
    const std::span<sqlite::Request> all(taken);
    for (std::size_t start = 0; start < all.size(); start += config_.max_batch) {
      const auto batch =
          all.subspan(start, std::min<std::size_t>(config_.max_batch, all.size() - start));
      const bool committed = runner_.run_in_writer(batch);
      bump(committed ? transactions_committed_ : transactions_failed_);
      if (batch.size() > largest_batch_.load(std::memory_order_relaxed)) {
        largest_batch_.store(batch.size(), std::memory_order_relaxed);
      }
      bump(requests_completed_, batch.size());
      // Their places free up before anyone is told: a caller that submits
      // again from its completion (the usual thing to do) must find room.
      // Until the last callback has run they still count as outstanding.
      completing_.fetch_add(batch.size());
      queue_.release(batch.size());
      // Callbacks only after COMMIT: an id handed out is an id that holds.
      for (sqlite::Request& request : batch) sqlite::complete(request);
      completing_.fetch_sub(batch.size());
    }
  }
}

}  // namespace citadel::store
