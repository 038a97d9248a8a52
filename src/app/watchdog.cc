#include "app/watchdog.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "net/event_loop.h"
#include "server/server.h"

namespace citadel::app {
namespace {

std::vector<ops::LoopLiveness::Post> loop_posts(server::Server& server) {
  std::vector<ops::LoopLiveness::Post> posts;
  for (net::EventLoop* loop : server.io_loops()) {
    posts.push_back([loop](ops::LoopLiveness::Task task) { loop->post(std::move(task)); });
  }
  return posts;
}

}  // namespace

Watchdog::Watchdog(boost::asio::io_context& control, const ops::ServiceManager& manager,
                   server::Server& server)
    : manager_(manager), timer_(control), liveness_(loop_posts(server)) {}

void Watchdog::start() {
  if (!manager_.watchdog_period()) return;
  tick();
}

void Watchdog::tick() {
  if (liveness_.check_and_probe()) {
    if (failing_) spdlog::warn("systemd watchdog: every I/O loop answers again; pinging");
    failing_ = false;
    manager_.watchdog();
  } else if (!failing_) {
    failing_ = true;
    spdlog::error(
        "systemd watchdog: I/O loop(s) {} did not run a task posted {} ms ago; withholding the "
        "ping (systemd restarts the server if this lasts WatchdogSec)",
        fmt::join(liveness_.missed(), ","),
        std::chrono::duration_cast<std::chrono::milliseconds>(*manager_.watchdog_period()).count());
  }
  timer_.expires_after(*manager_.watchdog_period());
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

}  // namespace citadel::app
