// Guest device ids that are new on every run: each GuestLogin with a fresh
// device id makes the server create an account, which is what the login
// benchmark measures. The prefix holds the process id and the start time in
// milliseconds, so runs against the same database (or two bench processes at
// once) never repeat an id; the worker index and a counter make ids unique
// within a run. At most ~60 bytes, within the server's 8..128.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace citadel::bench {

class DeviceIds {
 public:
  // `run_prefix` is shared by every worker of one run (see run_prefix()).
  DeviceIds(std::string_view run_prefix, uint32_t worker) {
    prefix_.append(run_prefix).append("-w").append(std::to_string(worker)).append("-");
  }

  // The next id; valid until the next call.
  std::string_view next() {
    id_.assign(prefix_).append(std::to_string(counter_++));
    return id_;
  }
  uint64_t issued() const { return counter_; }

 private:
  std::string prefix_;
  std::string id_;
  uint64_t counter_ = 0;
};

// "cb-<pid>-<unix ms>": unique per run.
inline std::string run_prefix() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return "cb-" + std::to_string(::getpid()) + "-" + std::to_string(ms);
}

}  // namespace citadel::bench
