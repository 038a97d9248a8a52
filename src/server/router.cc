#include "server/router.h"

#include <fmt/format.h>

namespace citadel::server {

Router::Router() = default;

void Router::add(uint16_t cmd, Handler handler) {
  if (!handler)
    throw std::invalid_argument(fmt::format("router: empty handler for cmd {:#06x}", cmd));
  if (cmd == protocol::cmd::kError || cmd == protocol::cmd::kPong) {
    throw std::invalid_argument(
        fmt::format("router: cmd {:#06x} is server-to-client only and cannot be handled", cmd));
  }
  if (has(cmd))
    throw std::invalid_argument(fmt::format("router: cmd {:#06x} registered twice", cmd));
  if (cmd < reserved_.size()) {
    reserved_[cmd] = std::move(handler);
  } else {
    application_.emplace(cmd, std::move(handler));
  }
}

bool Router::has(uint16_t cmd) const {
  if (cmd < reserved_.size()) return static_cast<bool>(reserved_[cmd]);
  return application_.contains(cmd);
}

bool Router::dispatch(Responder& peer, const protocol::FrameView& frame) const {
  const Handler* handler = nullptr;
  if (frame.cmd < reserved_.size()) {
    if (reserved_[frame.cmd]) handler = &reserved_[frame.cmd];
  } else if (auto it = application_.find(frame.cmd); it != application_.end()) {
    handler = &it->second;
  }
  if (handler == nullptr) {
    char text[48];
    auto end = fmt::format_to_n(text, sizeof text, "unknown command {:#06x}", frame.cmd);
    peer.send_error(protocol::ErrorCode::kUnknownCommand, std::string_view(text, end.size));
    return false;
  }
  (*handler)(peer, frame);
  return true;
}

}  // namespace citadel::server
