#include "rooms/games/arena_room.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "protocol/commands.h"

namespace citadel::rooms {

RoomType arena_room_type(RoomTypeOptions options, bool transfer_east) {
  RoomType type = make_room_type<ArenaRoom>("arena", protocol::cmd::kArenaInput, options);
  type.make = [transfer_east] { return std::make_unique<ArenaRoom>(transfer_east); };
  return type;
}

ArenaRoom::Avatar* ArenaRoom::find(uint64_t user_id) {
  for (auto& a : avatars_) {
    if (a.user_id == user_id) return &a;
  }
  return nullptr;
}

namespace {

template <class T>
void put(std::vector<uint8_t>& out, T value) {
  const auto at = out.size();
  out.resize(at + sizeof value);
  std::memcpy(out.data() + at, &value, sizeof value);
}

template <class T>
T take(std::span<const uint8_t>& in) {
  T value;
  std::memcpy(&value, in.data(), sizeof value);
  in = in.subspan(sizeof value);
  return value;
}

bool on_field(float v) {
  return std::isfinite(v) && v >= 0 && v <= ArenaRoom::kFieldSize;
}

bool a_move(float d) {
  return std::isfinite(d) && std::abs(d) <= 1;
}

}  // namespace

std::string ArenaRoom::on_join(RoomContext& ctx, const Player& player) {
  Avatar a{player.user_id};
  // Walked in from the arena to the west: at the west edge, at the same
  // height, going on with the same input and ack (so acks never step
  // back). A hand-off that does not read as one is a plain join.
  if (const Arrival* arrival = ctx.arrival();
      arrival != nullptr && arrival->handoff.size() == kHandoffBytes) {
    auto in = arrival->handoff;
    const auto y = take<float>(in), dx = take<float>(in), dy = take<float>(in);
    const auto latest = take<uint32_t>(in), ack = take<uint32_t>(in);
    if (on_field(y) && a_move(dx) && a_move(dy) && ack <= latest) {
      a.x = 0;
      a.y = y;
      a.dx = dx;
      a.dy = dy;
      a.latest_seq = latest;
      a.ack = ack;
    }
  }
  avatars_.push_back(a);
  return {};
}

void ArenaRoom::on_leave(RoomContext&, const Player& player) {
  std::erase_if(avatars_, [&](const Avatar& a) { return a.user_id == player.user_id; });
  left_.push_back(player.user_id);
}

void ArenaRoom::on_input(RoomContext&, const Player& player, const msg::ArenaInput& input) {
  Avatar* a = find(player.user_id);
  // Inputs that arrive out of order (an older seq) are stale: ignored. So are
  // NaNs, which std::clamp lets through: one would make the position NaN for good.
  if (a == nullptr || input.seq() <= a->latest_seq) return;
  if (std::isnan(input.dx()) || std::isnan(input.dy())) return;
  a->latest_seq = input.seq();
  a->dx = std::clamp(input.dx(), -1.0f, 1.0f);
  a->dy = std::clamp(input.dy(), -1.0f, 1.0f);
}

void ArenaRoom::on_tick(RoomContext& ctx) {
  for (auto& a : avatars_) {
    if (a.latest_seq == 0) continue;  // no input yet
    const float x = std::clamp(a.x + a.dx * kSpeed, 0.0f, kFieldSize);
    const float y = std::clamp(a.y + a.dy * kSpeed, 0.0f, kFieldSize);
    a.changed = a.changed || x != a.x || y != a.y || a.ack != a.latest_seq;
    a.x = x;
    a.y = y;
    a.ack = a.latest_seq;
  }
  // One message per tick, encoded once for every player in the room.
  ctx.broadcast(protocol::cmd::kArenaState, encode(ctx, false));
  left_.clear();
  if (transfer_east_) {
    // Into the east edge, still walking east: on to the next arena. The
    // transfer runs after this tick (on_leave drops the avatar then).
    for (const Avatar& a : avatars_) {
      if (a.x < kFieldSize || a.dx <= 0) continue;
      for (const Player* p : ctx.players()) {
        if (p->user_id != a.user_id) continue;
        TransferTarget target;
        target.room_type = "arena";
        target.elsewhere = true;
        put(target.handoff, a.y);
        put(target.handoff, a.dx);
        put(target.handoff, a.dy);
        put(target.handoff, a.latest_seq);
        put(target.handoff, a.ack);
        ctx.transfer(*p, target);  // refused only while already leaving
      }
    }
  }
}

void ArenaRoom::on_sync(RoomContext& ctx, const Player& player, uint32_t) {
  ctx.send(player, protocol::cmd::kArenaState, encode(ctx, true));
}

namespace {

// A saved avatar: user id, x, y, dx, dy, latest seq, ack, in this
// machine's byte order (a snapshot is read back by the same build on the
// same host; so is a hand-off, by the same build in the same fleet).
constexpr std::size_t kSavedAvatarBytes = 8 + 4 * 4 + 4 + 4;

}  // namespace

bool ArenaRoom::save_state(std::vector<uint8_t>& out) {
  out.reserve(out.size() + 4 + avatars_.size() * kSavedAvatarBytes);
  put(out, static_cast<uint32_t>(avatars_.size()));
  for (const Avatar& a : avatars_) {
    put(out, a.user_id);
    put(out, a.x);
    put(out, a.y);
    put(out, a.dx);
    put(out, a.dy);
    put(out, a.latest_seq);
    put(out, a.ack);
  }
  return true;
}

bool ArenaRoom::restore_state(RoomContext& ctx, std::span<const uint8_t> state) {
  if (state.size() < 4) return false;
  const auto count = take<uint32_t>(state);
  if (state.size() != static_cast<std::size_t>(count) * kSavedAvatarBytes) return false;
  std::vector<Avatar> avatars;
  for (uint32_t i = 0; i < count; ++i) {
    Avatar a;
    a.user_id = take<uint64_t>(state);
    a.x = take<float>(state);
    a.y = take<float>(state);
    a.dx = take<float>(state);
    a.dy = take<float>(state);
    a.latest_seq = take<uint32_t>(state);
    a.ack = take<uint32_t>(state);
    const bool moves =
        std::isfinite(a.dx) && std::isfinite(a.dy) && std::abs(a.dx) <= 1 && std::abs(a.dy) <= 1;
    if (!on_field(a.x) || !on_field(a.y) || !moves) return false;
    avatars.push_back(a);
  }
  // Avatars of the room's players only, and one for each of them.
  avatars_.clear();
  for (const Player* p : ctx.players()) {
    auto it = std::find_if(avatars.begin(), avatars.end(),
                           [&](const Avatar& a) { return a.user_id == p->user_id; });
    avatars_.push_back(it != avatars.end() ? *it : Avatar{p->user_id});
    avatars_.back().changed = true;
  }
  left_.clear();
  return true;
}

std::span<const uint8_t> ArenaRoom::encode(RoomContext& ctx, bool snapshot) {
  scratch_.clear();
  for (auto& a : avatars_) {
    if (!snapshot && !a.changed) continue;
    scratch_.emplace_back(a.user_id, a.x, a.y, a.ack);
    if (!snapshot) a.changed = false;
  }
  fbb_.Clear();
  const auto players = fbb_.CreateVectorOfStructs(scratch_);
  const auto left = snapshot || left_.empty() ? 0 : fbb_.CreateVector(left_);
  fbb_.Finish(
      msg::CreateArenaState(fbb_, static_cast<uint32_t>(ctx.tick()), snapshot, players, left));
  return {fbb_.GetBufferPointer(), fbb_.GetSize()};
}

}  // namespace citadel::rooms
