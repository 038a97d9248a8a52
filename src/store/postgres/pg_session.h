// A connection ready for the store thread: connected, schema migrated,
// statements prepared, in nonblocking pipeline mode. Opened at start (where a
// failure stops the server with a clear error) and again after every lost
// connection (where it must not hang the store thread: every step after the
// connect is bounded by the batch timeout, the connect by connect_timeout).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

#include "store/postgres/pg_handle.h"
#include "store/postgres/postgres_config.h"

namespace citadel::store::pg {

// A session could not be opened; the message says why (libpq's words, which
// name the host and port but never the password).
class SessionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The schema this build writes; older databases are migrated up to it.
inline constexpr int kSchemaVersion = 3;

// Throws SessionError.
Conn open_session(const PostgresConfig& config);

// Runs SQL (possibly several statements) outside pipeline mode, bounded by
// `timeout`. Throws SessionError. For setup and tests of the session itself.
void exec_bounded(PGconn* conn, const std::string& sql, std::chrono::milliseconds timeout);

}  // namespace citadel::store::pg
