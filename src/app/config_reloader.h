// Config reload: on SIGHUP (control thread) or POST /config/reload (admin
// thread), read the config file again, apply the command line over it,
// validate the whole of it, and compare it with the running config. Keys a
// running server can take (Applies::kLive in ops/config_keys.cc) are handed
// to their owners, which apply them on their own threads; every other
// changed key is logged as needing a restart and keeps its running value.
// A file that fails to read, parse or validate changes nothing, and the
// reason is kept for GET /config and counted in
// citadel_config_reload_failures_total.
//
// Thread-safe: reloads are serialized by a mutex (never taken on a game
// loop; a reload only posts to the loops, it never waits on them).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ops/config.h"

namespace citadel::ops::admin {
class MetricsWriter;
}

namespace citadel::app {

class ConfigReloader {
 public:
  struct Sources {
    std::string file;  // "" when the server runs on its defaults: reload re-reads nothing
    // Applies the environment's config variables and the command line's
    // flags over a freshly read file (both keep winning after a reload).
    std::function<void(ops::Config&)> apply_overrides;
    // Hands the live keys of a validated config to their owners.
    std::function<void(const ops::Config&)> apply_live;
  };

  ConfigReloader(ops::Config running, Sources sources);

  struct Outcome {
    bool ok = false;
    std::string error;                     // why nothing changed (ok false)
    std::vector<ops::ChangedKey> applied;  // live keys now running with new values
    std::vector<ops::ChangedKey> restart;  // changed keys kept at their running values
    uint64_t version = 0;                  // the running config's version afterwards
  };
  // `trigger` says who asked ("SIGHUP", "POST /config/reload"), for the log.
  Outcome reload(std::string_view trigger);

  // GET /config: version, source, when it was loaded, the last reload's
  // outcome, and the running values (secrets hidden), as JSON.
  std::string status_json() const;
  static std::string outcome_json(const Outcome& outcome);
  void write_metrics(ops::admin::MetricsWriter& out) const;
  // The running config's version (1 at start, one more per applied reload).
  uint64_t version() const;

 private:
  const Sources sources_;
  mutable std::mutex mutex_;
  ops::Config running_;
  uint64_t version_ = 1;  // 1: the config the server started with
  std::chrono::system_clock::time_point loaded_at_ = std::chrono::system_clock::now();
  uint64_t reloads_ = 0;
  uint64_t failures_ = 0;
  std::string last_error_;
  std::vector<std::string> last_restart_keys_;
};

}  // namespace citadel::app
