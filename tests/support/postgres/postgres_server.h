// A real PostgreSQL server for tests: Debian's postgresql-15 binaries
// (installed by scripts/install-deps.sh), a fresh cluster in a temp dir,
// listening on 127.0.0.1 on a free port with its unix socket in that dir.
// Never a mock: the store tests and the service tests run against it.
//
// As root (CI), the server runs as `nobody`: PostgreSQL refuses to run as
// root. The child drops privileges itself between fork and exec, so no
// runuser/sudo is needed, and it dies with the test process (PDEATHSIG).
// Stopped by PID (SIGINT: a fast shutdown) when destroyed.
//
// One server per test process (shared()): initdb costs ~2 s, a database per
// test (create_database) ~50 ms. Links libpq only (no code of the server's),
// so black-box suites may use it too.
#pragma once

#include <sys/types.h>

#include <libpq-fe.h>
#include <cstdint>
#include <filesystem>

#include <memory>
#include <string>

namespace citadel::test {

class PostgresServer {
 public:
  // initdb and start, waiting until it accepts connections. Throws
  // std::runtime_error (with the server's log) when it cannot. Tests run it
  // with fsync and synchronous_commit off; `durable` keeps PostgreSQL's
  // defaults (every commit flushed), for benchmarks that compare against it.
  explicit PostgresServer(bool durable = false);
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The process-wide server, started on first use (from the main thread:
  // PDEATHSIG follows the thread that forked), stopped at exit.
  static PostgresServer& shared();

  // Fast shutdown (clients are disconnected), waiting for the process to
  // exit. Idempotent.
  void stop();
  // Starts the stopped server again on the same port and data.
  void start();
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  // postgresql://citadel@127.0.0.1:PORT/DATABASE
  std::string url(const std::string& database) const;
  // A new, empty database with a unique name; returns its URL.
  std::string create_database();

 private:
  void init_cluster();
  bool try_start();  // false when the port was taken meanwhile
  void wait_exit(int timeout_ms);
  std::string log_tail() const;

  std::filesystem::path dir_;
  std::filesystem::path bin_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  int databases_ = 0;
  bool durable_ = false;
};

// One-shot queries from outside the store (bounded by connect_timeout).
// Throw std::runtime_error with the server's message.
void pg_exec(const std::string& url, const std::string& sql);
int64_t pg_query_int(const std::string& url, const std::string& sql);

// A connection held open across statements: a transaction that holds locks
// while the test makes the store wait for them.
class PgSession {
 public:
  explicit PgSession(const std::string& url);
  void exec(const std::string& sql);

 private:
  struct Closer {
    void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
  };
  std::unique_ptr<PGconn, Closer> conn_;
};

}  // namespace citadel::test
