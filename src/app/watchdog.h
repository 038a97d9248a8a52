// The systemd watchdog's pinger: on the control thread, every half
// WatchdogSec, it sends WATCHDOG=1 only if every I/O loop ran the task
// posted to it one period earlier (ops::LoopLiveness). Loop 0 is also the
// loop the services run on, so the service loop is covered too. A hung loop
// stops the pings and systemd restarts the process (Restart=on-failure
// treats a watchdog timeout as a failure). The timer firing at all proves
// the control thread, which handles the signals, is alive.
//
// Does nothing when the watchdog is off (no WATCHDOG_USEC).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <optional>

#include "ops/loop_liveness.h"
#include "ops/service_manager.h"

namespace citadel::server {
class Server;
}

namespace citadel::app {

class Watchdog {
 public:
  // `server` must be started (its loops exist) and outlive the control loop's run.
  Watchdog(boost::asio::io_context& control, const ops::ServiceManager& manager,
           server::Server& server);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Pings once now and schedules the rounds; a no-op without a watchdog.
  void start();

 private:
  void tick();

  const ops::ServiceManager& manager_;
  boost::asio::steady_timer timer_;
  ops::LoopLiveness liveness_;
  bool failing_ = false;  // log the start and the end of a failure, not every period
};

}  // namespace citadel::app
