// Wraps a handler for a FlatBuffers message: the payload is verified first,
// and a payload that fails gets ERROR 8 (bad_payload) naming the cmd, with
// the connection left open. The handler only ever sees a verified table.
#pragma once

#include <fmt/format.h>

#include <utility>

#include "protocol/commands.h"
#include "protocol/verified_payload.h"
#include "server/router.h"

namespace citadel::server {

template <class Table, class F>
Handler verified(F&& handler) {
  return [handler = std::forward<F>(handler)](Responder& peer, const protocol::FrameView& frame) {
    const Table* message = protocol::verified_root<Table>(frame.payload);
    if (message == nullptr) {
      const auto* type = protocol::find_message_type(frame.cmd);
      peer.send_error(protocol::ErrorCode::kBadPayload,
                      fmt::format("cmd {:#06x} ({}): payload is not a valid FlatBuffers message",
                                  frame.cmd, type ? type->table : "unknown"));
      return;
    }
    handler(peer, *message);
  };
}

}  // namespace citadel::server
