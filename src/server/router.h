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

// Who may send a command: anyone (PING, ECHO, the login commands), or only a
// connection with a logged-in user (everything else).
enum class Access : uint8_t { kAnyone, kLoggedIn };

class Router final : public net::FrameDispatcher {
 public:
  Router();

  // Registers the handler for cmd. Throws std::invalid_argument if cmd already
  // has one or if cmd is ERROR or PONG (server-to-client only). Start-up only.
  void add(uint16_t cmd, Handler handler, Access access = Access::kAnyone);
  bool has(uint16_t cmd) const;

  // Runs the handler for frame.cmd; an unknown cmd gets an ERROR frame
  // (kUnknownCommand) naming it, a login-only cmd from a connection without a
  // user gets kNotAuthenticated. Returns false if the cmd was unknown.
  bool dispatch(Responder& peer, const protocol::FrameView& frame) const override;

 private:
  // Reserved commands index a flat table (no hashing on the PING/ECHO path);
  // application commands live in a hash map.
  struct Route {
    Handler handler;
    Access access = Access::kAnyone;
  };
  const Route* find(uint16_t cmd) const;

  std::array<Route, 256> reserved_;
  std::unordered_map<uint16_t, Route> application_;
};

}  // namespace citadel::server
