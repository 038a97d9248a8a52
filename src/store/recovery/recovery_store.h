// The recovery log in a SQLite file of its own (recovery.path), written by
// one thread (`citadel-recover`). Callers hand records over under a mutex
// (a map insert: the newest record of a room or session replaces one still
// waiting) and the writer, once woken, gathers for 100 ms more and commits
// everything waiting in one transaction, then waits for more. So a room
// snapshotting every second costs one map insert on its thread, and the
// file takes at most ten commits a second however many rooms there are.
//
// Durability: WAL without fsync (synchronous=OFF), the file locked by this
// process alone. A killed process loses nothing committed (the kernel has
// it); what was still waiting (at most 100 ms of changes) is lost, and
// those sessions or rooms come back as of their previous record, or not at
// all. A machine crash may damage the file: it is then set aside at start.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "store/recovery/recovery_log.h"
#include "store/store_open_error.h"

namespace citadel::store {

// The file is locked by another process (another server on the same data
// directory): nothing may be read or set aside.
class RecoveryFileBusy : public StoreOpenError {
 public:
  using StoreOpenError::StoreOpenError;
};

// Everything the file held at start.
struct RecoveredState {
  std::vector<SessionRecord> sessions;
  std::vector<RoomRecord> rooms;
  std::map<std::string, uint64_t, std::less<>> floors;
  int64_t last_commit_unix_ms = 0;  // 0: nothing was ever written
};

struct RecoveryStats {
  uint64_t commits = 0;
  uint64_t sessions_written = 0;  // session records put or erased
  uint64_t room_snapshots_written = 0;
  uint64_t rooms_erased = 0;
  uint64_t failures = 0;  // transactions that failed (logged); their records are dropped
};

class RecoveryStore final : public RecoveryLog {
 public:
  // Opens (creating) the file and locks it for this process. Throws
  // RecoveryFileBusy if another holds it, StoreOpenError naming the file
  // for anything else (it cannot be made, or is not a recovery file).
  explicit RecoveryStore(const std::string& path);
  ~RecoveryStore();
  RecoveryStore(const RecoveryStore&) = delete;
  RecoveryStore& operator=(const RecoveryStore&) = delete;

  // Before start(): reads what the previous run left.
  RecoveredState load();
  // Forgets every session and room (the previous run's are too old to
  // resume); floors stay. Before start().
  void clear_sessions_and_rooms();
  // Starts the writer. Records handed over before it wait for it.
  void start();
  // Commits what is waiting and joins the writer. Idempotent.
  void shutdown();

  // RecoveryLog (any thread)
  void write_sessions(std::vector<SessionRecord> put, std::vector<uint64_t> erased) override;
  void put_room(RoomRecord room) override;
  void erase_room(uint64_t room_id) override;
  void raise_floor(std::string_view name, uint64_t value) override;

  RecoveryStats stats() const;  // any thread
  const std::string& path() const { return path_; }

 private:
  struct Pending {
    std::unordered_map<uint64_t, std::optional<SessionRecord>> sessions;  // nullopt: erase
    std::unordered_map<uint64_t, std::optional<RoomRecord>> rooms;        // nullopt: erase
    std::map<std::string, uint64_t, std::less<>> floors;
    bool empty() const { return sessions.empty() && rooms.empty() && floors.empty(); }
  };
  class Db;

  // Runs add(pending_) under the lock, then wakes the writer if that was
  // the first record of a batch. On the callers' threads.
  template <class Add>
  void hand_over(Add&& add);
  void run();  // the writer thread
  void commit(const Pending& batch);

  const std::string path_;
  std::unique_ptr<Db> db_;  // the writer thread's once started
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Pending pending_;  // guarded by mutex_
  bool stopping_ = false;
  std::thread writer_;

  std::atomic<uint64_t> commits_{0}, sessions_written_{0}, room_snapshots_written_{0},
      rooms_erased_{0}, failures_{0};
};

}  // namespace citadel::store
