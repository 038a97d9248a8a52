#include "store/postgres/pg_session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "store/postgres/pg_io.h"
#include "store/postgres/pg_object_statements.h"
#include "store/postgres/pg_statements.h"

namespace citadel::store::pg {
namespace {

// Migrations, in order: kMigrations[n] takes a database from version n to
// n + 1. Append new steps; never edit a released one.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 0 -> 1: accounts and chat history, as in the SQLite schema.
    // GENERATED ALWAYS AS IDENTITY: ids are never reused and never written
    // by hand. Empty username/device are stored as NULL, and a unique index
    // allows any number of NULLs. Usernames are unique ignoring case through
    // an index on lower(username) (citext would need an extension, which a
    // managed database may not allow).
    R"sql(
      CREATE TABLE accounts (
        id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        username      TEXT,
        password_hash TEXT,
        device_id     TEXT UNIQUE,
        created_at_ms BIGINT NOT NULL,
        CHECK (username IS NOT NULL OR device_id IS NOT NULL)
      );
      CREATE UNIQUE INDEX accounts_username_lower ON accounts (lower(username));
      CREATE TABLE chat_history (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel     TEXT NOT NULL,
        sender_id   BIGINT NOT NULL,
        sender_name TEXT NOT NULL,
        text        TEXT NOT NULL,
        sent_at_ms  BIGINT NOT NULL
      );
      CREATE INDEX chat_history_by_channel ON chat_history (channel, id);
    )sql",
    // 1 -> 2: leaderboards, as in the SQLite schema (src/store/leaderboard_store.h).
    R"sql(
      CREATE TABLE leaderboard_boards (
        id                 TEXT PRIMARY KEY,
        sort_order         BIGINT NOT NULL,
        score_operator     BIGINT NOT NULL,
        reset_schedule     TEXT NOT NULL,
        max_metadata_bytes BIGINT NOT NULL,
        max_records        BIGINT NOT NULL,
        current_start_ms   BIGINT NOT NULL,
        has_previous       BIGINT NOT NULL,
        previous_start_ms  BIGINT NOT NULL,
        previous_end_ms    BIGINT NOT NULL
      );
      CREATE TABLE leaderboard_records (
        board_id        TEXT NOT NULL,
        period_start_ms BIGINT NOT NULL,
        user_id         BIGINT NOT NULL,
        username        TEXT NOT NULL,
        score           BIGINT NOT NULL,
        subscore        BIGINT NOT NULL,
        num_submissions BIGINT NOT NULL,
        metadata        TEXT NOT NULL,
        create_ms       BIGINT NOT NULL,
        update_ms       BIGINT NOT NULL,
        sequence        BIGINT NOT NULL,
        PRIMARY KEY (board_id, period_start_ms, user_id)
      );
    )sql",
    // 2 -> 3: player storage objects, as in the SQLite schema. Names are
    // COLLATE "C" so keys sort and compare as bytes whatever the database's
    // locale: the order list cursors rely on, and the same as SQLite's.
    R"sql(
      CREATE TABLE storage_objects (
        owner_id      BIGINT NOT NULL,
        collection    TEXT COLLATE "C" NOT NULL,
        key           TEXT COLLATE "C" NOT NULL,
        value         TEXT NOT NULL,
        version       BIGINT NOT NULL,
        read_perm     SMALLINT NOT NULL CHECK (read_perm BETWEEN 0 AND 2),
        write_perm    SMALLINT NOT NULL CHECK (write_perm BETWEEN 0 AND 1),
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (owner_id, collection, key)
      );
    )sql",
};

// Serialises migrations of nodes that start at once (pg_advisory_xact_lock
// holds it until the transaction ends). Any constant works; this is "citadel".
constexpr int64_t kMigrationLockKey = 0x636974'6164656c;

// Collects every result of the query just sent; returns the last one with
// rows (or null). Throws SessionError on an error result or a timeout.
Result collect(PGconn* conn, Deadline deadline, std::string_view what) {
  if (!flush_until(conn, deadline)) {
    throw SessionError(fmt::format(
        "{}: {}", what,
        PQstatus(conn) == CONNECTION_BAD ? error_message(conn) : std::string("timed out")));
  }
  Result rows;
  std::optional<std::string> failure;
  for (;;) {
    if (!await_result(conn, deadline)) {
      throw SessionError(fmt::format(
          "{}: {}", what,
          PQstatus(conn) == CONNECTION_BAD ? error_message(conn) : std::string("timed out")));
    }
    Result r(PQgetResult(conn));
    if (!r) break;
    const auto status = PQresultStatus(r.get());
    if (status == PGRES_TUPLES_OK) {
      rows = std::move(r);
    } else if (status != PGRES_COMMAND_OK && !failure) {
      failure = error_message(r.get());
    }
  }
  if (failure) throw SessionError(fmt::format("{}: {}", what, *failure));
  return rows;
}

Result query_bounded(PGconn* conn, const std::string& sql, Deadline deadline) {
  if (PQsendQuery(conn, sql.c_str()) == 0) throw SessionError(error_message(conn));
  return collect(conn, deadline, sql.substr(0, sql.find_first_of("\n(")));
}

void migrate(PGconn* conn, Deadline deadline) {
  // One transaction: a failure leaves the database as it was.
  query_bounded(conn, "BEGIN", deadline);
  try {
    query_bounded(conn, fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey),
                  deadline);
    query_bounded(conn,
                  "CREATE TABLE IF NOT EXISTS citadel_schema_version (version INTEGER NOT NULL)",
                  deadline);
    const Result found = query_bounded(
        conn, "SELECT coalesce(max(version), 0) FROM citadel_schema_version", deadline);
    const int version = static_cast<int>(int64_at(found.get(), 0, 0));
    if (version > kSchemaVersion) {
      throw SessionError(fmt::format("schema version {} is newer than this build supports ({})",
                                     version, kSchemaVersion));
    }
    for (int v = version; v < kSchemaVersion; ++v) query_bounded(conn, kMigrations[v], deadline);
    if (version != kSchemaVersion) {
      query_bounded(conn, "DELETE FROM citadel_schema_version", deadline);
      query_bounded(
          conn,
          fmt::format("INSERT INTO citadel_schema_version (version) VALUES ({})", kSchemaVersion),
          deadline);
    }
    query_bounded(conn, "COMMIT", deadline);
  } catch (const SessionError&) {
    if (PQstatus(conn) == CONNECTION_OK) {
      try {
        query_bounded(conn, "ROLLBACK", deadline);
      } catch (const SessionError&) {
        // The connection is dropped by the caller anyway.
      }
    }
    throw;
  }
}

void prepare_one(PGconn* conn, Deadline deadline, const Statement& s) {
  if (PQsendPrepare(conn, s.name, s.sql, static_cast<int>(s.param_types.size()),
                    s.param_types.data()) == 0) {
    throw SessionError(error_message(conn));
  }
  collect(conn, deadline, fmt::format("preparing {}", s.name));
}

void prepare_all(PGconn* conn, Deadline deadline) {
  for (const Statement& s : object_statements()) prepare_one(conn, deadline, s);
  for (const Statement& s : kStatements) {
    if (PQsendPrepare(conn, s.name, s.sql, static_cast<int>(s.param_types.size()),
                      s.param_types.data()) == 0) {
      throw SessionError(error_message(conn));
    }
    collect(conn, deadline, fmt::format("preparing {}", s.name));
  }
}

}  // namespace

void exec_bounded(PGconn* conn, const std::string& sql, std::chrono::milliseconds timeout) {
  query_bounded(conn, sql, std::chrono::steady_clock::now() + timeout);
}

Conn open_session(const PostgresConfig& config) {
  // connect_timeout first: a value in the URL (expanded from dbname) overrides it.
  const std::string timeout = std::to_string(config.connect_timeout_s);
  const std::array<const char*, 3> keys = {"connect_timeout", "dbname", nullptr};
  const std::array<const char*, 3> values = {timeout.c_str(), config.url.c_str(), nullptr};
  Conn conn(PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1));
  if (!conn) throw SessionError("out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) throw SessionError(error_message(conn.get()));
  // libpq prints server notices ("relation ... already exists, skipping")
  // to stderr by default; they are not worth more than a debug line.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char* message) { spdlog::debug("store: postgres: {}", message); },
      nullptr);
  if (PQsetnonblocking(conn.get(), 1) != 0) throw SessionError(error_message(conn.get()));
  // Setting the session up (migrations, which may wait for another node's
  // migration lock, and the prepared statements) is bounded like the
  // connect, not like one batch: a short batch timeout must not make
  // opening the store fail on a slow start (it did under ASan at 50 ms).
  const Deadline deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(
          std::max<uint64_t>(config.batch_timeout_ms, uint64_t{config.connect_timeout_s} * 1000));
  migrate(conn.get(), deadline);
  // The server gives up on a statement by itself after the batch timeout (a
  // lock wait, a slow plan): the batch then fails with an error and the
  // connection stays. The store's own deadline, a little later, covers a
  // server or network that does not answer at all.
  query_bounded(conn.get(), fmt::format("SET statement_timeout = {}", config.batch_timeout_ms),
                deadline);
  prepare_all(conn.get(), deadline);
  if (PQenterPipelineMode(conn.get()) == 0) throw SessionError(error_message(conn.get()));
  return conn;
}

}  // namespace citadel::store::pg
