// Accepts node links on one port (fleet.link_port) on one loop and hands
// each accepted socket to the owner, which decides which loop's link it
// becomes. Links are few (gateway loops x game nodes) and long-lived, so
// unlike the client Acceptor there is no admission here beyond the Hello
// the link's owner checks.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "net/event_loop.h"
#include "net/unique_fd.h"

namespace citadel::fleet::link {

class LinkListener final : public net::IoHandler {
 public:
  using OnAccept = std::function<void(net::UniqueFd fd, std::string peer)>;

  // Binds and listens at once (host: an IPv4 or IPv6 literal; port 0 picks
  // a free one); throws std::system_error if it cannot.
  LinkListener(net::EventLoop& loop, const std::string& host, uint16_t port, OnAccept on_accept);
  ~LinkListener();
  LinkListener(const LinkListener&) = delete;
  LinkListener& operator=(const LinkListener&) = delete;

  uint16_t port() const { return port_; }
  // Loop thread.
  void start_in_loop();
  void stop_in_loop();
  void handle_events_in_loop(uint32_t events) override;

 private:
  net::EventLoop& loop_;
  OnAccept on_accept_;
  net::UniqueFd listen_fd_;
  uint16_t port_ = 0;
  bool watching_ = false;
};

}  // namespace citadel::fleet::link
