// A Connection's WebSocket side (RFC 6455, on the game port's own loop):
// the upgrade request's parser, then the frame parser. Allocated only for a
// connection whose first byte says it speaks WebSocket, so a raw-TCP
// connection pays one null pointer for it. The upgrade's parser (its header
// fields, line buffer and response text: about a kilobyte) is freed once the
// upgrade is done, so an idle WebSocket connection keeps only the frame
// parser beyond what a raw one keeps.
#pragma once

#include <memory>

#include "net/connection.h"
#include "net/websocket/frame_parser.h"
#include "net/websocket/handshake.h"

namespace citadel::net {

struct WebSocketState final : websocket::FrameEventHandler {
  explicit WebSocketState(Connection& c);
  // Frame events go to the connection; false stops the parser (closing).
  bool on_frame_event(const websocket::FrameEvent& event) override;

  // Whether one more ping fits this connection's budget (a fixed one-second
  // window: cheap, and a flood is what it must catch, not a fair rate).
  bool ping_allowed();

  Connection& conn;
  Connection::Clock::time_point ping_window_start{};
  uint32_t pings_in_window = 0;
  std::unique_ptr<websocket::HandshakeParser> handshake;  // null once upgraded
  websocket::FrameParser frames;
};

}  // namespace citadel::net
