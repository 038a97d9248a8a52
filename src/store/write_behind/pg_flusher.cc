#include "store/write_behind/pg_flusher.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <array>
#include <nlohmann/json.hpp>
#include <span>

#include "store/postgres/pg_session.h"
#include "store/store_open_error.h"
#include "store/unix_ms.h"
#include "store/write_behind/pg_statement.h"

namespace citadel::store::wb {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kTablesLockKey = 0x7762'6369'7461'646c;  // "wbcitadl"

// One row per object flushed: 0 applied, 1 conflict; and the version
// PostgreSQL held before (0: absent). Applied means: the row's version was
// the entry's base (updated or deleted), or the base was 0 and no row was
// there (inserted). Not applied but already in the final state (the same
// version and value, or a delete of an absent row) is a replay: applied.
// Anything else is a conflict: recorded, never written over. `pre` is the
// statement's snapshot, taken before any of its writes.
const std::string kFlushSql =
    "WITH items AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(i int, op smallint, "
    "c text, k text, o bigint, v text, r smallint, w smallint, base bigint, ver bigint, "
    "ua bigint, seq bigint)), "
    "pre AS (SELECT s.owner_id, s.collection, s.key, s.version, s.value FROM storage_objects s "
    "JOIN items ON s.owner_id = items.o AND s.collection = items.c AND s.key = items.k), "
    "upd AS (UPDATE storage_objects s SET value = items.v, version = items.ver, "
    "read_perm = items.r, write_perm = items.w, updated_at_ms = items.ua FROM items "
    "WHERE items.op = 1 AND items.base > 0 AND s.owner_id = items.o AND s.collection = items.c "
    "AND s.key = items.k AND s.version = items.base RETURNING items.i), "
    "ins AS (INSERT INTO storage_objects AS s (collection, key, owner_id, value, version, "
    "read_perm, write_perm, created_at_ms, updated_at_ms) "
    "SELECT c, k, o, v, ver, r, w, ua, ua FROM items WHERE op = 1 AND base = 0 "
    "ON CONFLICT (owner_id, collection, key) DO NOTHING RETURNING s.owner_id, s.collection, "
    "s.key), "
    "del AS (DELETE FROM storage_objects s USING items WHERE items.op = 2 AND items.base > 0 "
    "AND s.owner_id = items.o AND s.collection = items.c AND s.key = items.k "
    "AND s.version = items.base RETURNING items.i), "
    "res AS (SELECT items.*, coalesce(pre.version, 0) AS found, "
    "CASE WHEN items.i IN (SELECT i FROM upd) OR items.i IN (SELECT i FROM del) "
    "OR EXISTS (SELECT 1 FROM ins WHERE ins.owner_id = items.o AND ins.collection = items.c "
    "AND ins.key = items.k) THEN 0 "
    "WHEN items.op = 1 AND pre.version = items.ver AND pre.value = items.v THEN 0 "
    "WHEN items.op = 2 AND pre.version IS NULL THEN 0 ELSE 1 END AS conflict "
    "FROM items LEFT JOIN pre ON pre.owner_id = items.o AND pre.collection = items.c "
    "AND pre.key = items.k), "
    "kept AS (INSERT INTO citadel_write_behind_conflicts (log_id, seq, owner_id, collection, "
    "key, op, value, base_version, version, found_version, at_ms) "
    "SELECT $2, seq, o, c, k, op, v, base, ver, found, $5 FROM res WHERE conflict = 1), "
    "offs AS (INSERT INTO citadel_write_behind_offsets (log_id, shard, last_seq) "
    "VALUES ($2, $3, $4) ON CONFLICT (log_id, shard) DO UPDATE SET last_seq = "
    "greatest(citadel_write_behind_offsets.last_seq, excluded.last_seq)) "
    "SELECT i, conflict, found FROM res ORDER BY i";

const std::string kAppliedSql =
    "SELECT coalesce(max(last_seq), 0) FROM citadel_write_behind_offsets "
    "WHERE log_id = $1 AND shard = $2";

}  // namespace

void create_write_behind_tables(const PostgresConfig& config) {
  pg::Conn conn;
  try {
    conn = pg::open_session(config);
  } catch (const pg::SessionError& e) {
    throw StoreOpenError(std::string("write-behind: cannot open the database: ") + e.what());
  }
  const std::array<std::string, 5> sqls = {
      "BEGIN", fmt::format("SELECT pg_advisory_xact_lock({})", kTablesLockKey),
      // The last flushed outbox sequence per local log and shard.
      "CREATE TABLE IF NOT EXISTS citadel_write_behind_offsets (log_id TEXT NOT NULL, "
      "shard INTEGER NOT NULL, last_seq BIGINT NOT NULL, PRIMARY KEY (log_id, shard))",
      // Writes that found another version than the one they were based on:
      // kept for an operator (or a tool) to look at; never applied.
      "CREATE TABLE IF NOT EXISTS citadel_write_behind_conflicts ("
      "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, log_id TEXT NOT NULL, "
      "seq BIGINT NOT NULL, owner_id BIGINT NOT NULL, collection TEXT NOT NULL, "
      "key TEXT NOT NULL, op SMALLINT NOT NULL, value TEXT, base_version BIGINT NOT NULL, "
      "version BIGINT NOT NULL, found_version BIGINT NOT NULL, at_ms BIGINT NOT NULL)",
      "COMMIT"};
  const std::array<std::vector<Param>, 5> params{};
  const auto deadline = Clock::now() + std::chrono::milliseconds(config.batch_timeout_ms);
  const Outcome out = run_pipelined(conn.get(), sqls, params, deadline);
  if (!out.error.empty()) {
    throw StoreOpenError("write-behind: cannot create its tables: " + out.error);
  }
}

PgFlusher::PgFlusher(uint32_t shard, PostgresConfig pg, const WriteBehindConfig& wb,
                     std::string log_id, ReportCallback report)
    : shard_(shard),
      pg_(std::move(pg)),
      wb_(wb),
      log_id_(std::move(log_id)),
      report_(std::move(report)),
      thread_([this] { run(); }) {}

PgFlusher::~PgFlusher() {
  stop(false);
}

void PgFlusher::enqueue(std::vector<OutboxEntry> entries) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    wake = queue_.empty() || queue_.size() + entries.size() >= wb_.max_batch;
    for (OutboxEntry& e : entries) queue_.push_back(std::move(e));
  }
  if (wake) wake_.notify_one();
}

void PgFlusher::stop(bool final_flush) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) final_flush_ = final_flush;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::optional<Clock::time_point> PgFlusher::oldest_pending() const {
  std::lock_guard lock(mutex_);
  if (in_flight_since_) return in_flight_since_;
  if (!queue_.empty()) return queue_.front().queued_at;
  return std::nullopt;
}

void PgFlusher::run() {
  const std::string name = fmt::format("citadel-wb{}", shard_);
  pthread_setname_np(pthread_self(), name.c_str());
  while (take_batch()) {
    while (!flush_in_flight()) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;  // the entries stay in the local outbox
      }
      wait_retry();
    }
  }
}

// Waits until a batch is due (the oldest entry has waited flush_interval_ms,
// or max_batch wait) and moves it into in_flight_.
bool PgFlusher::take_batch() {
  const auto interval = std::chrono::milliseconds(wb_.flush_interval_ms);
  std::unique_lock lock(mutex_);
  in_flight_since_.reset();
  for (;;) {
    if (stopping_ && (!final_flush_ || queue_.empty())) return false;
    if (!queue_.empty()) {
      const auto due = queue_.front().queued_at + interval;
      if (stopping_ || queue_.size() >= wb_.max_batch || Clock::now() >= due) break;
      wake_.wait_until(lock, due);
    } else {
      wake_.wait(lock);
    }
  }
  const std::size_t n = std::min<std::size_t>(queue_.size(), wb_.max_batch);
  in_flight_.clear();
  in_flight_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  in_flight_since_ = in_flight_.front().queued_at;
  return true;
}

void PgFlusher::wait_retry() {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, next_connect_, [this] { return stopping_; });
}

PGconn* PgFlusher::connection() {
  if (conn_) return conn_.get();
  if (Clock::now() < next_connect_) return nullptr;
  try {
    conn_ = pg::open_session(pg_);
  } catch (const pg::SessionError& e) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    next_connect_ = Clock::now() + std::chrono::milliseconds(pg_.reconnect_interval_ms);
    if (Clock::now() - last_log_ > std::chrono::seconds(1)) {
      last_log_ = Clock::now();
      spdlog::error("store: write-behind writer {}: cannot connect (next attempt in {} ms): {}",
                    shard_, pg_.reconnect_interval_ms, e.what());
    }
    return nullptr;
  }
  applied_seq_ = -1;
  connected_.store(true, std::memory_order_relaxed);
  return conn_.get();
}

void PgFlusher::drop_connection(const std::string& why) {
  conn_.reset();
  connected_.store(false, std::memory_order_relaxed);
  failures_.fetch_add(1, std::memory_order_relaxed);
  next_connect_ = Clock::now() + std::chrono::milliseconds(pg_.reconnect_interval_ms);
  if (Clock::now() - last_log_ > std::chrono::seconds(1)) {
    last_log_ = Clock::now();
    spdlog::error("store: write-behind writer {}: flush failed, retrying in {} ms: {}", shard_,
                  pg_.reconnect_interval_ms, why);
  }
}

// One attempt at the batch in in_flight_. True when it is settled in
// PostgreSQL (and reported); false to retry later.
bool PgFlusher::flush_in_flight() {
  PGconn* conn = connection();
  if (conn == nullptr) return false;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(pg_.batch_timeout_ms) + std::chrono::seconds(1);
  const std::string log_id = log_id_;
  if (applied_seq_ < 0) {
    const pg::BinaryInt8 shard(shard_);
    const Outcome out = run_one(conn, kAppliedSql, {text(log_id), int8(shard)}, deadline);
    if (!out.error.empty() || !out.rows) {
      drop_connection(out.error);
      return false;
    }
    applied_seq_ = pg::int64_at(out.rows.get(), 0, 0);
  }
  const std::vector<FlushItem> items = merge_for_flush(in_flight_, applied_seq_);
  FlushReport report;
  report.seqs.reserve(in_flight_.size());
  for (const OutboxEntry& e : in_flight_) report.seqs.push_back(e.seq);
  if (!items.empty()) {
    nlohmann::json json = nlohmann::json::array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const OutboxEntry& e = items[i].net;
      json.push_back({{"i", i},
                      {"op", static_cast<int>(e.op)},
                      {"c", e.id.collection},
                      {"k", e.id.key},
                      {"o", e.id.owner_id},
                      {"v", e.op == OutboxOp::kUpsert ? nlohmann::json(e.value) : nullptr},
                      {"r", e.read},
                      {"w", e.write},
                      {"base", e.base_version},
                      {"ver", e.version},
                      {"ua", e.updated_at_unix_ms},
                      {"seq", e.seq}});
    }
    const std::string body = json.dump();
    const pg::BinaryInt8 shard(shard_), last(in_flight_.back().seq), now(unix_ms_now());
    const Outcome out = run_one(
        conn, kFlushSql, {text(body), text(log_id), int8(shard), int8(last), int8(now)}, deadline);
    if (!out.error.empty() || !out.rows) {
      drop_connection(out.error.empty() ? "no rows" : out.error);
      return false;
    }
    const int rows = PQntuples(out.rows.get());
    for (int row = 0; row < rows; ++row) {
      if (pg::int64_at(out.rows.get(), row, 1) == 0) continue;
      const auto i = static_cast<std::size_t>(pg::int64_at(out.rows.get(), row, 0));
      const OutboxEntry& e = items.at(i).net;
      report.conflicts.push_back({e.id, e.seq});
      conflicts_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn(
          "store: write-behind conflict on ({}, {}, owner {}): based on version {}, "
          "PostgreSQL holds {}; kept in citadel_write_behind_conflicts, not applied",
          e.id.collection, e.id.key, e.id.owner_id, e.base_version,
          pg::int64_at(out.rows.get(), row, 2));
    }
  }
  applied_seq_ = in_flight_.back().seq;
  flushed_.fetch_add(in_flight_.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
  report_(std::move(report));
  in_flight_.clear();
  {
    std::lock_guard lock(mutex_);
    in_flight_since_.reset();
  }
  return true;
}

}  // namespace citadel::store::wb
