#include "fleet/game/remote_player.h"

#include <vector>

#include "fleet/link/link_messages.h"
#include "protocol/wire.h"

namespace citadel::fleet {
namespace {

// One client frame at a time is encoded here before the link copies it.
std::vector<uint8_t>& scratch() {
  thread_local std::vector<uint8_t> bytes;
  bytes.clear();
  return bytes;
}

}  // namespace

void RemotePlayer::send(uint16_t cmd, std::span<const uint8_t> payload) {
  auto& frame = scratch();
  protocol::append_frame(frame, cmd, payload);
  link_.deliver_copy_in_loop(gateway_connection_id_, frame);
}

void RemotePlayer::send_shared(net::SharedBytes frames) {
  link_.deliver_in_loop(gateway_connection_id_, frames);
}

void RemotePlayer::send_error(protocol::ErrorCode code, std::string_view text) {
  auto& frame = scratch();
  protocol::append_error_frame(frame, code, text);
  link_.deliver_copy_in_loop(gateway_connection_id_, frame);
}

void RemotePlayer::close_with_error(protocol::ErrorCode code, std::string_view text) {
  auto& frame = scratch();
  link::append_close_player(frame, gateway_connection_id_, static_cast<uint16_t>(code), text);
  link_.send_in_loop(frame);
}

}  // namespace citadel::fleet
