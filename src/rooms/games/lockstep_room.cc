#include "rooms/games/lockstep_room.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "protocol/commands.h"
#include "server/outbox.h"

namespace citadel::rooms {

RoomType lockstep_room_type(RoomTypeOptions options) {
  return make_room_type<LockstepRoom>("lockstep", protocol::cmd::kLockstepInput, options);
}

void LockstepRoom::on_input(RoomContext&, const Player& player, const msg::LockstepInput& input) {
  const auto* data = input.data();
  if (data == nullptr) return;  // an empty input adds nothing to the frame
  const std::size_t bytes = data->size() + kInputOverheadBytes;
  if (pending_bytes_ + bytes > kMaxFrameBytes) return;  // this frame is full
  pending_bytes_ += bytes;
  if (pending_count_ == pending_.size()) pending_.emplace_back();
  PendingInput& slot = pending_[pending_count_++];
  slot.user_id = player.user_id;
  slot.data.assign(data->begin(), data->end());
}

void LockstepRoom::on_tick(RoomContext& ctx) {
  fbb_.Clear();
  auto& inputs = offsets_;
  inputs.clear();
  for (std::size_t i = 0; i < pending_count_; ++i) {
    const auto data = fbb_.CreateVector(pending_[i].data);
    inputs.push_back(msg::CreatePlayerInput(fbb_, pending_[i].user_id, data));
  }
  pending_count_ = 0;
  pending_bytes_ = 0;
  const auto list = fbb_.CreateVector(inputs);
  fbb_.Finish(msg::CreateLockstepFrame(fbb_, ++frame_, list));
  frame_tick_ = ctx.tick();
  auto frame = server::make_shared_frame(protocol::cmd::kLockstepFrame,
                                         {fbb_.GetBufferPointer(), fbb_.GetSize()});
  history_.push_back(frame);
  history_bytes_ += frame->size();
  while (history_.size() > kHistoryFrames ||
         (history_bytes_ > kHistoryBytes && history_.size() > 1)) {
    history_bytes_ -= history_.front()->size();
    history_.pop_front();
  }
  if (catching_up_.empty()) return ctx.broadcast_frame(frame);
  // Players catching up get this frame in their pages, after the older ones.
  live_.clear();
  for (const Player* p : ctx.players()) {
    const bool paged = std::any_of(catching_up_.begin(), catching_up_.end(),
                                   [&](const CatchUp& c) { return c.user_id == p->user_id; });
    if (!paged) live_.push_back(p);
  }
  ctx.send_frame(live_, frame);
  std::erase_if(catching_up_, [&](CatchUp& c) {
    for (const Player* p : ctx.players()) {
      if (p->user_id == c.user_id) return send_page(ctx, *p, c);
    }
    return true;  // gone
  });
}

void LockstepRoom::on_leave(RoomContext&, const Player& player) {
  std::erase_if(catching_up_, [&](const CatchUp& c) { return c.user_id == player.user_id; });
}

void LockstepRoom::on_sync(RoomContext& ctx, const Player& player, uint32_t last_frame) {
  on_leave(ctx, player);  // a new request replaces a catch-up in progress
  if (history_.empty() || last_frame >= frame_) return;
  CatchUp c{player.user_id, std::max(oldest_frame(), last_frame + 1)};
  if (!send_page(ctx, player, c)) catching_up_.push_back(c);
}

void LockstepRoom::on_reconnect(RoomContext& ctx, const Player& player) {
  on_leave(ctx, player);
  catching_up_.push_back(CatchUp{player.user_id, 0, /*awaiting_sync=*/true});
}

bool LockstepRoom::save_state(std::vector<uint8_t>& out) {
  const auto at = out.size();
  out.resize(at + sizeof frame_ + sizeof frame_tick_);
  std::memcpy(out.data() + at, &frame_, sizeof frame_);
  std::memcpy(out.data() + at + sizeof frame_, &frame_tick_, sizeof frame_tick_);
  return true;
}

bool LockstepRoom::restore_state(RoomContext& ctx, std::span<const uint8_t> state) {
  uint32_t frame = 0;
  uint64_t tick = 0;
  if (state.size() != sizeof frame + sizeof tick) return false;
  std::memcpy(&frame, state.data(), sizeof frame);
  std::memcpy(&tick, state.data() + sizeof frame, sizeof tick);
  if (tick > ctx.tick()) return false;
  // One frame a tick: the ticks the room counts as run while it was down
  // (Room::restore_in_loop) are frames no client can have seen.
  const uint64_t next = frame + (ctx.tick() - tick);
  if (next > UINT32_MAX) return false;
  frame_ = static_cast<uint32_t>(next);
  frame_tick_ = ctx.tick();
  history_.clear();
  history_bytes_ = 0;
  catching_up_.clear();
  pending_count_ = 0;
  pending_bytes_ = 0;
  // Every player is away until it resumes: hold its frames until it asks.
  for (const Player* p : ctx.players()) {
    catching_up_.push_back(CatchUp{p->user_id, 0, /*awaiting_sync=*/true});
  }
  return true;
}

bool LockstepRoom::send_page(RoomContext& ctx, const Player& player, CatchUp& c) {
  if (c.awaiting_sync) return false;  // held until on_sync replaces this entry
  // Frames before the oldest kept are gone; a client that needs them must
  // start over (it sees the jump in `frame`).
  c.next_frame = std::max(c.next_frame, oldest_frame());
  std::size_t sent = 0;
  while (c.next_frame <= frame_) {
    const auto& f = history_[c.next_frame - oldest_frame()];
    // At least one frame a page, so a frame larger than a page still goes.
    if (sent != 0 && sent + f->size() > ctx.page_bytes()) break;
    ctx.send_frame(player, f);
    sent += f->size();
    ++c.next_frame;
  }
  return c.next_frame > frame_;
}

}  // namespace citadel::rooms
