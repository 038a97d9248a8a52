#include "rooms/room_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "protocol/commands.h"
#include "protocol/flatbuffers_text.h"
#include "protocol/verified_payload.h"
#include "server/server.h"
#include "server/verified_handler.h"

namespace citadel::rooms {

namespace {

// Logic threads are event loops without sockets; their indices stay clear
// of the I/O loops' (which name connections).
constexpr uint32_t kLogicLoopIndexBase = 0x4000;

}  // namespace

RoomService::RoomService(server::Server& server, const RoomsConfig& config,
                         std::function<std::string(uint64_t)> username_of)
    : server_(server),
      service_loop_(server.service_loop()),
      config_(config),
      username_of_(std::move(username_of)),
      routes_(server.io_loops()) {
  if (config_.executor_threads == 0) {
    executors_ = server.io_loops();
  } else {
    for (uint32_t i = 0; i < config_.executor_threads; ++i) {
      logic_loops_.push_back(
          std::make_unique<net::EventLoop>(kLogicLoopIndexBase + i, net::ConnectionOptions{}));
      executors_.push_back(logic_loops_.back().get());
      logic_loops_.back()->start();
    }
  }
  for (std::size_t i = 0; i < executors_.size(); ++i)
    stats_.push_back(std::make_unique<RoomStats>());
}

RoomService::~RoomService() {
  stop();
}

void RoomService::stop() {
  for (auto& loop : logic_loops_) loop->stop_and_join();
  logic_loops_.clear();
}

void RoomService::add_type(RoomType type) {
  const auto& o = type.options;
  if (type.name.empty() || find_type(type.name) != nullptr) {
    throw std::invalid_argument("room type '" + type.name + "': empty or duplicate name");
  }
  for (const auto& t : types_) {
    if (t->input_cmd == type.input_cmd) {
      throw std::invalid_argument("room type '" + type.name + "': input cmd already used by '" +
                                  t->name + "'");
    }
  }
  if (o.tick_hz < 1 || o.tick_hz > 120) {
    throw std::invalid_argument("room type '" + type.name + "': tick_hz must be 1 to 120");
  }
  if (o.max_players < 1 || o.input_queue < 1 || o.match_size < 1 || o.match_size > o.max_players) {
    throw std::invalid_argument("room type '" + type.name +
                                "': max_players, input_queue and match_size must be at least 1, "
                                "match_size at most max_players");
  }
  if (o.input_queue_bytes < 8) {
    throw std::invalid_argument("room type '" + type.name +
                                "': input_queue_bytes must be at least 8");
  }
  if (!type.code) type.code = builtin_code(type);
  types_.push_back(std::make_unique<RoomType>(std::move(type)));
}

const RoomType* RoomService::find_type(std::string_view name) const {
  for (const auto& t : types_) {
    if (t->name == name) return t.get();
  }
  return nullptr;
}

std::vector<uint16_t> RoomService::input_cmds() const {
  std::vector<uint16_t> cmds;
  for (const auto& t : types_) cmds.push_back(t->input_cmd);
  return cmds;
}

void RoomService::register_handlers(server::Router& router) {
  using server::Access;
  using server::verified;
  auto request = [](net::Responder& p, uint32_t request_id) {
    return Request{p.connection_id(), p.user_id(), request_id};
  };
  router.add(
      protocol::cmd::kRoomJoin, verified<msg::RoomJoin>([this, request](auto& p, const auto& m) {
        service_loop_.post([this, req = request(p, m.request_id()),
                            type = std::string(protocol::text_of(m.room_type())), id = m.room_id(),
                            create = m.create(),
                            last = m.last_frame()] { join_in_loop(req, type, id, create, last); });
      }),
      Access::kLoggedIn);
  router.add(protocol::cmd::kRoomLeave,
             verified<msg::RoomLeave>([this, request](auto& p, const auto& m) {
               service_loop_.post([this, req = request(p, m.request_id())] { leave_in_loop(req); });
             }),
             Access::kLoggedIn);
  router.add(
      protocol::cmd::kMatchFind, verified<msg::MatchFind>([this, request](auto& p, const auto& m) {
        service_loop_.post([this, req = request(p, m.request_id()),
                            type = std::string(protocol::text_of(m.room_type())),
                            mode = std::string(protocol::text_of(m.mode())),
                            skill = m.skill()] { match_find_in_loop(req, type, mode, skill); });
      }),
      Access::kLoggedIn);
  router.add(
      protocol::cmd::kMatchCancel,
      verified<msg::MatchCancel>([this, request](auto& p, const auto& m) {
        service_loop_.post([this, req = request(p, m.request_id())] { match_cancel_in_loop(req); });
      }),
      Access::kLoggedIn);
  for (const auto& type : types_) {
    const RoomType* t = type.get();
    router.add(
        t->input_cmd,
        [this, t](net::Responder& peer, const protocol::FrameView& frame) {
          on_input(peer, *t, frame.payload);
        },
        Access::kLoggedIn);
  }
}

// ---- connection loop: the per-input path ----

void RoomService::on_input(net::Responder& peer, const RoomType& type,
                           std::span<const uint8_t> payload) {
  const auto refuse = [&](const std::string& problem) {
    peer.send_error(protocol::ErrorCode::kBadPayload,
                    fmt::format("cmd {:#06x} ({} input): {}", type.input_cmd, type.name, problem));
  };
  // A built-in type's code never changes, so it is read here without a
  // lock and checks before the lookup; a plugin type's code may be swapped
  // on the service loop, so the room checks, with the version it runs.
  const auto aligned = protocol::aligned_payload(payload);
  if (!type.swappable) {
    if (std::string problem = type.code->check_input(aligned); !problem.empty()) {
      return refuse(problem);
    }
  }
  RoomRoutes::Route* route = routes_.find_in_loop(peer.connection_id());
  if (route != nullptr && route->handover) {
    // The player is moving to another room (a transfer): the input waits
    // here for it, in order, if it is for that room's type.
    const Room* to = route->handover->to ? route->handover->to.get() : route->room.get();
    if (&to->type() == &type) {
      routes_.hold_in_loop(peer.connection_id(), *route, peer.user_id(), payload);
      return;
    }
  }
  Room* room = route != nullptr ? route->room.get() : nullptr;
  if (room == nullptr || &room->type() != &type) {
    peer.send_error(protocol::ErrorCode::kNotInRoom,
                    fmt::format("cmd {:#06x}: you are in no {} room", type.input_cmd, type.name));
    return;
  }
  // A plugin type's input is checked on the room's thread, by the version
  // the room runs then (a handover may change it between two inputs).
  const bool check = type.swappable;
  const uint64_t user_id = peer.user_id();
  if (room->executor().is_in_loop_thread()) return room->input_in_loop(user_id, payload, check);
  // Another thread: the bytes travel with the task.
  room->executor().post([room = room->shared_from_this(), user_id, check,
                         bytes = std::vector<uint8_t>(payload.begin(), payload.end())] {
    room->input_in_loop(user_id, bytes, check);
  });
}

void RoomService::on_connection_closed(uint64_t connection_id) {
  routes_.clear_route_in_loop(connection_id);
}

void RoomService::on_user_disconnected(uint64_t connection_id, uint64_t user_id) {
  service_loop_.post([this, connection_id, user_id] {
    matchmaker_.remove(user_id);  // a ticket needs someone to play it
    auto it = user_room_.find(user_id);
    if (it == user_room_.end()) return;
    auto room = rooms_.find(it->second);
    if (room == rooms_.end()) return;
    auto r = room->second.room;
    r->executor().post([r, user_id, connection_id] { r->detach_in_loop(user_id, connection_id); });
  });
}

bool RoomService::apply_type_limits(std::string_view name, uint32_t max_players,
                                    std::chrono::milliseconds empty_ttl) {
  RoomType* type = nullptr;
  for (auto& t : types_) {
    if (t->name == name) type = t.get();
  }
  if (type == nullptr) return false;
  service_loop_.post([type, max_players, empty_ttl] {
    type->options.max_players = max_players;
    type->options.empty_ttl = empty_ttl;
  });
  return true;
}

bool RoomService::swap_code(std::string_view name, std::shared_ptr<const RoomCode> code) {
  RoomType* type = nullptr;
  for (auto& t : types_) {
    if (t->name == name) type = t.get();
  }
  if (type == nullptr || !type->swappable) return false;
  service_loop_.post([this, type, code = std::move(code)]() mutable {
    type->code = code;
    if (!code->hands_over_state) return;
    // Each open room of the type moves over between two of its ticks (or
    // says why not and stays).
    for (auto& [id, entry] : rooms_) {
      if (entry.type != type || entry.code == code) continue;
      entry.room->executor().post([room = entry.room, code] { room->hand_over_in_loop(code); });
    }
  });
  return true;
}

void RoomService::room_code_changed(uint64_t room_id, std::shared_ptr<const RoomCode> code) {
  service_loop_.post([this, room_id, code = std::move(code)]() mutable {
    if (auto it = rooms_.find(room_id); it != rooms_.end()) it->second.code = std::move(code);
  });
}

// ---- service loop ----

void RoomService::reply_in_loop(const Request& req, msg::RoomResult result,
                                std::string_view message) {
  server_.outbox().send(req.connection_id, encode_room_reply(req.request_id, result, message));
}

RoomService::Entry* RoomService::pick_room_in_loop(const RoomType& type, uint64_t except) {
  // Fill the fullest open room first, so players meet players.
  Entry* best = nullptr;
  for (auto& [id, entry] : rooms_) {
    if (entry.type != &type || entry.seats >= entry.max_players || id == except) continue;
    // Rooms on an older version of a plugin's code finish with the players
    // they have (a RoomJoin by room id still reaches them).
    if (entry.code != type.code) continue;
    if (best == nullptr || entry.seats > best->seats) best = &entry;
  }
  return best;
}

Room::Clock::time_point first_tick_at(uint64_t room_id, uint32_t tick_hz,
                                      Room::Clock::time_point now,
                                      std::chrono::nanoseconds slot_width) {
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / tick_hz);
  const int64_t slots =
      std::max<int64_t>(1, interval / std::max(slot_width, std::chrono::nanoseconds(1)));
  // Golden-ratio steps: rooms land evenly over the slots however many there are.
  // In integers (Fibonacci hashing: frac(id * 0.618...) is the top bits of
  // id * 2^64/phi mod 2^64): a double holds 53 bits, so for the random 62-bit
  // ids of a game node the product had no fraction left and every room
  // landed in slot 0.
  const uint64_t golden = room_id * 0x9E3779B97F4A7C15ULL;
  const double fraction = static_cast<double>(golden >> 11) * 0x1.0p-53;
  const auto offset =
      interval * static_cast<int64_t>(fraction * static_cast<double>(slots)) / slots;
  // Slot s of every interval, counted from the clock's epoch: rooms that share
  // a slot share their deadlines exactly, so they tick in the same loop turn.
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  auto first = Room::Clock::time_point(since_epoch - since_epoch % interval + offset);
  while (first <= now) first += interval;
  return first;
}

RoomService::Entry& RoomService::add_room_in_loop(const RoomType& type, uint64_t id) {
  const std::size_t slot = next_executor_++ % executors_.size();
  RoomHost& host = *this;
  auto room = std::make_shared<Room>(
      id, type, *executors_[slot], server_.outbox(), routes_, *stats_[slot], host,
      first_tick_at(id, type.options.tick_hz, net::EventLoop::Clock::now(), config_.tick_slot),
      static_cast<std::size_t>(server_.config().limits.output_queue_bytes / 4), objects_);
  if (recovery_ != nullptr && snapshot_every_ticks_ != 0) {
    room->enable_snapshots(*recovery_, snapshot_every_ticks_);
  }
  Entry& entry = rooms_[id];
  entry.room = std::move(room);
  entry.type = &type;
  entry.code = type.code;
  entry.max_players = type.options.max_players;
  if (fence_new_rooms_) fence_in_loop(id, true);  // before its start: it waits
  if (room_observer_.opened) room_observer_.opened(id, type.name);
  return entry;
}

RoomService::Entry& RoomService::open_room_in_loop(const RoomType& type) {
  uint64_t id = 0;
  if (next_id_) {
    // Drawn, not counted: skip the (unlikely) id of a room open here.
    do id = next_id_();
    while (id == 0 || rooms_.contains(id));
  } else {
    id = ++next_room_id_;
    if (recovery_ != nullptr) room_id_floor_.keep_above(id, *recovery_);
  }
  Entry& entry = add_room_in_loop(type, id);
  entry.room->executor().post([room = entry.room] { room->start_in_loop(); });
  return entry;
}

std::size_t RoomService::restore_in_loop(std::vector<store::RoomRecord> records,
                                         const std::function<bool(uint64_t)>& has_session,
                                         uint64_t room_id_floor) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  next_room_id_ = std::max(next_room_id_, room_id_floor);
  std::size_t restored = 0;
  for (auto& record : records) {
    next_room_id_ = std::max(next_room_id_, record.room_id);
    const RoomType* type = find_type(record.type);
    const auto skip = [&](std::string_view why) {
      spdlog::warn("recovery: room {} ({}) not restored: {}", record.room_id, record.type, why);
      if (recovery_ != nullptr) recovery_->erase_room(record.room_id);
      for (const auto& seat : record.seats) {
        if (!has_session(seat.user_id)) continue;
        lost_rooms_[seat.user_id] = {record.room_id,
                                     fmt::format("the room did not survive a restart: {}", why)};
      }
    };
    if (type == nullptr) {
      skip("no such room type now");
      continue;
    }
    if (record.code_version != type->code->version && !type->code->hands_over_state) {
      skip(fmt::format("its state is from version {}, the type now runs {}", record.code_version,
                       type->code->version));
      continue;
    }
    if (rooms_.contains(record.room_id)) {
      skip("a room with its id is open");
      continue;
    }
    std::vector<uint64_t> gone;
    uint32_t seats = 0;
    for (const auto& seat : record.seats) {
      if (has_session(seat.user_id) && !user_room_.contains(seat.user_id)) {
        ++seats;
      } else {
        gone.push_back(seat.user_id);
      }
    }
    if (seats == 0) {
      skip("none of its players' sessions survived");
      continue;
    }
    Entry& entry = add_room_in_loop(*type, record.room_id);
    entry.max_players = std::max<uint32_t>(entry.max_players, seats);
    for (const auto& seat : record.seats) {
      if (std::find(gone.begin(), gone.end(), seat.user_id) == gone.end()) {
        seat_in_loop(entry, seat.user_id);
      }
    }
    entry.room->executor().post(
        [room = entry.room, record = std::move(record), gone = std::move(gone)]() mutable {
          room->restore_in_loop(std::move(record), std::move(gone));
        });
    ++restored;
  }
  if (recovery_ != nullptr) room_id_floor_.keep_above(next_room_id_, *recovery_);
  return restored;
}

void RoomService::seat_in_loop(Entry& entry, uint64_t user_id, bool tell) {
  placed_by_gateway_.erase(user_id);
  ++entry.seats;
  user_room_[user_id] = entry.room->id();
  if (seat_observer_ && tell) seat_observer_(user_id, entry.room->id());
  if (entry.empty_timer) {
    service_loop_.cancel_timer_in_loop(*entry.empty_timer);
    entry.empty_timer.reset();
  }
}

void RoomService::release_seat_in_loop(uint64_t room_id, uint64_t user_id) {
  auto u = user_room_.find(user_id);
  if (u == user_room_.end() || u->second != room_id) return;
  user_room_.erase(u);
  if (seat_observer_) seat_observer_(user_id, 0);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  Entry& entry = it->second;
  if (entry.seats > 0) --entry.seats;
  if (entry.seats > 0) return;
  // Empty: it lives empty_ttl more, for someone to join, then ends.
  entry.empty_timer = service_loop_.run_at_in_loop(
      net::EventLoop::Clock::now() + entry.type->options.empty_ttl, [this, room_id] {
        auto e = rooms_.find(room_id);
        if (e == rooms_.end() || e->second.seats > 0) return;
        auto room = std::move(e->second.room);
        rooms_.erase(e);
        if (room_observer_.closed) room_observer_.closed(room_id);
        room->executor().post([room] { room->dispose_in_loop("empty"); });
      });
}

void RoomService::join_in_loop(Request req, std::string type_name, uint64_t room_id, bool create,
                               uint32_t last_frame) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  const RoomType* type = find_type(type_name);
  if (type == nullptr) {
    return reply_in_loop(req, msg::RoomResult::NoSuchRoomType, "no room type '" + type_name + "'");
  }
  if (auto it = user_room_.find(req.user_id); it != user_room_.end()) {
    auto current = rooms_.find(it->second);
    if (room_id != 0 && room_id == it->second && current != rooms_.end()) {
      auto r = current->second.room;
      r->executor().post([r, req, last_frame] {
        r->resync_in_loop(req.user_id, req.connection_id, req.request_id, last_frame);
      });
      return;
    }
    return reply_in_loop(req, msg::RoomResult::AlreadyInRoom,
                         fmt::format("already in room {}; leave it first", it->second));
  }
  if (matchmaker_.contains(req.user_id)) {
    return reply_in_loop(req, msg::RoomResult::AlreadyQueued,
                         "waiting for a match; cancel it first");
  }
  Entry* entry = nullptr;
  if (room_id != 0) {
    auto it = rooms_.find(room_id);
    if (it == rooms_.end() || it->second.type != type) {
      return reply_in_loop(req, msg::RoomResult::NoSuchRoom,
                           fmt::format("no {} room {}", type_name, room_id));
    }
    entry = &it->second;
    if (entry->seats >= entry->max_players) {
      return reply_in_loop(req, msg::RoomResult::RoomFull, "the room is full");
    }
  } else if (!create) {
    entry = pick_room_in_loop(*type);
  }
  if (entry == nullptr) entry = &open_room_in_loop(*type);
  seat_in_loop(*entry, req.user_id);
  JoinTicket t{req.user_id, username_of_(req.user_id), req.connection_id, req.request_id,
               last_frame};
  auto r = entry->room;
  r->executor().post([r, t = std::move(t)]() mutable { r->join_in_loop(std::move(t)); });
}

void RoomService::leave_in_loop(Request req) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  auto it = user_room_.find(req.user_id);
  if (it == user_room_.end()) {
    // Its room here let it go to another node a moment ago: the gateway
    // that places it sends the leave after it.
    if (req.connection_id != 0 && placed_by_gateway_.contains(req.user_id) && return_leave_ &&
        return_leave_(req.connection_id, req.request_id)) {
      return;
    }
    return reply_in_loop(req, msg::RoomResult::NotInRoom, "you are in no room");
  }
  const uint64_t room_id = it->second;
  auto room = rooms_.find(room_id);
  release_seat_in_loop(room_id, req.user_id);
  if (room == rooms_.end()) return reply_in_loop(req, msg::RoomResult::Ok, "left");
  auto r = room->second.room;
  r->executor().post(
      [r, req] { r->leave_in_loop(req.user_id, req.connection_id, req.request_id); });
}

void RoomService::on_session_attached_in_loop(uint64_t user_id, uint64_t connection_id) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  if (auto lost = lost_rooms_.find(user_id); lost != lost_rooms_.end()) {
    server_.outbox().send(connection_id,
                          encode_room_event(msg::RoomEventKind::Closed, lost->second.first, nullptr,
                                            lost->second.second));
    lost_rooms_.erase(lost);
  }
  auto it = user_room_.find(user_id);
  if (it == user_room_.end()) return;
  auto room = rooms_.find(it->second);
  if (room == rooms_.end()) return;
  // Said again: the session may be back through a gateway that never saw
  // the seat (its first gateway died or drained). Before the attach is
  // posted, so whoever routes the player's inputs by it hears of the seat
  // before the player hears Rejoined.
  if (seat_observer_) seat_observer_(user_id, it->second);
  auto r = room->second.room;
  r->executor().post([r, user_id, connection_id] { r->attach_in_loop(user_id, connection_id); });
}

void RoomService::on_session_ended_in_loop(uint64_t user_id) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  lost_rooms_.erase(user_id);
  placed_by_gateway_.erase(user_id);
  matchmaker_.remove(user_id);
  auto it = user_room_.find(user_id);
  if (it == user_room_.end()) return;
  const uint64_t room_id = it->second;
  auto room = rooms_.find(room_id);
  release_seat_in_loop(room_id, user_id);
  if (room == rooms_.end()) return;
  auto r = room->second.room;
  r->executor().post([r, user_id] { r->leave_in_loop(user_id, 0, 0); });
}

void RoomService::join_refused(uint64_t room_id, uint64_t user_id, uint64_t transfer_from) {
  service_loop_.post([this, room_id, user_id, transfer_from] {
    release_seat_in_loop(room_id, user_id);
    if (transfer_from != 0) forget_departed_in_loop(transfer_from, user_id);
  });
}

// ---- player transfer ----

void RoomService::player_transferred(TransferRequest request) {
  service_loop_.post([this, request = std::move(request)]() mutable {
    auto seat = user_room_.find(request.user_id);
    if (seat == user_room_.end() || seat->second != request.from_room) {
      // The seat went meanwhile (the session ended, the room closed): the
      // player goes nowhere.
      return forget_departed_in_loop(request.from_room, request.user_id);
    }
    // A fleet's gateway places it (before the seat goes, so the gateway
    // hears of the transfer before of the empty seat).
    const bool elsewhere = transfer_out_ && transfer_out_(request);
    if (elsewhere) placed_by_gateway_.insert(request.user_id);
    release_seat_in_loop(request.from_room, request.user_id);
    if (!elsewhere) place_transfer_in_loop(std::move(request));
  });
}

void RoomService::transfer_placed(uint64_t room_id, uint64_t user_id) {
  service_loop_.post([this, room_id, user_id] {
    auto seat = user_room_.find(user_id);
    if (seat != user_room_.end() && seat->second == room_id && seat_observer_) {
      seat_observer_(user_id, room_id);
    }
  });
}

void RoomService::transfer_in_in_loop(TransferRequest request) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  place_transfer_in_loop(std::move(request));
}

void RoomService::place_transfer_in_loop(TransferRequest request) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  const TransferTarget& target = request.target;
  const auto refuse = [&](std::string_view why) {
    if (request.connection_id != 0) {
      server_.outbox().send(
          request.connection_id,
          encode_room_event(
              msg::RoomEventKind::Closed, request.from_room, nullptr,
              fmt::format("transfer to a {} room refused: {}", target.room_type, why)));
    }
    if (seat_observer_) seat_observer_(request.user_id, 0);  // a fleet's gateway: no seat
    forget_departed_in_loop(request.from_room, request.user_id);
  };
  const RoomType* type = find_type(target.room_type);
  if (type == nullptr) return refuse("no such room type");
  if (target.handoff.size() > kMaxHandoffBytes) return refuse("the hand-off is too large");
  if (user_room_.contains(request.user_id)) return refuse("the player is in another room");
  matchmaker_.remove(request.user_id);
  Entry* entry = nullptr;
  if (target.room_id != 0) {
    auto it = rooms_.find(target.room_id);
    if (target.room_id == request.from_room) return refuse("the player is in that room");
    if (it == rooms_.end() || it->second.type != type) return refuse("no such room");
    entry = &it->second;
    if (entry->seats >= entry->max_players) return refuse("the room is full");
  } else {
    // Join-or-create; `elsewhere`: not the room it left.
    entry = pick_room_in_loop(*type, target.elsewhere ? request.from_room : 0);
    if (entry == nullptr) entry = &open_room_in_loop(*type);
  }
  // A fleet's gateway sends the player's inputs here once told of the
  // seat: it hears of it from transfer_placed, after the room set the
  // player's route (its link loop gets the route first), so none arrives
  // before the room can take it.
  seat_in_loop(*entry, request.user_id, false);
  JoinTicket t{request.user_id, username_of_(request.user_id), request.connection_id, 0, 0};
  t.transfer = JoinTicket::Transfer{request.from_room, std::move(request.from_type),
                                    std::move(request.target.handoff)};
  auto r = entry->room;
  r->executor().post([r, t = std::move(t)]() mutable { r->join_in_loop(std::move(t)); });
}

void RoomService::forget_departed_in_loop(uint64_t room_id, uint64_t user_id) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  auto r = it->second.room;
  r->executor().post([r, user_id] { r->forget_departed_in_loop(user_id); });
}

void RoomService::room_closed(uint64_t room_id) {
  service_loop_.post([this, room_id] {
    if (auto it = rooms_.find(room_id); it != rooms_.end()) forget_room_in_loop(it);
  });
}

void RoomService::forget_room_in_loop(std::unordered_map<uint64_t, Entry>::iterator it) {
  const uint64_t room_id = it->first;
  if (it->second.empty_timer) service_loop_.cancel_timer_in_loop(*it->second.empty_timer);
  rooms_.erase(it);
  if (room_observer_.closed) room_observer_.closed(room_id);
  std::erase_if(user_room_, [this, room_id](const auto& entry) {
    if (entry.second != room_id) return false;
    if (seat_observer_) seat_observer_(entry.first, 0);
    return true;
  });
}

void RoomService::set_fencing_in_loop(bool fence) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  fence_new_rooms_ = fence;
  if (!fence) return;
  for (auto& [id, entry] : rooms_) fence_in_loop(id, true);
}

void RoomService::fence_in_loop(uint64_t room_id, bool fenced) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end() || it->second.fenced == fenced) return;
  it->second.fenced = fenced;
  auto room = it->second.room;
  room->executor().post([room, fenced] { room->fence_in_loop(fenced); });
}

void RoomService::hand_off_in_loop(uint64_t room_id,
                                   std::function<void(std::optional<store::RoomRecord>)> done) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return done(std::nullopt);
  it->second.fenced = true;
  auto room = it->second.room;
  room->executor().post([this, room, done = std::move(done)]() mutable {
    auto record = room->hand_off_in_loop();
    service_loop_.post([done = std::move(done), record = std::move(record)]() mutable {
      done(std::move(record));
    });
  });
}

void RoomService::close_room_in_loop(uint64_t room_id, std::string reason) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  auto room = it->second.room;
  forget_room_in_loop(it);
  room->executor().post([room, reason = std::move(reason)] { room->dispose_in_loop(reason); });
}

// ---- matchmaking ----

void RoomService::match_find_in_loop(Request req, std::string type_name, std::string mode,
                                     int32_t skill) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  const RoomType* type = find_type(type_name);
  if (type == nullptr) {
    return reply_in_loop(req, msg::RoomResult::NoSuchRoomType, "no room type '" + type_name + "'");
  }
  if (user_room_.contains(req.user_id)) {
    return reply_in_loop(req, msg::RoomResult::AlreadyInRoom, "already in a room; leave it first");
  }
  const auto& o = type->options;
  const MatchRules rules{o.match_size, o.match_initial_window, o.match_widen_per_second,
                         o.match_timeout};
  if (!matchmaker_.add(Ticket{req.user_id, req.connection_id, type_name, std::move(mode), skill,
                              net::EventLoop::Clock::now()},
                       rules)) {
    return reply_in_loop(req, msg::RoomResult::AlreadyQueued, "already waiting for a match");
  }
  reply_in_loop(req, msg::RoomResult::Ok, "queued");
  if (!match_timer_armed_) {
    match_timer_armed_ = true;
    service_loop_.run_at_in_loop(net::EventLoop::Clock::now() + config_.match_poll,
                                 [this] { poll_matches_in_loop(); });
  }
}

void RoomService::match_cancel_in_loop(Request req) {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  if (!matchmaker_.remove(req.user_id)) {
    return reply_in_loop(req, msg::RoomResult::NotQueued, "not waiting for a match");
  }
  reply_in_loop(req, msg::RoomResult::Ok, "left the queue");
}

void RoomService::poll_matches_in_loop() {
  CITADEL_ASSERT_IN_LOOP(service_loop_);
  match_timer_armed_ = false;
  const auto now = net::EventLoop::Clock::now();
  auto waited = [now](const Ticket& t) {
    return static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - t.enqueued).count());
  };
  auto outcome = matchmaker_.poll(now);
  for (const Ticket& t : outcome.timed_out) {
    server_.outbox().send(t.connection_id,
                          encode_match_result(msg::RoomResult::NoMatch, "no match found in time",
                                              waited(t), RoomInfo{0, t.room_type}));
  }
  for (auto& group : outcome.groups) {
    const RoomType* type = find_type(group.front().room_type);
    if (type == nullptr) continue;
    Entry& entry = open_room_in_loop(*type);
    std::vector<JoinTicket> joins;
    for (Ticket& t : group) {
      seat_in_loop(entry, t.user_id);
      joins.push_back(
          JoinTicket{t.user_id, username_of_(t.user_id), t.connection_id, 0, 0, true, waited(t)});
    }
    auto r = entry.room;
    r->executor().post(
        [r, joins = std::move(joins)]() mutable { r->join_group_in_loop(std::move(joins)); });
  }
  if (!matchmaker_.empty()) {
    match_timer_armed_ = true;
    service_loop_.run_at_in_loop(now + config_.match_poll, [this] { poll_matches_in_loop(); });
  }
}

RoomStatsSnapshot RoomService::stats() const {
  RoomStatsSnapshot s;
  for (const auto& st : stats_) s.add(*st);
  s.routes = routes_.routes();
  s.transfer_inputs_dropped = routes_.held_dropped();
  return s;
}

}  // namespace citadel::rooms
