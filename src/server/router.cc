#include "server/router.h"

#include <fmt/format.h>

namespace citadel::server {

Router::Router() = default;

void Router::add(uint16_t cmd, Handler handler, Access access) {
  if (!handler) {
    throw std::invalid_argument(fmt::format("router: empty handler for cmd {:#06x}", cmd));
  }
  if (cmd == protocol::cmd::kError || cmd == protocol::cmd::kPong) {
    throw std::invalid_argument(
        fmt::format("router: cmd {:#06x} is server-to-client only and cannot be handled", cmd));
  }
  if (has(cmd)) {
    throw std::invalid_argument(fmt::format("router: cmd {:#06x} registered twice", cmd));
  }
  Route route{std::move(handler), access};
  if (cmd < reserved_.size()) {
    reserved_[cmd] = std::move(route);
  } else {
    application_.emplace(cmd, std::move(route));
  }
}

bool Router::has(uint16_t cmd) const {
  return find(cmd) != nullptr;
}

const Router::Route* Router::find(uint16_t cmd) const {
  if (cmd < reserved_.size()) return reserved_[cmd].handler ? &reserved_[cmd] : nullptr;
  auto it = application_.find(cmd);
  return it == application_.end() ? nullptr : &it->second;
}

bool Router::dispatch(Responder& peer, const protocol::FrameView& frame) const {
  const Route* route = find(frame.cmd);
  if (route == nullptr) {
    char text[48];
    auto end = fmt::format_to_n(text, sizeof text, "unknown command {:#06x}", frame.cmd);
    peer.send_error(protocol::ErrorCode::kUnknownCommand, std::string_view(text, end.size));
    return false;
  }
  if (route->access == Access::kLoggedIn && peer.user_id() == 0) {
    char text[64];
    auto end = fmt::format_to_n(text, sizeof text, "command {:#06x} needs a login", frame.cmd);
    peer.send_error(protocol::ErrorCode::kNotAuthenticated, std::string_view(text, end.size));
    return true;
  }
  route->handler(peer, frame);
  return true;
}

}  // namespace citadel::server
