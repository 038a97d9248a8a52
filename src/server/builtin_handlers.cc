#include "server/builtin_handlers.h"

namespace citadel::server {

void register_builtin_handlers(Router& router) {
  router.add(protocol::cmd::kPing, [](Responder& peer, const protocol::FrameView& frame) {
    // The contract caps PING payloads at 64 bytes: heartbeats are not a way to
    // make the server copy large buffers before login.
    if (frame.payload.size() > protocol::kMaxPingPayloadBytes) {
      peer.send_error(protocol::ErrorCode::kBadPayload, "PING payload above 64 bytes");
      return;
    }
    peer.send(protocol::cmd::kPong, frame.payload);
  });
  router.add(protocol::cmd::kEcho, [](Responder& peer, const protocol::FrameView& frame) {
    peer.send(protocol::cmd::kEcho, frame.payload);
  });
}

}  // namespace citadel::server
