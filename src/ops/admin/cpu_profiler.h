// CPU profiles with gperftools' profiler (SIGPROF sampling of every thread,
// written in the pprof format that `google-pprof` reads). The profiler is one
// per process, so at most one profile runs at a time, whoever asks.
#pragma once

#include <chrono>
#include <memory>
#include <string>

namespace citadel::ops::admin {

class CpuProfileRun {
 public:
  using Clock = std::chrono::steady_clock;

  enum class StartError { kNone, kBusy, kFailed };
  struct StartResult {
    std::unique_ptr<CpuProfileRun> run;  // set on success
    StartError error = StartError::kNone;
    std::string message;  // why not, for the HTTP reply
  };

  // Starts profiling into a new temp file, meant to run for `duration`.
  // kBusy if a profile is already running (ours, or one started by the
  // CPUPROFILE environment variable). Any thread.
  static StartResult start(std::chrono::seconds duration);

  // Only start() can make the key, so only start() constructs a run.
  class Key {
    friend class CpuProfileRun;
    Key() = default;
  };
  CpuProfileRun(Key, std::string path) : path_(std::move(path)) {}
  // Stops profiling (if still running) and removes the file.
  ~CpuProfileRun();
  CpuProfileRun(const CpuProfileRun&) = delete;
  CpuProfileRun& operator=(const CpuProfileRun&) = delete;

  // Stops profiling and returns the profile's bytes (empty if the file could
  // not be read).
  std::string stop_and_read();

 private:
  void stop();

  std::string path_;
  bool running_ = true;
};

}  // namespace citadel::ops::admin
