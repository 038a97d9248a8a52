#include "ops/admin/cpu_profiler.h"

#include <gperftools/profiler.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace citadel::ops::admin {
namespace {

// Steady-clock time (ns since its epoch) when the running profile ends; 0
// when none runs. Process-wide, like the profiler it guards.
std::atomic<int64_t> g_profile_ends_at_ns{0};

int64_t to_ns(CpuProfileRun::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string busy_message() {
  const int64_t ends = g_profile_ends_at_ns.load();
  const int64_t now = to_ns(CpuProfileRun::Clock::now());
  const int64_t left_s = ends > now ? (ends - now + 999'999'999) / 1'000'000'000 : 0;
  return "a CPU profile is already running (one at a time); it ends in about " +
         std::to_string(left_s) + " s";
}

}  // namespace

CpuProfileRun::StartResult CpuProfileRun::start(std::chrono::seconds duration) {
  StartResult result;
  int64_t idle = 0;
  const int64_t ends = to_ns(Clock::now() + duration);
  if (!g_profile_ends_at_ns.compare_exchange_strong(idle, ends)) {
    result.error = StartError::kBusy;
    result.message = busy_message();
    return result;
  }
  ProfilerState state{};
  ProfilerGetCurrentState(&state);
  if (state.enabled) {  // started outside us, e.g. by CPUPROFILE=file
    g_profile_ends_at_ns.store(0);
    result.error = StartError::kBusy;
    result.message = "a CPU profile is already being written to '" +
                     std::string(state.profile_name) + "' (CPUPROFILE?)";
    return result;
  }
  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/citadel-profile-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) {
    g_profile_ends_at_ns.store(0);
    result.error = StartError::kFailed;
    result.message =
        "cannot create a temp file for the profile: " + std::string(std::strerror(errno));
    return result;
  }
  ::close(fd);
  if (ProfilerStart(path.c_str()) == 0) {
    ::unlink(path.c_str());
    g_profile_ends_at_ns.store(0);
    result.error = StartError::kFailed;
    result.message = "the profiler did not start (gperftools ProfilerStart failed)";
    return result;
  }
  result.run = std::make_unique<CpuProfileRun>(Key{}, std::move(path));
  return result;
}

void CpuProfileRun::stop() {
  if (!running_) return;
  running_ = false;
  ProfilerStop();  // flushes and closes the file
}

CpuProfileRun::~CpuProfileRun() {
  stop();
  ::unlink(path_.c_str());
  g_profile_ends_at_ns.store(0);
}

std::string CpuProfileRun::stop_and_read() {
  stop();
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace citadel::ops::admin
