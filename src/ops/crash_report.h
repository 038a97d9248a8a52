// Crash reports: on a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGABRT), write what is known about it to a file in the crash directory
// (signal, thread name and id, the room type and room being run on that
// thread if any, the build version, a backtrace with the symbols the binary
// exports), then die of the same signal with the default action, so a core
// dump is still written where the system allows one.
//
// The handler does only what is safe in a signal handler: open/write/close
// of preformatted bytes, backtrace() (preloaded at install, so it does not
// allocate), and re-raising. At start-up, reports found in the directory
// are counted (citadel_crash_reports) and the newest is named in the log.
#pragma once

#include <cstdint>
#include <string>

namespace citadel::ops {

struct CrashReportFound {
  uint64_t count = 0;
  std::string newest;  // path, "" when none
};

// Creates `directory` if needed and installs the handlers (process-wide,
// once). Throws std::runtime_error if the directory cannot be created.
void install_crash_reporter(const std::string& directory, const std::string& version);
// The reports in `directory` (files named crash-*.txt).
CrashReportFound find_crash_reports(const std::string& directory);

// What the calling thread is running, for a crash report: set by a room's
// executor around each room callback. `room_type` and `code_version` must
// outlive the scope (a room type's name and its code's version do);
// code_version is "builtin" or a plugin's version.
class CrashContextScope {
 public:
  CrashContextScope(const char* room_type, uint64_t room_id, const char* code_version = nullptr);
  ~CrashContextScope();
  CrashContextScope(const CrashContextScope&) = delete;
  CrashContextScope& operator=(const CrashContextScope&) = delete;

 private:
  const char* previous_type_;
  uint64_t previous_id_;
  const char* previous_version_;
};

}  // namespace citadel::ops
