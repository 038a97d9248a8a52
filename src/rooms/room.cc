#include "rooms/room.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "ops/crash_report.h"
#include "protocol/commands.h"
#include "server/outbox.h"

namespace citadel::rooms {

Room::Room(uint64_t id, const RoomType& type, net::EventLoop& executor, server::Outbox& outbox,
           RoomRoutes& routes, RoomStats& stats, RoomHost& host, Clock::time_point first_tick,
           std::size_t page_bytes, store::ObjectStore* objects)
    : id_(id),
      type_(type),
      executor_(executor),
      outbox_(outbox),
      routes_(routes),
      stats_(stats),
      host_(host),
      interval_(std::chrono::nanoseconds(1'000'000'000LL / type.options.tick_hz)),
      max_players_(type.options.max_players),
      page_bytes_(page_bytes),
      objects_(objects),
      code_(type.code ? type.code : builtin_code(type)),
      logic_(code_->make()),
      inputs_(type.options.input_queue, type.options.input_queue_bytes),
      next_tick_at_(first_tick) {
  code_->stats->rooms.fetch_add(1, std::memory_order_relaxed);
}

Room::~Room() = default;

template <class F>
bool Room::guarded(const char* callback, F&& f) {
  if (closed_) return false;
  // Named in a crash report if this callback brings the process down.
  const ops::CrashContextScope crash_context(type_.name.c_str(), id_, code_->version.c_str());
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("room {} ({}): {} threw: {}; closing the room", id_, type_.name, callback,
                  e.what());
    code_->stats->faults.fetch_add(1, std::memory_order_relaxed);
    close_in_loop(fmt::format("room error in {}: {}", callback, e.what()), true, true);
    return false;
  } catch (...) {
    spdlog::error("room {} ({}): {} threw; closing the room", id_, type_.name, callback);
    code_->stats->faults.fetch_add(1, std::memory_order_relaxed);
    close_in_loop(fmt::format("room error in {}", callback), true, true);
    return false;
  }
  if (close_requested_) {
    const std::string reason = std::move(*close_requested_);
    close_requested_.reset();
    transfers_.clear();  // the room ends: its players are told Closed instead
    close_in_loop(reason, false, true);
    return false;
  }
  if (!transfers_.empty()) run_transfers_in_loop();
  return !closed_;
}

void Room::start_in_loop() {
  CITADEL_ASSERT_IN_LOOP(executor_);
  stats_.rooms_open.add();
  stats_.rooms_created.add();
  if (guarded("on_create", [&] { logic_->on_create(*this); })) schedule_tick_in_loop();
}

void Room::restore_in_loop(store::RoomRecord record, std::vector<uint64_t> gone) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  stats_.rooms_open.add();
  stats_.rooms_restored.add();
  // The ticks it would have run while the process was down count as run:
  // tick numbers (and a frame-sync room's frame numbers) never repeat one a
  // client saw before the crash.
  const int64_t down_ms = std::max<int64_t>(0, net::LoopClock::unix_ms() - record.saved_unix_ms);
  ticks_ = record.tick + static_cast<uint64_t>(down_ms) * type_.options.tick_hz / 1000 + 1;
  for (auto& seat : record.seats) {
    auto player = std::make_unique<Player>();
    player->user_id = seat.user_id;
    player->username = std::move(seat.username);
    player_view_.push_back(players_.emplace_back(std::move(player)).get());
    stats_.players.add();
  }
  bool restored = false;
  if (!guarded("restore_state", [&] { restored = logic_->restore_state(*this, record.state); })) {
    return;  // closed, and the host told
  }
  if (!restored) {
    spdlog::warn("room {} ({}): its code refused the saved state; the room ends", id_, type_.name);
    return close_in_loop("could not be restored after a restart", false, true);
  }
  for (uint64_t user_id : gone) leave_in_loop(user_id, 0, 0);
  snapshot_due_ = true;
  schedule_tick_in_loop();
}

Player* Room::find(uint64_t user_id) {
  for (auto& p : players_) {
    if (p->user_id == user_id) return p.get();
  }
  return nullptr;
}

void Room::reply(uint64_t connection_id, uint32_t request_id, msg::RoomResult result,
                 std::string_view message, bool via_match, uint32_t waited_ms) {
  if (connection_id == 0) return;
  const RoomInfo info{id_, type_.name, type_.options.tick_hz, max_players_};
  const bool ok = result == msg::RoomResult::Ok;
  const auto members = ok ? players() : std::span<const Player* const>{};
  outbox_.send_from(&executor_, connection_id,
                    via_match ? encode_match_result(result, message, waited_ms, info, members)
                              : encode_room_reply(request_id, result, message, info, members));
}

void Room::refuse(const JoinTicket& t, msg::RoomResult result, std::string_view message) {
  if (!t.transfer) {
    return reply(t.connection_id, t.request_id, result, message, t.via_match, t.waited_ms);
  }
  // The player asked nothing: it was sent here. It is in no room now.
  if (t.connection_id == 0) return;
  Player who{t.user_id, t.username, t.connection_id};
  outbox_.send_from(
      &executor_, t.connection_id,
      encode_room_event(msg::RoomEventKind::Closed, t.transfer->from_room, &who,
                        fmt::format("transfer to room {} refused: {}", id_, message)));
}

const Player* Room::admit_in_loop(JoinTicket& t) {
  const uint64_t transfer_from = t.transfer ? t.transfer->from_room : 0;
  if (closed_) {
    refuse(t, msg::RoomResult::RoomClosed, "the room has ended");
    host_.join_refused(id_, t.user_id, transfer_from);
    return nullptr;
  }
  auto player = std::make_unique<Player>();
  player->user_id = t.user_id;
  player->username = t.username;
  player->connection_id = t.connection_id;
  std::string refusal;
  std::optional<Arrival> arrival;
  if (t.transfer)
    arrival = Arrival{t.transfer->from_room, t.transfer->from_type, t.transfer->handoff};
  arriving_ = arrival ? &*arrival : nullptr;
  const bool alive = guarded("on_join", [&] { refusal = logic_->on_join(*this, *player); });
  arriving_ = nullptr;
  if (!alive) {
    refuse(t, msg::RoomResult::RoomClosed, "the room has ended");
    if (transfer_from != 0) host_.join_refused(id_, t.user_id, transfer_from);
    return nullptr;  // closing told the host, which frees every seat
  }
  if (!refusal.empty()) {
    refuse(t, msg::RoomResult::Rejected, refusal);
    host_.join_refused(id_, t.user_id, transfer_from);
    return nullptr;
  }
  // Back in a room it was transferred out of before its inputs were
  // handed on: they are its again.
  if (auto d = std::find_if(departed_.begin(), departed_.end(),
                            [&](const Departed& x) { return x.user_id == t.user_id; });
      d != departed_.end()) {
    for (const auto& in : d->inputs) inputs_.push(in.user_id, in.bytes, players_.size() + 1);
    departed_.erase(d);
  }
  const Player& p = *players_.emplace_back(std::move(player));
  player_view_.push_back(&p);
  stats_.players.add();
  snapshot_due_ = true;
  return &p;
}

void Room::welcome_in_loop(const Player& p, const JoinTicket& t) {
  // Route first, then the reply: both go to the player's loop in this
  // order, so its first input finds the room. A transferred player's
  // route moves from the room it left, with the inputs that room kept.
  if (p.connected()) routes_.set_route(executor_, p.connection_id, shared_from_this());
  if (t.transfer) {
    if (p.connected()) {
      outbox_.send_from(&executor_, p.connection_id,
                        encode_room_event(msg::RoomEventKind::Transferred, id_, &p, type_.name));
    }
    host_.transfer_placed(id_, p.user_id);
    return;
  }
  reply(p.connection_id, t.request_id, msg::RoomResult::Ok, "joined", t.via_match, t.waited_ms);
}

void Room::join_in_loop(JoinTicket t) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  if (Player* p = closed_ ? nullptr : find(t.user_id)) {  // already here: a rejoin
    return resync_in_loop(p->user_id, t.connection_id, t.request_id, t.last_frame);
  }
  const Player* p = admit_in_loop(t);
  if (p == nullptr) return;
  welcome_in_loop(*p, t);
  send_to_others(*p, encode_room_event(msg::RoomEventKind::PlayerJoined, id_, p));
  guarded("on_sync", [&] { logic_->on_sync(*this, *p, t.last_frame); });
}

void Room::join_group_in_loop(std::vector<JoinTicket> group) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  // Everyone is seated before anyone is told, so each member's reply and
  // first state list the whole group.
  std::vector<std::pair<uint64_t, std::size_t>> admitted;  // user id, ticket index
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!closed_ && find(group[i].user_id) != nullptr) continue;  // holds a seat already
    if (const Player* p = admit_in_loop(group[i])) admitted.emplace_back(p->user_id, i);
  }
  // Players who were here before the group (none in a fresh match room)
  // hear of each newcomer; the newcomers learn of each other from their reply.
  for (const auto& [user_id, i] : admitted) {
    const Player* p = find(user_id);
    if (p == nullptr) continue;  // a later on_join closed the room
    welcome_in_loop(*p, group[i]);
    connection_scratch_.clear();
    for (const auto& other : players_) {
      const bool in_group = std::any_of(admitted.begin(), admitted.end(),
                                        [&](const auto& a) { return a.first == other->user_id; });
      if (!in_group && other->connected()) connection_scratch_.push_back(other->connection_id);
    }
    outbox_.send_many_from(&executor_, connection_scratch_,
                           encode_room_event(msg::RoomEventKind::PlayerJoined, id_, p));
  }
  for (const auto& [user_id, i] : admitted) {
    const Player* p = find(user_id);
    if (p == nullptr) continue;
    const uint32_t last_frame = group[i].last_frame;  // clang 14: no lambda capture of a binding
    if (!guarded("on_sync", [&] { logic_->on_sync(*this, *p, last_frame); })) return;
  }
}

void Room::remove_player(uint64_t user_id) {
  auto it = std::find_if(players_.begin(), players_.end(),
                         [&](const auto& p) { return p->user_id == user_id; });
  if (it == players_.end()) return;
  player_view_.erase(std::find(player_view_.begin(), player_view_.end(), it->get()));
  players_.erase(it);
  stats_.players.sub();
  snapshot_due_ = true;
}

void Room::leave_in_loop(uint64_t user_id, uint64_t reply_to, uint32_t request_id) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  Player* p = find(user_id);
  if (p == nullptr) forget_departed_in_loop(user_id);  // its session ended mid-transfer
  if (p != nullptr && !closed_) {
    if (p->connected()) routes_.clear_route(executor_, p->connection_id, this);
    const Player& leaving = *p;
    if (guarded("on_leave", [&] { logic_->on_leave(*this, leaving); })) {
      send_to_others(leaving, encode_room_event(msg::RoomEventKind::PlayerLeft, id_, &leaving));
      remove_player(user_id);
    }
  }
  reply(reply_to, request_id, msg::RoomResult::Ok, "left");
}

void Room::detach_in_loop(uint64_t user_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  Player* p = find(user_id);
  if (p == nullptr || p->connection_id != connection_id) return;
  p->connection_id = 0;
  send_to_others(*p, encode_room_event(msg::RoomEventKind::PlayerDisconnected, id_, p));
}

void Room::attach_in_loop(uint64_t user_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  Player* p = find(user_id);
  if (p == nullptr || closed_) return;
  // Already playing on that very connection (a login's session announced
  // after its own join, in a fleet): nothing came back, nothing to say.
  if (p->connection_id == connection_id) return;
  p->connection_id = connection_id;
  routes_.set_route(executor_, connection_id, shared_from_this());
  outbox_.send_from(&executor_, connection_id,
                    encode_room_event(msg::RoomEventKind::Rejoined, id_, p, type_.name));
  send_to_others(*p, encode_room_event(msg::RoomEventKind::PlayerReconnected, id_, p));
  const Player& back = *p;
  guarded("on_reconnect", [&] { logic_->on_reconnect(*this, back); });
}

void Room::resync_in_loop(uint64_t user_id, uint64_t connection_id, uint32_t request_id,
                          uint32_t last_frame) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  Player* p = find(user_id);
  if (p == nullptr || closed_) {
    return reply(connection_id, request_id, msg::RoomResult::NotInRoom, "not in this room");
  }
  if (p->connection_id != connection_id) {
    p->connection_id = connection_id;
    routes_.set_route(executor_, connection_id, shared_from_this());
  }
  reply(connection_id, request_id, msg::RoomResult::Ok, "rejoined");
  const Player& player = *p;
  guarded("on_sync", [&] { logic_->on_sync(*this, player, last_frame); });
}

void Room::input_in_loop(uint64_t user_id, std::span<const uint8_t> payload, bool check) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  if (!departed_.empty()) {
    // A player transferred away whose connection still routes here: kept
    // for the room it went to (hand_back_in_loop), bounded.
    for (Departed& d : departed_) {
      if (d.user_id != user_id) continue;
      if (d.inputs.size() < RoomRoutes::kMaxHeldInputs &&
          d.bytes + payload.size() <= RoomRoutes::kMaxHeldBytes) {
        d.bytes += payload.size();
        d.inputs.push_back(
            HeldInput{user_id, std::vector<uint8_t>(payload.begin(), payload.end())});
      } else {
        stats_.inputs_dropped.add();
        stats_.input_bytes_dropped.add(payload.size());
      }
      return;
    }
  }
  if (closed_) return;
  if (check) {
    std::string problem = code_->check_input(protocol::aligned_payload(payload));
    if (!problem.empty()) {
      const Player* p = find(user_id);
      if (p == nullptr || !p->connected()) return;
      // ERROR 8, as the connection's loop answers a built-in type's refusal.
      const std::string text =
          fmt::format("cmd {:#06x} ({} input): {}", type_.input_cmd, type_.name, problem);
      std::vector<uint8_t> error(2 + text.size());
      const auto code = static_cast<uint16_t>(protocol::ErrorCode::kBadPayload);
      error[0] = static_cast<uint8_t>(code >> 8);
      error[1] = static_cast<uint8_t>(code & 0xff);
      std::memcpy(error.data() + 2, text.data(), text.size());
      outbox_.send_from(&executor_, p->connection_id,
                        server::make_shared_frame(protocol::cmd::kError, error));
      return;
    }
  }
  if (inputs_.push(user_id, payload, players_.size()) == InputQueue::Push::kQueued) {
    stats_.inputs.add();
  } else {
    stats_.inputs_dropped.add();
    stats_.input_bytes_dropped.add(payload.size());
  }
}

void Room::hand_over_in_loop(std::shared_ptr<const RoomCode> next) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  if (closed_ || !next || next == code_ || !next->hands_over_state) return;
  const std::string from = code_->version;
  // Old and new code both run here, between two ticks: a task on this
  // executor never interleaves with a tick.
  std::unique_ptr<RoomLogic> logic;
  std::string failure;
  try {
    std::vector<uint8_t> state;
    const ops::CrashContextScope crash_context(type_.name.c_str(), id_, code_->version.c_str());
    if (!logic_->save_state(state)) {
      failure = "its version cannot save its state";
    } else {
      const ops::CrashContextScope next_context(type_.name.c_str(), id_, next->version.c_str());
      logic = next->make();
      if (!logic->restore_state(*this, state)) failure = "the new version refused the state";
    }
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "an exception";
  }
  if (!failure.empty() || close_requested_) {
    close_requested_.reset();  // a close asked for by the refused version is not kept
    spdlog::warn("room {} ({}): stays on {}: no handover to {}: {}", id_, type_.name, from,
                 next->version, failure.empty() ? "the new version asked to close" : failure);
    return;
  }
  std::swap(logic_, logic);  // the old logic goes first, then (below) its code
  code_ = std::move(next);
  logic.reset();
  code_->stats->rooms.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("room {} ({}): handed over from {} to {} at tick {}", id_, type_.name, from,
               code_->version, ticks_);
  host_.room_code_changed(id_, code_);
}

void Room::fence_in_loop(bool fenced) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  if (!fenced) handed_off_ = false;  // the hand-over failed: the players are ours again
  if (fenced_ == fenced) return;
  fenced_ = fenced;
  if (closed_) return;
  if (fenced) {
    if (tick_timer_) executor_.cancel_timer_in_loop(*tick_timer_);
    tick_timer_.reset();
  } else if (ticking_) {
    next_tick_at_ = Clock::now();
    schedule_tick_in_loop();
  }
}

void Room::schedule_tick_in_loop() {
  ticking_ = true;
  if (fenced_) return;  // unfencing schedules again
  tick_timer_ = executor_.run_at_in_loop(next_tick_at_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->tick_in_loop();
  });
}

void Room::tick_in_loop() {
  CITADEL_ASSERT_IN_LOOP(executor_);
  tick_timer_.reset();
  if (closed_) return;
  const auto started = Clock::now();
  // Slots missed entirely (the executor was busy past a whole interval) are
  // skipped, keeping the grid: catching up with a burst of ticks would only
  // make the next ones late too.
  if (started - next_tick_at_ >= interval_) {
    const auto missed = (started - next_tick_at_) / interval_;
    stats_.ticks_skipped.add(static_cast<uint64_t>(missed));
    next_tick_at_ += missed * interval_;
  }
  ++ticks_;
  stats_.ticks.add();
  code_->stats->ticks.fetch_add(1, std::memory_order_relaxed);
  const bool alive =
      guarded("on_input",
              [&] {
                inputs_.drain([&](uint64_t user_id, std::span<const uint8_t> payload) {
                  const Player* p = find(user_id);
                  if (p == nullptr) return;
                  if (!transfers_.empty() && leaving(user_id)) {
                    // Asked to leave by an earlier input: the rest follow it.
                    for (auto& t : transfers_) {
                      if (t.user_id == user_id) {
                        t.carried.push_back(HeldInput{
                            user_id, std::vector<uint8_t>(payload.begin(), payload.end())});
                      }
                    }
                    return;
                  }
                  logic_->on_input(*this, *p, payload);
                });
              }) &&
      guarded("on_tick", [&] { logic_->on_tick(*this); });
  const auto took = Clock::now() - started;
  stats_.tick_time.observe_ns(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
  if (took > interval_) {
    stats_.tick_overruns.add();
    code_->stats->overruns.fetch_add(1, std::memory_order_relaxed);
  }
  if (!alive) return;
  if (!departed_.empty()) {
    // A connection that never moved on (its transfer lost on the way, its
    // gateway gone) keeps nothing here for long.
    const uint64_t limit = uint64_t{10} * type_.options.tick_hz;
    std::erase_if(departed_, [&](const Departed& d) {
      if (ticks_ - d.since_tick <= limit) return false;
      routes_.clear_route(executor_, d.connection_id, this);
      return true;
    });
  }
  if (snapshot_every_ != 0 && (snapshot_due_ || ticks_ % snapshot_every_ == 0)) {
    snapshot_in_loop();
    if (closed_) return;
  }
  next_tick_at_ += interval_;
  schedule_tick_in_loop();
}

void Room::snapshot_in_loop() {
  snapshot_due_ = false;
  if (auto record = save_in_loop()) {
    recovery_->put_room(std::move(*record));
    stats_.snapshots.add();
  }
}

std::optional<store::RoomRecord> Room::save_in_loop() {
  store::RoomRecord record;
  bool saved = false;
  if (!guarded("save_state", [&] { saved = logic_->save_state(record.state); })) {
    return std::nullopt;
  }
  if (!saved) {
    // This code cannot save its state (a plugin may not): the room is not
    // recoverable, and asking again every interval would only cost.
    spdlog::debug("room {} ({}): its code saves no state; no snapshots", id_, type_.name);
    snapshot_every_ = 0;
    return std::nullopt;
  }
  record.room_id = id_;
  record.type = type_.name;
  record.code_version = code_->version;
  record.tick = ticks_;
  record.saved_unix_ms = net::LoopClock::unix_ms();
  record.seats.reserve(players_.size());
  for (const auto& p : players_) record.seats.push_back(store::RoomSeat{p->user_id, p->username});
  return record;
}

std::optional<store::RoomRecord> Room::hand_off_in_loop() {
  CITADEL_ASSERT_IN_LOOP(executor_);
  if (closed_) return std::nullopt;
  fence_in_loop(true);
  handed_off_ = true;
  return save_in_loop();
}

void Room::broadcast(uint16_t cmd, std::span<const uint8_t> payload) {
  broadcast_frame(server::make_shared_frame(cmd, payload));
}

void Room::broadcast_frame(const net::SharedBytes& frame) {
  connection_scratch_.clear();
  for (const auto& p : players_) {
    if (p->connected()) connection_scratch_.push_back(p->connection_id);
  }
  outbox_.send_many_from(&executor_, connection_scratch_, frame);
}

void Room::send(const Player& to, uint16_t cmd, std::span<const uint8_t> payload) {
  send_frame(to, server::make_shared_frame(cmd, payload));
}

void Room::send_frame(const Player& to, const net::SharedBytes& frame) {
  if (to.connected()) outbox_.send_from(&executor_, to.connection_id, frame);
}

void Room::send_frame(std::span<const Player* const> to, const net::SharedBytes& frame) {
  connection_scratch_.clear();
  for (const Player* p : to) {
    if (p->connected()) connection_scratch_.push_back(p->connection_id);
  }
  outbox_.send_many_from(&executor_, connection_scratch_, frame);
}

void Room::send_to_others(const Player& who, const net::SharedBytes& frame) {
  connection_scratch_.clear();
  for (const auto& p : players_) {
    if (p.get() != &who && p->connected()) connection_scratch_.push_back(p->connection_id);
  }
  outbox_.send_many_from(&executor_, connection_scratch_, frame);
}

void Room::close(std::string_view reason) {
  if (!close_requested_) close_requested_ = std::string(reason);
}

bool Room::leaving(uint64_t user_id) const {
  return std::any_of(transfers_.begin(), transfers_.end(),
                     [&](const PendingTransfer& t) { return t.user_id == user_id; });
}

std::string Room::transfer(const Player& player, const TransferTarget& target) {
  if (closed_ || close_requested_) return "the room is closing";
  if (find(player.user_id) == nullptr) return "not a player of this room";
  if (leaving(player.user_id)) return "already leaving";
  if (target.room_type.empty()) return "no room type named";
  if (target.handoff.size() > kMaxHandoffBytes) {
    return fmt::format("a hand-off of {} bytes (at most {})", target.handoff.size(),
                       kMaxHandoffBytes);
  }
  if (target.room_id == id_) return "the player is in that room";
  transfers_.push_back(PendingTransfer{player.user_id, target, {}});
  return {};
}

void Room::run_transfers_in_loop() {
  auto pending = std::move(transfers_);
  transfers_.clear();
  for (auto& t : pending) {
    if (closed_) return;
    Player* p = find(t.user_id);
    if (p == nullptr) continue;
    const Player& leaving = *p;
    if (!guarded("on_leave", [&] { logic_->on_leave(*this, leaving); })) return;
    p = find(t.user_id);  // on_leave may have asked for more transfers, run by now
    if (p == nullptr) continue;
    const uint64_t connection_id = p->connection_id;
    send_to_others(*p, encode_room_event(msg::RoomEventKind::PlayerLeft, id_, p));
    // Its inputs not applied yet: those met while draining, then those
    // still queued. The route stays until the room it goes to takes it
    // over (RoomRoutes' hand-over), with these and any still on their way.
    Departed d{t.user_id, connection_id, ticks_, std::move(t.carried), 0};
    inputs_.extract(t.user_id, [&](std::span<const uint8_t> bytes) {
      d.inputs.push_back(HeldInput{t.user_id, std::vector<uint8_t>(bytes.begin(), bytes.end())});
    });
    for (const auto& in : d.inputs) d.bytes += in.bytes.size();
    if (connection_id != 0) departed_.push_back(std::move(d));
    remove_player(t.user_id);
    stats_.transfers.add();
    host_.player_transferred(
        TransferRequest{t.user_id, connection_id, id_, type_.name, std::move(t.target)});
  }
}

std::pair<uint16_t, std::vector<HeldInput>> Room::hand_back_in_loop(uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  std::vector<HeldInput> inputs;
  auto d = std::find_if(departed_.begin(), departed_.end(),
                        [&](const Departed& x) { return x.connection_id == connection_id; });
  if (d != departed_.end()) {
    inputs = std::move(d->inputs);
    departed_.erase(d);
  }
  return {type_.input_cmd, std::move(inputs)};
}

void Room::forget_departed_in_loop(uint64_t user_id) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  std::erase_if(departed_, [&](const Departed& d) {
    if (d.user_id != user_id) return false;
    routes_.clear_route(executor_, d.connection_id, this);
    return true;
  });
}

void Room::dispose_in_loop(std::string_view reason) {
  CITADEL_ASSERT_IN_LOOP(executor_);
  if (!closed_) close_in_loop(reason, false, false);
}

void Room::close_in_loop(std::string_view reason, bool fault, bool tell_host) {
  if (closed_) return;
  closed_ = true;
  if (tick_timer_) executor_.cancel_timer_in_loop(*tick_timer_);
  tick_timer_.reset();
  if (!fault) {
    try {
      logic_->on_dispose(*this);
    } catch (const std::exception& e) {
      spdlog::error("room {} ({}): on_dispose threw: {}", id_, type_.name, e.what());
    } catch (...) {
      spdlog::error("room {} ({}): on_dispose threw", id_, type_.name);
    }
  }
  transfers_.clear();
  for (const auto& p : players_) {
    if (!p->connected()) continue;
    routes_.clear_route(executor_, p->connection_id, this);
    // A copy handed off to another node closes quietly: its players see the
    // room go on there (RoomEvent Rejoined), never a Closed from here.
    if (handed_off_) continue;
    outbox_.send_from(&executor_, p->connection_id,
                      encode_room_event(msg::RoomEventKind::Closed, id_, p.get(), reason));
  }
  stats_.players.sub(players_.size());
  players_.clear();
  player_view_.clear();
  stats_.rooms_open.sub();
  if (fault) stats_.rooms_faulted.add();
  if (recovery_ != nullptr) recovery_->erase_room(id_);
  if (tell_host) host_.room_closed(id_);
}

template <class Result, class Done>
auto Room::storage_completion(Done done) {
  // The store may answer after the room is gone: hold it weakly. The
  // executor outlives every room (the room service stops it last, after the
  // store has completed everything).
  return [weak = weak_from_this(), &executor = executor_, done = std::move(done)](Result r) {
    executor.post([weak, done, r = std::move(r)]() mutable {
      const auto room = weak.lock();
      if (!room) return;
      room->guarded("a storage completion", [&] { done(*room, std::move(r)); });
    });
  };
}

// RoomStorage (room_storage.h): store calls whose completions come back on
// the room's thread, through the same fault guard as room callbacks.

namespace {

template <class Result, class Callback>
void fail_without_store(Callback&& callback) {
  Result r;
  r.error = store::StoreError::kStorageError;
  callback(std::move(r));
}

}  // namespace

void Room::read(std::vector<store::ObjectId> ids, ReadDone done) {
  auto complete = storage_completion<store::ObjectReadResult>(std::move(done));
  if (objects_ == nullptr) return fail_without_store<store::ObjectReadResult>(complete);
  objects_->read_objects(std::move(ids), std::move(complete));
}

void Room::write(std::vector<store::ObjectWrite> writes, WriteDone done) {
  auto complete = storage_completion<store::ObjectWriteResult>(std::move(done));
  if (objects_ == nullptr) return fail_without_store<store::ObjectWriteResult>(complete);
  objects_->write_objects(std::move(writes), std::move(complete));
}

void Room::remove(std::vector<store::ObjectDelete> deletes, WriteDone done) {
  auto complete = storage_completion<store::ObjectWriteResult>(std::move(done));
  if (objects_ == nullptr) return fail_without_store<store::ObjectWriteResult>(complete);
  objects_->delete_objects(std::move(deletes), std::move(complete));
}

void Room::list(store::ObjectListQuery query, ListDone done) {
  auto complete = storage_completion<store::ObjectListResult>(std::move(done));
  if (objects_ == nullptr) return fail_without_store<store::ObjectListResult>(complete);
  objects_->list_objects(std::move(query), std::move(complete));
}

}  // namespace citadel::rooms
