#include "store/write_behind/conflict_admin.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "store/postgres/pg_session.h"
#include "store/write_behind/pg_statement.h"

namespace citadel::store::wb {
namespace {

const std::string kListSql =
    "SELECT id, log_id, seq, owner_id, collection, key, op, value, value IS NULL, base_version, "
    "version, found_version, at_ms FROM citadel_write_behind_conflicts WHERE id > $1 "
    "ORDER BY id LIMIT $2";
const std::string kDismissSql =
    "DELETE FROM citadel_write_behind_conflicts WHERE id = $1 RETURNING id";

constexpr int kOpDelete = 2;  // OutboxOp::kDelete, as the flush stores it

ConflictRow row_at(const PGresult* r, int i) {
  ConflictRow c;
  c.id = pg::int64_at(r, i, 0);
  c.log_id = pg::text_at(r, i, 1);
  c.seq = pg::int64_at(r, i, 2);
  c.owner_id = pg::int64_at(r, i, 3);
  c.collection = pg::text_at(r, i, 4);
  c.key = pg::text_at(r, i, 5);
  c.is_delete = pg::int64_at(r, i, 6) == kOpDelete;
  if (!pg::bool_at(r, i, 8)) c.value = pg::text_at(r, i, 7);
  c.base_version = pg::int64_at(r, i, 9);
  c.version = pg::int64_at(r, i, 10);
  c.found_version = pg::int64_at(r, i, 11);
  c.at_unix_ms = pg::int64_at(r, i, 12);
  return c;
}

}  // namespace

ConflictAdmin::ConflictAdmin(PostgresConfig config)
    : config_(std::move(config)), thread_([this] { run(); }) {}

ConflictAdmin::~ConflictAdmin() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  // Whatever the thread did not take still owes its caller an answer.
  for (Job& job : jobs_) job(nullptr, "the server is shutting down");
}

void ConflictAdmin::list(int64_t after_id, uint32_t limit, std::function<void(ConflictPage)> done) {
  post([this, after_id, limit, done = std::move(done)](PGconn* conn, const std::string& why) {
    if (conn == nullptr) return done({{}, why});
    const pg::BinaryInt8 after(after_id), count(limit);
    Outcome out = run_one(conn, kListSql, {int8(after), int8(count)}, deadline());
    if (!out.connection_ok) conn_.reset();
    if (!out.error.empty() || !out.rows) {
      return done({{}, out.error.empty() ? "no rows returned" : out.error});
    }
    ConflictPage page;
    const int n = PQntuples(out.rows.get());
    page.rows.reserve(n);
    for (int i = 0; i < n; ++i) page.rows.push_back(row_at(out.rows.get(), i));
    done(std::move(page));
  });
}

void ConflictAdmin::dismiss(int64_t id, std::function<void(DismissOutcome)> done) {
  post([this, id, done = std::move(done)](PGconn* conn, const std::string& why) {
    if (conn == nullptr) return done({false, why});
    const pg::BinaryInt8 which(id);
    Outcome out = run_one(conn, kDismissSql, {int8(which)}, deadline());
    if (!out.connection_ok) conn_.reset();
    if (!out.error.empty() || !out.rows) {
      return done({false, out.error.empty() ? "no rows returned" : out.error});
    }
    done({PQntuples(out.rows.get()) > 0, ""});
  });
}

void ConflictAdmin::post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      job = nullptr;
    }
  }
  if (job) return job(nullptr, "the server is shutting down");
  wake_.notify_one();
}

void ConflictAdmin::run() {
  pthread_setname_np(pthread_self(), "citadel-wbadmin");
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    std::string error;
    PGconn* conn = connection(&error);
    job(conn, error);
  }
}

PGconn* ConflictAdmin::connection(std::string* error) {
  if (conn_) return conn_.get();
  try {
    conn_ = pg::open_session(config_);
  } catch (const pg::SessionError& e) {
    spdlog::warn("store: write-behind conflicts: cannot connect: {}", e.what());
    *error = std::string("cannot reach PostgreSQL: ") + e.what();
    return nullptr;
  }
  return conn_.get();
}

pg::Deadline ConflictAdmin::deadline() const {
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.batch_timeout_ms);
}

}  // namespace citadel::store::wb
