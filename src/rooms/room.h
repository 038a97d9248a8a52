// One running room: an actor on one executor thread. Every method named
// *_in_loop runs on that thread (the room service posts to it), and so does
// all of the room's game code, which therefore needs no locks.
//
// The tick keeps a fixed schedule: tick k is due at origin + k * interval,
// whatever the previous tick cost. A tick that runs longer than its interval
// is counted; slots the executor missed entirely are skipped (and counted)
// instead of run back to back. Each room's origin is offset by a phase, so
// many rooms spread their ticks (and their bursts of writes) over the period
// (see first_tick_at in room_service.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/event_loop.h"
#include "protocol/rooms_generated.h"
#include "rooms/input_queue.h"
#include "rooms/room_logic.h"
#include "rooms/room_messages.h"
#include "rooms/room_routes.h"
#include "rooms/room_stats.h"
#include "rooms/room_type.h"
#include "server/outbox.h"
#include "store/recovery/recovery_log.h"

namespace citadel::rooms {

// A player a room let go by RoomContext::transfer, on its way to the room
// `target` names (the directory, or in a fleet the player's gateway,
// places it).
struct TransferRequest {
  uint64_t user_id = 0;
  uint64_t connection_id = 0;  // 0: the player is away (its seat moves all the same)
  uint64_t from_room = 0;
  std::string from_type;
  TransferTarget target;
};

// What a room reports back to its directory (the room service). Called on
// the room's thread; the implementation posts to its own.
class RoomHost {
 public:
  // transfer_from: the room the player left by transfer (0: a plain join).
  virtual void join_refused(uint64_t room_id, uint64_t user_id, uint64_t transfer_from) = 0;
  // The room let the player go (RoomContext::transfer): place it.
  virtual void player_transferred(TransferRequest request) = 0;
  // A transferred player is seated and its route set (its inputs reach
  // this room from now on): the seat observer may hear of it now.
  virtual void transfer_placed(uint64_t room_id, uint64_t user_id) = 0;
  virtual void room_closed(uint64_t room_id) = 0;
  // The room now runs `code` (a handover).
  virtual void room_code_changed(uint64_t room_id, std::shared_ptr<const RoomCode> code) = 0;
  // Where the rooms' scores go (any thread).
  virtual ScoreSink& scores() { return no_scores(); }

 protected:
  ~RoomHost() = default;
};

struct JoinTicket {
  uint64_t user_id = 0;
  std::string username;
  uint64_t connection_id = 0;
  uint32_t request_id = 0;
  uint32_t last_frame = 0;
  bool via_match = false;  // answer with MatchResult instead of RoomReply
  uint32_t waited_ms = 0;  // matchmaking: time in the queue
  // Set when another room transferred the player here: no RoomReply (the
  // player asked nothing) but RoomEvent Transferred, or Closed if refused.
  struct Transfer {
    uint64_t from_room = 0;
    std::string from_type;
    std::vector<uint8_t> handoff;
  };
  std::optional<Transfer> transfer = std::nullopt;
};

class Room final : public std::enable_shared_from_this<Room>,
                   private RoomContext,
                   private RoomStorage {
 public:
  using Clock = net::EventLoop::Clock;  // the loops' clock: a test may fake it

  Room(uint64_t id, const RoomType& type, net::EventLoop& executor, server::Outbox& outbox,
       RoomRoutes& routes, RoomStats& stats, RoomHost& host, Clock::time_point first_tick,
       std::size_t page_bytes, store::ObjectStore* objects = nullptr);
  ~Room();

  uint64_t id() const { return id_; }
  const RoomType& type() const { return type_; }
  net::EventLoop& executor() { return executor_; }

  // Crash recovery, before start: every `every_ticks` ticks (and at the
  // tick after a player joins or leaves) the room saves its state
  // (RoomLogic::save_state) and seats to `log`; closing erases them.
  void enable_snapshots(store::RecoveryLog& log, uint32_t every_ticks) {
    recovery_ = &log;
    snapshot_every_ = every_ticks;
  }
  void start_in_loop();
  // Instead of start_in_loop: the room as its last snapshot left it, its
  // players detached (each waits for its session's resume), its tick count
  // advanced by the time it was down. Seats of `gone` (users whose session
  // did not survive) are then given up (on_leave). A logic that refuses the
  // state closes the room.
  void restore_in_loop(store::RoomRecord record, std::vector<uint64_t> gone);
  void join_in_loop(JoinTicket ticket);
  // A matched group: every member is seated (on_join) before any is told,
  // so each MatchResult and first state lists the whole group.
  void join_group_in_loop(std::vector<JoinTicket> group);
  // reply_to: the connection to answer (0: none), with request_id.
  void leave_in_loop(uint64_t user_id, uint64_t reply_to, uint32_t request_id);
  void detach_in_loop(uint64_t user_id, uint64_t connection_id);
  void attach_in_loop(uint64_t user_id, uint64_t connection_id);
  void resync_in_loop(uint64_t user_id, uint64_t connection_id, uint32_t request_id,
                      uint32_t last_frame);
  // check: run the room's code's input check first (plugin types, whose
  // code may change; built-in types were checked on the connection's loop).
  void input_in_loop(uint64_t user_id, std::span<const uint8_t> payload, bool check = false);
  // Moves the room to `next` between two ticks if its code opts in and the
  // running logic can save its state (see RoomLogic::save_state); else the
  // room stays on its version.
  void hand_over_in_loop(std::shared_ptr<const RoomCode> next);
  // Ends the room without telling the directory (it asked).
  void dispose_in_loop(std::string_view reason);
  // Player transfer: the inputs this room kept for a connection whose
  // player it transferred away (queued but not applied, and any that came
  // after), in order, with its type's input cmd; they are forgotten here.
  // Runs even on a closed room (the connection's loop asks once per move).
  std::pair<uint16_t, std::vector<HeldInput>> hand_back_in_loop(uint64_t connection_id);
  // The transfer failed: those inputs are dropped and the route goes.
  void forget_departed_in_loop(uint64_t user_id);
  // Fencing (a fleet's game node cut off from etcd, docs/fleet.md): a fenced
  // room does not tick (no inputs applied, no state sent, no snapshot
  // written) until unfenced; then it ticks at once and keeps a new grid.
  // Inputs that arrive meanwhile wait in its queue (bounded as ever).
  void fence_in_loop(bool fenced);
  // Hand-over (a draining fleet node): fences the room and returns its
  // state as a snapshot saves it (nullopt: closed, or its code saves none).
  // Until unfenced, the room's players belong to its next owner: closing
  // this copy (the node exits) tells them nothing (no RoomEvent Closed).
  std::optional<store::RoomRecord> hand_off_in_loop();

 private:
  // RoomContext
  uint64_t room_id() const override { return id_; }
  uint64_t tick() const override { return ticks_; }
  std::chrono::nanoseconds tick_interval() const override { return interval_; }
  std::span<const Player* const> players() const override { return player_view_; }
  void broadcast(uint16_t cmd, std::span<const uint8_t> payload) override;
  void broadcast_frame(const net::SharedBytes& frame) override;
  void send(const Player& to, uint16_t cmd, std::span<const uint8_t> payload) override;
  void send_frame(const Player& to, const net::SharedBytes& frame) override;
  void send_frame(std::span<const Player* const> to, const net::SharedBytes& frame) override;
  std::size_t page_bytes() const override { return page_bytes_; }
  void close(std::string_view reason) override;
  std::string transfer(const Player& player, const TransferTarget& target) override;
  const Arrival* arrival() const override { return arriving_; }
  ScoreSink& scores() override { return host_.scores(); }
  RoomStorage& storage() override { return *this; }

  // RoomStorage
  void read(std::vector<store::ObjectId> ids, ReadDone done) override;
  void write(std::vector<store::ObjectWrite> writes, WriteDone done) override;
  void remove(std::vector<store::ObjectDelete> deletes, WriteDone done) override;
  void list(store::ObjectListQuery query, ListDone done) override;
  // The store's callback (store thread) for `done`: posts the result to the
  // room's thread and runs `done` there if the room is still open.
  template <class Result, class Done>
  auto storage_completion(Done done);

  // Runs room code; an exception closes the room. False if the room is
  // closed afterwards (by a fault or by the code asking to close).
  template <class F>
  bool guarded(const char* callback, F&& f);
  void close_in_loop(std::string_view reason, bool fault, bool tell_host);
  void schedule_tick_in_loop();
  void tick_in_loop();
  void snapshot_in_loop();
  // The room as a snapshot records it (nullopt: its code saves no state).
  std::optional<store::RoomRecord> save_in_loop();
  void send_to_others(const Player& who, const net::SharedBytes& frame);
  // Seats one player (on_join); refusals are answered here. Null if refused.
  const Player* admit_in_loop(JoinTicket& ticket);
  // Routes the player's connection to the room and sends the Ok reply.
  void welcome_in_loop(const Player& player, const JoinTicket& ticket);
  void reply(uint64_t connection_id, uint32_t request_id, msg::RoomResult result,
             std::string_view message, bool via_match = false, uint32_t waited_ms = 0);
  Player* find(uint64_t user_id);
  void remove_player(uint64_t user_id);
  // A refusal of a join: RoomReply (or MatchResult), or for a transfer
  // RoomEvent Closed naming the room the player left.
  void refuse(const JoinTicket& t, msg::RoomResult result, std::string_view message);
  // Runs the transfers room code asked for in the callback that returned.
  void run_transfers_in_loop();
  bool leaving(uint64_t user_id) const;

  const uint64_t id_;
  const RoomType& type_;
  net::EventLoop& executor_;
  server::Outbox& outbox_;  // frames to players
  RoomRoutes& routes_;      // players' inputs to this room
  RoomStats& stats_;
  RoomHost& host_;
  const std::chrono::nanoseconds interval_;
  // Seats as the room type had them when this room opened: a reload that
  // changes rooms.<type>.max_players applies to rooms opened after it (the
  // service loop owns the type's options; this thread never reads them).
  const uint32_t max_players_;
  const std::size_t page_bytes_;
  store::ObjectStore* const objects_;  // null: storage calls fail (kStorageError)
  // The code this room runs: the type's when it opened, or a later version
  // it was handed over to (room thread only). Declared before logic_.
  std::shared_ptr<const RoomCode> code_;
  std::unique_ptr<RoomLogic> logic_;
  InputQueue inputs_;
  std::vector<std::unique_ptr<Player>> players_;
  std::vector<const Player*> player_view_;
  std::vector<uint64_t> connection_scratch_;
  Clock::time_point next_tick_at_{};
  std::optional<net::TimerQueue::TimerId> tick_timer_;
  uint64_t ticks_ = 0;
  bool closed_ = false;
  bool fenced_ = false;
  bool handed_off_ = false;  // hand_off_in_loop, until unfenced
  bool ticking_ = false;     // the tick schedule has started (on_create ran, or a restore)
  std::optional<std::string> close_requested_;
  // Player transfer (room thread). Asked for during a callback, run when
  // it returns; inputs of a leaving player met while draining are carried.
  struct PendingTransfer {
    uint64_t user_id = 0;
    TransferTarget target;
    std::vector<HeldInput> carried;
  };
  std::vector<PendingTransfer> transfers_;
  // Players transferred away whose connection still routes here: their
  // inputs are kept (not applied) until the route moves (hand_back_in_loop).
  struct Departed {
    uint64_t user_id = 0;
    uint64_t connection_id = 0;
    uint64_t since_tick = 0;
    std::vector<HeldInput> inputs;
    std::size_t bytes = 0;
  };
  std::vector<Departed> departed_;
  const Arrival* arriving_ = nullptr;  // during on_join of a transferred player
  // Crash recovery (room thread).
  store::RecoveryLog* recovery_ = nullptr;
  uint32_t snapshot_every_ = 0;  // 0: no snapshots
  bool snapshot_due_ = false;    // seats changed since the last one
};

}  // namespace citadel::rooms
