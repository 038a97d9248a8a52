#include "rooms/games/arena_room.h"

#include <algorithm>
#include <cmath>

#include "protocol/commands.h"

namespace citadel::rooms {

RoomType arena_room_type(RoomTypeOptions options) {
  return make_room_type<ArenaRoom>("arena", protocol::cmd::kArenaInput, options);
}

ArenaRoom::Avatar* ArenaRoom::find(uint64_t user_id) {
  for (auto& a : avatars_) {
    if (a.user_id == user_id) return &a;
  }
  return nullptr;
}

std::string ArenaRoom::on_join(RoomContext&, const Player& player) {
  avatars_.push_back(Avatar{player.user_id});
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
}

void ArenaRoom::on_sync(RoomContext& ctx, const Player& player, uint32_t) {
  ctx.send(player, protocol::cmd::kArenaState, encode(ctx, true));
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
