// What a node writes down so that its players survive a crash of the
// process (issue 16, docs/operations.md "Crash recovery"): each session
// (enough to resume it) and each room's latest snapshot. Unlike accounts or
// storage objects this is node-local state: it lives in a file beside the
// process, whatever store.backend holds the shared data.
//
// The port is called from any thread (the session registry on the service
// loop, rooms on their executors). Calls never block on I/O: they hand the
// record to the writer, which coalesces what is waiting (only a room's or a
// session's newest record is written) and commits it in one transaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::store {

// A session as a Resume after a restart needs it. Its pushes are not kept:
// the first resume after a restart is told to resync.
struct SessionRecord {
  uint64_t user_id = 0;
  std::string username;
  uint64_t session_id = 0;            // what the client's token names
  std::vector<std::string> channels;  // named chat channels it is a member of
};

struct RoomSeat {
  uint64_t user_id = 0;
  std::string username;
};

// A room as of its last snapshot, taken between two ticks on its thread.
struct RoomRecord {
  uint64_t room_id = 0;
  std::string type;          // the room type's name
  std::string code_version;  // "builtin", or the plugin version that saved `state`
  uint64_t tick = 0;         // ticks the room had run
  int64_t saved_unix_ms = 0;
  std::vector<RoomSeat> seats;  // in join order
  std::vector<uint8_t> state;   // RoomLogic::save_state
};

// Counters that must never repeat across restarts (push ids, session ids,
// room ids): the value written is a floor that every id issued later stays
// above. Names: kPushIdFloor, ...
inline constexpr std::string_view kPushIdFloor = "push_id";
inline constexpr std::string_view kSessionIdFloor = "session_id";
inline constexpr std::string_view kRoomIdFloor = "room_id";
// Not an id: raised once a second by a running node, so the file's last
// commit tells how long the node has been down (RecoveredState).
inline constexpr std::string_view kAliveUnixMs = "alive_unix_ms";

class RecoveryLog {
 public:
  // Sessions that changed (put) and ended (erased), in one batch.
  virtual void write_sessions(std::vector<SessionRecord> put, std::vector<uint64_t> erased) = 0;
  virtual void put_room(RoomRecord room) = 0;
  virtual void erase_room(uint64_t room_id) = 0;
  // Raises the named floor to at least `value`.
  virtual void raise_floor(std::string_view name, uint64_t value) = 0;

 protected:
  ~RecoveryLog() = default;
};

// One id counter's floor as last handed to a log. Ids issued stay below it
// with `headroom` to spare: it is raised (to the newest id + headroom) once
// ids come within half the headroom of it, so a write that lands a few
// milliseconds later is still ahead of every id issued meanwhile.
class IdFloor {
 public:
  IdFloor(std::string_view name, uint64_t headroom) : name_(name), headroom_(headroom) {}
  void keep_above(uint64_t newest_id, RecoveryLog& log) {
    if (newest_id + headroom_ / 2 <= written_) return;
    written_ = newest_id + headroom_;
    log.raise_floor(name_, written_);
  }

 private:
  std::string_view name_;
  uint64_t headroom_;
  uint64_t written_ = 0;
};

}  // namespace citadel::store
