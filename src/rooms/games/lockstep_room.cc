#include "rooms/games/lockstep_room.h"

#include <stdexcept>

#include "protocol/commands.h"
#include "server/outbox.h"

namespace citadel::rooms {

RoomType lockstep_room_type(RoomTypeOptions options) {
  return make_room_type<LockstepRoom>("lockstep", protocol::cmd::kLockstepInput, options);
}

void LockstepRoom::on_input(RoomContext&, const Player& player, const msg::LockstepInput& input) {
  const auto* data = input.data();
  if (data == nullptr || data->size() > kMaxInputBytes) return;  // ignored, not fatal
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
  auto frame = server::make_shared_frame(protocol::cmd::kLockstepFrame,
                                         {fbb_.GetBufferPointer(), fbb_.GetSize()});
  ctx.broadcast_frame(frame);
  history_.push_back(std::move(frame));
  if (history_.size() > kHistoryFrames) history_.pop_front();
}

void LockstepRoom::on_sync(RoomContext& ctx, const Player& player, uint32_t last_frame) {
  if (history_.empty() || last_frame >= frame_) return;
  const uint32_t oldest = frame_ - static_cast<uint32_t>(history_.size()) + 1;
  // Frames before `oldest` are gone; a client that needs them must start over.
  const uint32_t from = std::max(oldest, last_frame + 1);
  for (uint32_t f = from; f <= frame_; ++f) ctx.send_frame(player, history_[f - oldest]);
}

}  // namespace citadel::rooms
