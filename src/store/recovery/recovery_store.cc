#include "store/recovery/recovery_store.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "store/recovery/recovery_codec.h"
#include "store/sqlite_handle.h"

namespace citadel::store {
namespace {

// Bump with a migration when the tables change; a file of another version
// is not read (its sessions are minutes old at most: starting empty loses
// little, misreading it could seat players in the wrong rooms).
constexpr int kRecoverySchemaVersion = 1;

constexpr auto kGatherWindow = std::chrono::milliseconds(100);

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS sessions (
    user_id    INTEGER PRIMARY KEY,
    username   TEXT NOT NULL,
    session_id INTEGER NOT NULL,
    channels   TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS rooms (
    room_id       INTEGER PRIMARY KEY,
    type          TEXT NOT NULL,
    code_version  TEXT NOT NULL,
    tick          INTEGER NOT NULL,
    saved_unix_ms INTEGER NOT NULL,
    seats         BLOB NOT NULL,
    state         BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS floors (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS commits (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    last_unix_ms  INTEGER NOT NULL
  );
)sql";

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Channel names hold no newline (chat allows A-Z a-z 0-9 _ - .).
std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

// The connection and its statements: the opening thread's until start(),
// then the writer's.
class RecoveryStore::Db {
 public:
  explicit Db(const std::string& path) {
    sqlite3* raw = nullptr;
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db.reset(raw);
    if (rc != SQLITE_OK) {
      throw SqliteError(rc, db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc));
    }
    if (sqlite3_db_readonly(db.get(), "main") == 1) {
      throw SqliteError(SQLITE_READONLY, "the file is read-only");
    }
    sqlite3_busy_timeout(db.get(), 1000);
    // One process owns the file: an exclusive lock spares the shared-memory
    // index of WAL mode. No fsync at all (synchronous=OFF): what matters is
    // a crash of the process, after which the kernel still writes out what
    // was written; after a crash of the machine the file may be damaged,
    // and is then set aside at start (Services::start_recovery), costing
    // the sessions that a machine crash loses anyway.
    exec_sql(db.get(), "PRAGMA locking_mode=EXCLUSIVE");
    exec_sql(db.get(), "PRAGMA journal_mode=WAL");
    exec_sql(db.get(), "PRAGMA synchronous=OFF");
    Statement version(db.get(), "PRAGMA user_version");
    version.step();
    const int64_t found = version.column_int64(0);
    version.reset();
    if (found != 0 && found != kRecoverySchemaVersion) {
      spdlog::warn("recovery file has version {} (this build writes {}): starting without it",
                   found, kRecoverySchemaVersion);
      exec_sql(db.get(),
               "DROP TABLE IF EXISTS sessions; DROP TABLE IF EXISTS rooms; "
               "DROP TABLE IF EXISTS floors; DROP TABLE IF EXISTS commits;");
    }
    exec_sql(db.get(), kSchema);
    exec_sql(db.get(), fmt::format("PRAGMA user_version={}", kRecoverySchemaVersion).c_str());
    put_session = Statement(
        db.get(),
        "INSERT INTO sessions (user_id, username, session_id, channels) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, "
        "session_id = excluded.session_id, channels = excluded.channels");
    erase_session = Statement(db.get(), "DELETE FROM sessions WHERE user_id = ?1");
    put_room = Statement(
        db.get(),
        "INSERT INTO rooms (room_id, type, code_version, tick, saved_unix_ms, seats, state) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (room_id) DO UPDATE SET "
        "type = excluded.type, code_version = excluded.code_version, tick = excluded.tick, "
        "saved_unix_ms = excluded.saved_unix_ms, seats = excluded.seats, state = excluded.state");
    erase_room = Statement(db.get(), "DELETE FROM rooms WHERE room_id = ?1");
    raise_floor = Statement(db.get(),
                            "INSERT INTO floors (name, value) VALUES (?1, ?2) ON CONFLICT (name) "
                            "DO UPDATE SET value = max(value, excluded.value)");
    note_commit = Statement(db.get(),
                            "INSERT INTO commits (id, last_unix_ms) VALUES (1, ?1) "
                            "ON CONFLICT (id) DO UPDATE SET last_unix_ms = excluded.last_unix_ms");
  }

  SqliteDb db;
  Statement put_session, erase_session, put_room, erase_room, raise_floor, note_commit;
};

RecoveryStore::RecoveryStore(const std::string& path) : path_(path) {
  try {
    db_ = std::make_unique<Db>(path);
  } catch (const SqliteError& e) {
    const int primary = e.code() & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      throw RecoveryFileBusy(
          fmt::format("recovery: '{}' is in use by another process: {}", path, e.what()));
    }
    throw StoreOpenError(fmt::format("recovery: cannot open '{}': {}", path, e.what()));
  } catch (const std::exception& e) {
    throw StoreOpenError(fmt::format("recovery: cannot open '{}': {}", path, e.what()));
  }
}

RecoveryStore::~RecoveryStore() {
  shutdown();
}

RecoveredState RecoveryStore::load() {
  RecoveredState out;
  sqlite3* db = db_->db.get();
  Statement sessions(db, "SELECT user_id, username, session_id, channels FROM sessions");
  while (sessions.step() == SQLITE_ROW) {
    out.sessions.push_back(SessionRecord{
        static_cast<uint64_t>(sessions.column_int64(0)), sessions.column_text(1),
        static_cast<uint64_t>(sessions.column_int64(2)), split_lines(sessions.column_text(3))});
  }
  Statement rooms(
      db,
      "SELECT room_id, type, code_version, tick, saved_unix_ms, seats, state FROM rooms "
      "ORDER BY room_id");
  while (rooms.step() == SQLITE_ROW) {
    auto seats = decode_seats(rooms.column_blob(5));
    const auto room_id = static_cast<uint64_t>(rooms.column_int64(0));
    if (!seats) {
      spdlog::warn("recovery: room {} has a damaged seat list; not restored", room_id);
      continue;
    }
    out.rooms.push_back(RoomRecord{room_id, rooms.column_text(1), rooms.column_text(2),
                                   static_cast<uint64_t>(rooms.column_int64(3)),
                                   rooms.column_int64(4), std::move(*seats), rooms.column_blob(6)});
  }
  Statement floors(db, "SELECT name, value FROM floors");
  while (floors.step() == SQLITE_ROW) {
    out.floors[floors.column_text(0)] = static_cast<uint64_t>(floors.column_int64(1));
  }
  Statement last(db, "SELECT last_unix_ms FROM commits WHERE id = 1");
  if (last.step() == SQLITE_ROW) out.last_commit_unix_ms = last.column_int64(0);
  return out;
}

void RecoveryStore::clear_sessions_and_rooms() {
  exec_sql(db_->db.get(), "DELETE FROM sessions; DELETE FROM rooms;");
}

void RecoveryStore::start() {
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "citadel-recover");
    run();
  });
}

void RecoveryStore::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

// A hand-over wakes the writer only when it brings the first record of a
// batch: the writer then waits out its gather window for stopping_ alone, so
// waking it for every later record (a room snapshot per room per second)
// would only make it run, find nothing to do and sleep again, on the CPU of
// the loop thread that woke it.
template <class Add>
void RecoveryStore::hand_over(Add&& add) {
  bool first;
  {
    std::lock_guard lock(mutex_);
    first = pending_.empty();
    add(pending_);
  }
  if (first) wake_.notify_one();
}

void RecoveryStore::write_sessions(std::vector<SessionRecord> put, std::vector<uint64_t> erased) {
  hand_over([&](Pending& pending) {
    for (auto& s : put) {
      const uint64_t id = s.user_id;
      pending.sessions[id] = std::move(s);
    }
    for (uint64_t id : erased) pending.sessions[id] = std::nullopt;
  });
}

void RecoveryStore::put_room(RoomRecord room) {
  hand_over([&](Pending& pending) {
    const uint64_t id = room.room_id;
    pending.rooms[id] = std::move(room);
  });
}

void RecoveryStore::erase_room(uint64_t room_id) {
  hand_over([&](Pending& pending) { pending.rooms[room_id] = std::nullopt; });
}

void RecoveryStore::raise_floor(std::string_view name, uint64_t value) {
  hand_over([&](Pending& pending) {
    auto [it, inserted] = pending.floors.try_emplace(std::string(name), value);
    if (!inserted && it->second < value) it->second = value;
  });
}

RecoveryStats RecoveryStore::stats() const {
  return RecoveryStats{
      commits_.load(std::memory_order_relaxed), sessions_written_.load(std::memory_order_relaxed),
      room_snapshots_written_.load(std::memory_order_relaxed),
      rooms_erased_.load(std::memory_order_relaxed), failures_.load(std::memory_order_relaxed)};
}

void RecoveryStore::run() {
  for (;;) {
    Pending batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and everything is written
      // Rooms snapshot on a tick grid spread over the period: gathering
      // what a few milliseconds bring makes one commit of many records
      // instead of one commit per record.
      wake_.wait_for(lock, kGatherWindow, [&] { return stopping_; });
      std::swap(batch, pending_);
    }
    commit(batch);
  }
}

void RecoveryStore::commit(const Pending& batch) {
  Db& d = *db_;
  try {
    exec_sql(d.db.get(), "BEGIN IMMEDIATE");
    try {
      uint64_t snapshots = 0, erased_rooms = 0;
      for (const auto& [user_id, record] : batch.sessions) {
        if (record) {
          StatementScope st(d.put_session);
          const std::string channels = join_lines(record->channels);
          st->bind_int64(1, static_cast<int64_t>(user_id));
          st->bind_text(2, record->username);
          st->bind_int64(3, static_cast<int64_t>(record->session_id));
          st->bind_text(4, channels);
          if (st->step() != SQLITE_DONE) throw SqliteError(0, sqlite3_errmsg(d.db.get()));
        } else {
          StatementScope st(d.erase_session);
          st->bind_int64(1, static_cast<int64_t>(user_id));
          if (st->step() != SQLITE_DONE) throw SqliteError(0, sqlite3_errmsg(d.db.get()));
        }
      }
      for (const auto& [room_id, record] : batch.rooms) {
        if (record) {
          StatementScope st(d.put_room);
          const std::vector<uint8_t> seats = encode_seats(record->seats);
          st->bind_int64(1, static_cast<int64_t>(room_id));
          st->bind_text(2, record->type);
          st->bind_text(3, record->code_version);
          st->bind_int64(4, static_cast<int64_t>(record->tick));
          st->bind_int64(5, record->saved_unix_ms);
          st->bind_blob(6, seats);
          st->bind_blob(7, record->state);
          if (st->step() != SQLITE_DONE) throw SqliteError(0, sqlite3_errmsg(d.db.get()));
          ++snapshots;
        } else {
          StatementScope st(d.erase_room);
          st->bind_int64(1, static_cast<int64_t>(room_id));
          if (st->step() != SQLITE_DONE) throw SqliteError(0, sqlite3_errmsg(d.db.get()));
          ++erased_rooms;
        }
      }
      for (const auto& [name, value] : batch.floors) {
        StatementScope st(d.raise_floor);
        st->bind_text(1, name);
        st->bind_int64(2, static_cast<int64_t>(value));
        if (st->step() != SQLITE_DONE) throw SqliteError(0, sqlite3_errmsg(d.db.get()));
      }
      {
        StatementScope st(d.note_commit);
        st->bind_int64(1, unix_ms());
        if (st->step() != SQLITE_DONE) throw SqliteError(0, sqlite3_errmsg(d.db.get()));
      }
      exec_sql(d.db.get(), "COMMIT");
      // Counted once committed: a test that waits for a count sees it on disk.
      commits_.fetch_add(1, std::memory_order_relaxed);
      sessions_written_.fetch_add(batch.sessions.size(), std::memory_order_relaxed);
      room_snapshots_written_.fetch_add(snapshots, std::memory_order_relaxed);
      rooms_erased_.fetch_add(erased_rooms, std::memory_order_relaxed);
    } catch (...) {
      sqlite3_exec(d.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (const std::exception& e) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("recovery: writing {} session and {} room records to {} failed: {}",
                  batch.sessions.size(), batch.rooms.size(), path_, e.what());
  }
}

}  // namespace citadel::store
