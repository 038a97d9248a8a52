// Waiting on a libpq connection in nonblocking pipeline mode, never past a
// deadline: a server that hangs or a network that drops packets costs a
// batch its deadline, not the store thread forever.
#pragma once

#include <libpq-fe.h>

#include <chrono>

namespace citadel::store::pg {

using Deadline = std::chrono::steady_clock::time_point;

// Sends everything libpq has buffered. Reads input meanwhile, so a server
// that is busy sending results back never blocks on us while we block on it
// (the pipeline-mode deadlock libpq's documentation warns about). False when
// the connection failed or the deadline passed.
bool flush_until(PGconn* conn, Deadline deadline);

// Waits until PQgetResult() can return without blocking. False when the
// connection failed or the deadline passed.
bool await_result(PGconn* conn, Deadline deadline);

}  // namespace citadel::store::pg
