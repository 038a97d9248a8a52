#include "ops/service_manager.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace citadel::ops {

ServiceManager::ServiceManager() {
  uint64_t usec = 0;
  // > 0: WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
  // unset_environment 0: a child we start (none today) would see it too, but
  // re-reading it later must keep working.
  const int enabled = sd_watchdog_enabled(0, &usec);
  if (enabled < 0) {
    spdlog::warn("systemd watchdog: bad WATCHDOG_USEC/WATCHDOG_PID ({}); not pinging", -enabled);
  } else if (enabled > 0 && usec > 0) {
    // At least 1 ms: a tiny WATCHDOG_USEC must not make the timer spin.
    watchdog_period_ = std::chrono::microseconds(std::max<uint64_t>(usec / 2, 1000));
    spdlog::info("systemd watchdog: every {} ms (WatchdogSec {} ms)", usec / 2000, usec / 1000);
  }
}

void ServiceManager::ready(std::string_view status) const {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void ServiceManager::reloading() const {
  // MONOTONIC_USEC: systemd 253+ (Type=notify-reload) pairs the RELOADING
  // with the reload it asked for by this timestamp; older ones ignore it.
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t usec =
      static_cast<uint64_t>(now.tv_sec) * 1'000'000u + static_cast<uint64_t>(now.tv_nsec) / 1'000u;
  notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the config", usec));
}

void ServiceManager::stopping() const {
  notify("STOPPING=1\nSTATUS=draining connections");
}

void ServiceManager::watchdog() const {
  notify("WATCHDOG=1");
}

void ServiceManager::notify(std::string_view state) const {
  // sd_notify needs a NUL-terminated string.
  const std::string message(state);
  const int rc = sd_notify(0, message.c_str());
  // 0: no NOTIFY_SOCKET, nothing to tell. A failure is logged, never fatal:
  // the server serves the same with or without a service manager.
  if (rc < 0) spdlog::warn("sd_notify({}): error {}", message.substr(0, message.find('\n')), -rc);
}

}  // namespace citadel::ops
