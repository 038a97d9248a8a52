// What the harnesses of the real servers the tests start (PostgreSQL, Redis,
// etcd) share: a free loopback port, a child started with its output in a
// log and killed with the test process, stopped by PID, and its log's tail
// for error messages.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace citadel::test {

// A loopback port nothing was bound to a moment ago (the kernel's pick).
// Throws std::runtime_error.
uint16_t free_loopback_port();

// Who a child runs as: ourselves, or (drop) another user.
struct RunAs {
  bool drop = false;
  uid_t uid = 0;
  gid_t gid = 0;
};
// `nobody` when we are root (PostgreSQL refuses to run as root), else ourselves.
RunAs unprivileged_if_root();

// fork + exec of args[0] (a path) with args, stdout and stderr appended to
// `log`, stdin /dev/null, in log's directory, as `as`, killed (SIGKILL) when
// the calling thread's process dies (PR_SET_PDEATHSIG). Throws on fork failure.
pid_t spawn_logged(const std::vector<std::string>& args, const std::filesystem::path& log,
                   const RunAs& as = {});

// Sends `signal` to a running child (pid > 0), waits up to timeout_ms for it
// to exit, then SIGKILLs it; pid becomes -1. Nothing when pid <= 0.
void stop_child(pid_t& pid, int signal, int timeout_ms);
// The same without the first signal: waits, then SIGKILL.
void wait_child_exit(pid_t& pid, int timeout_ms);

// A file's whole text ("" when it cannot be read), or its last max_bytes.
std::string read_text(const std::filesystem::path& path);
std::string log_tail(const std::filesystem::path& path, std::size_t max_bytes = 4000);

}  // namespace citadel::test
