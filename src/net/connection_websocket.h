// A Connection's WebSocket side (RFC 6455, on the game port's own loop):
// the upgrade request's parser, then the frame parser. Allocated only for a
// connection whose first byte says it speaks WebSocket, so a raw-TCP
// connection pays one null pointer for it.
#pragma once

#include "net/connection.h"
#include "net/websocket/frame_parser.h"
#include "net/websocket/handshake.h"

namespace citadel::net {

struct WebSocketState final : websocket::FrameEventHandler {
  explicit WebSocketState(Connection& c);
  // Frame events go to the connection; false stops the parser (closing).
  bool on_frame_event(const websocket::FrameEvent& event) override;

  Connection& conn;
  websocket::HandshakeParser handshake;
  websocket::FrameParser frames;
};

}  // namespace citadel::net
