// Maps a frame's cmd to its handler. Handlers are registered at start-up,
// before the loops run; dispatch is then read-only and lock-free, safe from
// every loop thread at once. Handlers run on the connection's loop.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <unordered_map>

#include "net/frame_dispatcher.h"
#include "net/responder.h"
#include "protocol/wire.h"

namespace citadel::server {

using net::Responder;
using Handler = std::function<void(Responder&, const protocol::FrameView&)>;

class Router final : public net::FrameDispatcher {
 public:
  Router();

  // Registers the handler for cmd. Throws std::invalid_argument if cmd already
  // has one or if cmd is ERROR or PONG (server-to-client only). Start-up only.
  void add(uint16_t cmd, Handler handler);
  bool has(uint16_t cmd) const;

  // Runs the handler for frame.cmd; an unknown cmd gets an ERROR frame
  // (kUnknownCommand) naming it. Returns false if the cmd was unknown.
  bool dispatch(Responder& peer, const protocol::FrameView& frame) const override;

 private:
  // Reserved commands index a flat table (no hashing on the PING/ECHO path);
  // application commands live in a hash map.
  std::array<Handler, 256> reserved_;
  std::unordered_map<uint16_t, Handler> application_;
};

}  // namespace citadel::server
