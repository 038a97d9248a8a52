// Tells the service manager (systemd, via libsystemd's sd_notify) where the
// process is in its life: ready to serve, reloading, stopping, and - when the
// unit sets WatchdogSec - that it is still alive. systemd uses these to order
// dependent units after a real start (Type=notify), to know when a reload has
// finished (systemctl reload waits for READY=1), and to restart a process
// whose watchdog pings stopped (a hung server, not only a dead one).
//
// Without NOTIFY_SOCKET in the environment (a shell, supervisord, a test)
// every call is a no-op: sd_notify returns 0 and sends nothing. Each call
// opens, sends on and closes a datagram socket, so it is thread-safe and
// never on a game loop (the control thread and the admin thread call it).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace citadel::ops {

class ServiceManager {
 public:
  // Reads WATCHDOG_USEC / WATCHDOG_PID once (sd_watchdog_enabled); the
  // environment is left in place, so a reload can notify again.
  ServiceManager();

  // READY=1 with a human-readable STATUS= (shown by systemctl status).
  void ready(std::string_view status) const;
  // RELOADING=1: a config reload started; ready() again when it is done.
  void reloading() const;
  // STOPPING=1: the drain started; systemd now waits up to TimeoutStopSec.
  void stopping() const;
  // WATCHDOG=1: only when the caller has proved the process is alive.
  void watchdog() const;

  // How often to call watchdog(): half of WatchdogSec, as sd_watchdog_enabled
  // advises; nullopt when the watchdog is off for this process.
  std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_period_; }

 private:
  void notify(std::string_view state) const;

  std::optional<std::chrono::microseconds> watchdog_period_;
};

}  // namespace citadel::ops
