#include "store/postgres/pg_io.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace citadel::store::pg {
namespace {

// Waits for `events` on the connection's socket. False on timeout or error.
bool wait_socket(PGconn* conn, short events, Deadline deadline, short& revents) {
  const int fd = PQsocket(conn);
  if (fd < 0) return false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count() + 1, 60'000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) continue;  // re-check the deadline
    revents = p.revents;
    return true;
  }
}

}  // namespace

bool flush_until(PGconn* conn, Deadline deadline) {
  for (;;) {
    const int rc = PQflush(conn);
    if (rc == 0) return true;
    if (rc < 0) return false;
    short revents = 0;
    if (!wait_socket(conn, POLLIN | POLLOUT, deadline, revents)) return false;
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && PQconsumeInput(conn) == 0) return false;
  }
}

bool await_result(PGconn* conn, Deadline deadline) {
  while (PQisBusy(conn) != 0) {
    short revents = 0;
    if (!wait_socket(conn, POLLIN, deadline, revents)) return false;
    if (PQconsumeInput(conn) == 0) return false;
  }
  return true;
}

}  // namespace citadel::store::pg
