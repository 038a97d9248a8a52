// The rooms' directory and front door: room types, which rooms exist and
// their seats, which room each user is in (at most one), join-or-create,
// the matchmaker, and the commands of schemas/rooms.fbs.
//
// Threads: handlers run on the connection's loop and post to the service
// loop, which owns the directory (no lock). Rooms run on executors (the I/O
// loops by default, or a pool of logic threads: rooms.executor_threads); the
// directory posts joins and leaves to a room's executor, and rooms report
// back by posting to the service loop. Inputs go straight from the
// connection's loop to the room's executor (directly when it is the same
// thread), never through the service loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "net/event_loop.h"
#include "rooms/matchmaker.h"
#include "rooms/room.h"
#include "rooms/room_routes.h"
#include "rooms/room_stats.h"
#include "rooms/room_type.h"
#include "server/router.h"

namespace citadel::server {
class Server;
}

namespace citadel::rooms {

// Rooms tick on a grid of slots this wide: rooms in one slot share their
// deadlines, so one wake-up of the executor runs all of their ticks and one
// flush writes all of their state, while the slots still spread the rooms
// over the tick period (a thousand rooms never tick in one instant). On this
// machine a wake-up, not the work, was the larger cost of a lone room's tick.
inline constexpr std::chrono::nanoseconds kTickSlotWidth = std::chrono::milliseconds(2);

// When a new room's first tick is due: in the slot its id picks, after now.
Room::Clock::time_point first_tick_at(uint64_t room_id, uint32_t tick_hz,
                                      Room::Clock::time_point now,
                                      std::chrono::nanoseconds slot_width = kTickSlotWidth);

struct RoomsConfig {
  // The width of the tick slots (kTickSlotWidth by default; rooms.tick_slot_us).
  std::chrono::nanoseconds tick_slot = kTickSlotWidth;
  uint32_t executor_threads = 0;  // 0: rooms run on the I/O loops
  std::chrono::milliseconds match_poll{100};
};

class RoomService final : private RoomHost {
 public:
  // Usernames come from `username_of`, called on the service loop.
  RoomService(server::Server& server, const RoomsConfig& config,
              std::function<std::string(uint64_t user_id)> username_of);
  ~RoomService();
  RoomService(const RoomService&) = delete;
  RoomService& operator=(const RoomService&) = delete;

  // Start-up, before register_handlers. Throws std::invalid_argument for a
  // duplicate name or input cmd, or options out of range.
  void add_type(RoomType type);
  // A reload's new limits for a room type (any thread; applied on the
  // service loop): max_players for rooms opened from now on, empty_ttl for
  // rooms that empty from now on. False if no type has that name.
  bool apply_type_limits(std::string_view name, uint32_t max_players,
                         std::chrono::milliseconds empty_ttl);
  // The code rooms of type `name` open with from now on (any thread;
  // applied on the service loop). Rooms already open keep theirs. False if
  // no type has that name or the type is not swappable (a plugin's). The caller keeps what the code
  // needs alive through `code` (a plugin's library).
  bool swap_code(std::string_view name, std::shared_ptr<const RoomCode> code);
  // Start-up: where RoomContext::scores() sends the rooms' scores (the
  // leaderboard service). Without it rooms get no_scores().
  void set_score_sink(ScoreSink& sink) { score_sink_ = &sink; }
  // Start-up: the objects rooms reach through RoomContext::storage(). Without
  // it, their storage calls fail with kStorageError. Must outlive the rooms'
  // last completion: the store is shut down before stop().
  void set_object_store(store::ObjectStore& objects) { objects_ = &objects; }
  // Start-up, crash recovery: rooms opened from now on save a snapshot to
  // `log` every `snapshot_every_ticks` ticks (0: none), and room ids stay
  // above the floor written there.
  void set_recovery(store::RecoveryLog& log, uint32_t snapshot_every_ticks) {
    recovery_ = &log;
    snapshot_every_ticks_ = snapshot_every_ticks;
  }
  // Start-up (service loop): the rooms of the previous run, from their last
  // snapshots. Only seats whose user `has_session` are kept; a room left
  // with none, of a type no longer served, or whose state was saved by a
  // version of its code that is not running now (unless that code takes
  // over states: hands_over_state) is not brought back. Room ids issued
  // later stay above `room_id_floor`. Returns the rooms brought back.
  std::size_t restore_in_loop(std::vector<store::RoomRecord> rooms,
                              const std::function<bool(uint64_t user_id)>& has_session,
                              uint64_t room_id_floor);
  // Start-up: told on the service loop whenever a user's seat changes:
  // the room they now hold a seat in, or 0 (left, refused, the room
  // closed). A fleet's game node passes it to the player's gateway, which
  // sends that player's room commands here while the seat lasts. A
  // session attached to a seated user (a resume) says the seat again.
  using SeatObserver = std::function<void(uint64_t user_id, uint64_t room_id)>;
  void set_seat_observer(SeatObserver f) { seat_observer_ = std::move(f); }
  // Start-up, a fleet's game node: a player a room here transferred away
  // (RoomContext::transfer) whose connection is on a gateway is placed by
  // that gateway, which holds its inputs meanwhile: return true to take
  // the request there (service loop). Otherwise, and by default, the
  // player is placed here.
  using TransferOut = std::function<bool(const TransferRequest&)>;
  void set_transfer_out(TransferOut f) { transfer_out_ = std::move(f); }
  // Start-up, a fleet's game node: a RoomLeave of a player a room here
  // just handed to its gateway for placing (TransferOut) reached this node
  // after the seat went: return true to send it back to that gateway,
  // which delivers it after the player, to the room it arrives in
  // (service loop). Otherwise it is answered NotInRoom.
  using ReturnLeave = std::function<bool(uint64_t connection_id, uint32_t request_id)>;
  void set_return_leave(ReturnLeave f) { return_leave_ = std::move(f); }
  // Service loop, a fleet's game node: a gateway sends a transferred player
  // here (its connection_id: the id the player has on this node).
  void transfer_in_in_loop(TransferRequest request);
  // The connection's loop, a fleet's game node: the inputs the player's
  // room kept for a connection it transferred away, in order (see
  // RoomRoutes::take_inputs_in_loop); the route goes.
  void take_inputs_in_loop(uint64_t connection_id, RoomRoutes::TakeInputs out) {
    routes_.take_inputs_in_loop(connection_id, std::move(out));
  }
  // Start-up: where new rooms' ids come from (service loop). A fleet's game
  // nodes draw ids no other node draws; by default a counter.
  void set_room_ids(std::function<uint64_t()> next_id) { next_id_ = std::move(next_id); }
  // Start-up: told on the service loop when a room opens here (new or
  // restored) and when it closes; a fleet's game node records ownership.
  struct RoomObserver {
    std::function<void(uint64_t room_id, const std::string& type)> opened;
    std::function<void(uint64_t room_id)> closed;
  };
  void set_room_observer(RoomObserver observer) { room_observer_ = std::move(observer); }
  // The input commands of the room types served (start-up, after add_type):
  // a gateway forwards these to the player's game node.
  std::vector<uint16_t> input_cmds() const;
  void register_handlers(server::Router& router);
  // Stops the logic threads (if any; they start with the service). After
  // the server has stopped; the destructor does it too.
  void stop();

  // Hooks. Connection loop: any connection closed (its room route goes);
  // then, if it had a user, that user's seat waits for a resume.
  void on_connection_closed(uint64_t connection_id);
  void on_user_disconnected(uint64_t connection_id, uint64_t user_id);
  // Service loop: the user is on a new connection (resume or takeover), or
  // their session ended.
  void on_session_attached_in_loop(uint64_t user_id, uint64_t connection_id);
  // Fencing, a fleet's game node (service loop; docs/fleet.md): `true`
  // fences every open room and every room opened from now on (they do not
  // tick: the node lost its lease and may no longer own them); `false`
  // lets rooms opened from now on tick, while the fenced ones wait for
  // fence_in_loop(id, false) (their owner record is back) or
  // close_room_in_loop (another node owns them now).
  void set_fencing_in_loop(bool fence);
  void fence_in_loop(uint64_t room_id, bool fenced);
  // Ends a room from outside (its players are told nothing more: their
  // seats are forgotten here, told to the seat observer as 0).
  void close_room_in_loop(uint64_t room_id, std::string reason);
  // Hand-over (a draining fleet node, service loop): fences the room and
  // gives `done` (later, on the service loop) its state as a snapshot
  // saves it; nullopt if there is no such room or its code saves none.
  void hand_off_in_loop(uint64_t room_id,
                        std::function<void(std::optional<store::RoomRecord>)> done);
  void on_session_ended_in_loop(uint64_t user_id);

  // Thread-safe.
  RoomStatsSnapshot stats() const;
  uint32_t executors() const { return static_cast<uint32_t>(executors_.size()); }

 private:
  struct Request {
    uint64_t connection_id = 0;
    uint64_t user_id = 0;
    uint32_t request_id = 0;
  };
  struct Entry {
    std::shared_ptr<Room> room;
    const RoomType* type = nullptr;
    std::shared_ptr<const RoomCode> code;  // what the room runs, as it last said
    uint32_t seats = 0;                    // taken or promised
    uint32_t max_players = 0;              // the type's when the room opened
    std::optional<net::TimerQueue::TimerId> empty_timer;
    bool fenced = false;
  };

  // RoomHost (room threads).
  void join_refused(uint64_t room_id, uint64_t user_id, uint64_t transfer_from) override;
  void player_transferred(TransferRequest request) override;
  void transfer_placed(uint64_t room_id, uint64_t user_id) override;
  void room_closed(uint64_t room_id) override;
  void room_code_changed(uint64_t room_id, std::shared_ptr<const RoomCode> code) override;
  ScoreSink& scores() override { return score_sink_ ? *score_sink_ : no_scores(); }

  // Service loop.
  void join_in_loop(Request req, std::string type_name, uint64_t room_id, bool create,
                    uint32_t last_frame);
  void leave_in_loop(Request req);
  void match_find_in_loop(Request req, std::string type_name, std::string mode, int32_t skill);
  void match_cancel_in_loop(Request req);
  void poll_matches_in_loop();
  Entry& open_room_in_loop(const RoomType& type);
  // A new room's object and directory entry (not started).
  Entry& add_room_in_loop(const RoomType& type, uint64_t id);
  Entry* pick_room_in_loop(const RoomType& type, uint64_t except = 0);
  // Seats a transferred player in the room its request names (or tells it
  // why not: RoomEvent Closed naming the room it left; the seat observer
  // hears 0).
  void place_transfer_in_loop(TransferRequest request);
  // A transfer failed: the room it left drops the inputs it kept.
  void forget_departed_in_loop(uint64_t room_id, uint64_t user_id);
  // tell: the seat observer hears of it now (a transfer's, once the room
  // has set the player's route: transfer_placed).
  void seat_in_loop(Entry& entry, uint64_t user_id, bool tell = true);
  // Drops a closed room's entry: the observer hears of it, its seats go.
  void forget_room_in_loop(std::unordered_map<uint64_t, Entry>::iterator it);
  void release_seat_in_loop(uint64_t room_id, uint64_t user_id);
  void reply_in_loop(const Request& req, msg::RoomResult result, std::string_view message);
  const RoomType* find_type(std::string_view name) const;
  void on_input(net::Responder& peer, const RoomType& type, std::span<const uint8_t> payload);

  server::Server& server_;
  net::EventLoop& service_loop_;
  const RoomsConfig config_;
  std::function<std::string(uint64_t)> username_of_;
  std::vector<std::unique_ptr<RoomType>> types_;
  std::vector<std::unique_ptr<net::EventLoop>> logic_loops_;  // when executor_threads > 0
  std::vector<net::EventLoop*> executors_;
  std::vector<std::unique_ptr<RoomStats>> stats_;  // one per executor
  RoomRoutes routes_;

  ScoreSink* score_sink_ = nullptr;  // set at start-up, read by room threads
  SeatObserver seat_observer_;       // set at start-up, called on the service loop
  TransferOut transfer_out_;         // the same
  ReturnLeave return_leave_;         // the same
  RoomObserver room_observer_;       // the same
  std::function<uint64_t()> next_id_;

  // Service loop only.
  // Users a room here handed to their gateway for placing (TransferOut),
  // until seated here again or their session ends: a RoomLeave of theirs
  // with no seat here goes back to the gateway (return_leave_).
  std::unordered_set<uint64_t> placed_by_gateway_;
  std::unordered_map<uint64_t, Entry> rooms_;
  std::unordered_map<uint64_t, uint64_t> user_room_;
  Matchmaker matchmaker_;
  bool match_timer_armed_ = false;
  bool fence_new_rooms_ = false;  // set_fencing_in_loop
  uint64_t next_room_id_ = 0;
  std::size_t next_executor_ = 0;
  store::ObjectStore* objects_ = nullptr;
  store::RecoveryLog* recovery_ = nullptr;  // set at start-up
  uint32_t snapshot_every_ticks_ = 0;
  // Service loop. Rooms open far slower than 2^19 in a write's few milliseconds.
  store::IdFloor room_id_floor_{store::kRoomIdFloor, uint64_t{1} << 20};
  // Users whose room did not come back after a restart: the room's id and
  // why, told (RoomEvent Closed) when they resume (service loop).
  std::unordered_map<uint64_t, std::pair<uint64_t, std::string>> lost_rooms_;
};

}  // namespace citadel::rooms
