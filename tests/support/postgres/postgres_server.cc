#include "postgres_server.h"

#include "child_process.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace citadel::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kUser = "citadel";

// Debian's layout: /usr/lib/postgresql/<major>/bin. CITADEL_PG_BINDIR overrides.
fs::path find_bindir() {
  if (const char* dir = std::getenv("CITADEL_PG_BINDIR")) return dir;
  const fs::path preferred = "/usr/lib/postgresql/15/bin";
  if (fs::exists(preferred / "postgres")) return preferred;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "postgres")) return entry.path() / "bin";
  }
  throw std::runtime_error(
      "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run "
      "scripts/install-deps.sh (postgresql-15) or set CITADEL_PG_BINDIR");
}

}  // namespace

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer(bool durable) : bin_(find_bindir()), durable_(durable) {
  const RunAs as = unprivileged_if_root();
  // As root the server user must reach the dir: TMPDIR may be private to root.
  const fs::path base = as.drop ? fs::path("/tmp") : fs::temp_directory_path();
  std::string tmpl = (base / "citadel-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (as.drop && ::chown(dir_.c_str(), as.uid, as.gid) != 0) {
    throw std::runtime_error("cannot hand " + dir_.string() + " to nobody");
  }
  init_cluster();
  start();
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ec;
  if (std::getenv("CITADEL_TEST_KEEP_TMP") == nullptr) fs::remove_all(dir_, ec);
}

void PostgresServer::init_cluster() {
  // --no-sync and, below, fsync=off: a test cluster need not survive a power cut.
  const pid_t pid =
      spawn_logged({(bin_ / "initdb").string(), "-D", (dir_ / "data").string(), "-U", kUser,
                    "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"},
                   dir_ / "initdb.log", unprivileged_if_root());
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("initdb failed:\n" + read_text(dir_ / "initdb.log"));
  }
}

void PostgresServer::start() {
  if (running()) return;
  const bool keep_port = port_ != 0;  // a restart comes back where clients expect it
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!keep_port) port_ = free_loopback_port();
    if (try_start()) return;
  }
  throw std::runtime_error("postgres did not start:\n" + log_tail());
}

bool PostgresServer::try_start() {
  std::vector<std::string> args = {(bin_ / "postgres").string(),
                                   "-D",
                                   (dir_ / "data").string(),
                                   "-p",
                                   std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=" + dir_.string(),
                                   "-c",
                                   "max_connections=60"};
  if (!durable_) {
    for (const char* fast : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      args.insert(args.end(), {"-c", fast});
    }
  }
  pid_ = spawn_logged(args, dir_ / "server.log", unprivileged_if_root());
  const std::string ping =
      fmt::format("host=127.0.0.1 port={} user={} dbname=postgres connect_timeout=2", port_, kUser);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(ping.c_str()) == PQPING_OK) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, say
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(20ms);  // polling the server's readiness, bounded
  }
  stop();
  throw std::runtime_error("postgres did not accept connections within 30 s:\n" + log_tail());
}

void PostgresServer::stop() {
  if (!running()) return;
  ::kill(pid_, SIGINT);  // fast shutdown: disconnect clients, checkpoint, exit
  wait_exit(20'000);
}

void PostgresServer::wait_exit(int timeout_ms) {
  wait_child_exit(pid_, timeout_ms);
}

std::string PostgresServer::log_tail() const {
  return citadel::test::log_tail(dir_ / "server.log");
}

std::string PostgresServer::url(const std::string& database) const {
  return fmt::format("postgresql://{}@127.0.0.1:{}/{}", kUser, port_, database);
}

std::string PostgresServer::create_database() {
  const std::string name = fmt::format("test_{}", ++databases_);
  pg_exec(url("postgres"), "CREATE DATABASE " + name);
  return url(name);
}

namespace {

struct ConnCloser {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
using Result = std::unique_ptr<PGresult, ResultClearer>;

Conn connect(const std::string& url) {
  Conn conn(PQconnectdb((url + "?connect_timeout=5").c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to " + url + ": " +
                             (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  return conn;
}

Result run(PGconn* conn, const std::string& sql) {
  Result r(PQexec(conn, sql.c_str()));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn));
  }
  return r;
}

}  // namespace

void pg_exec(const std::string& url, const std::string& sql) {
  const auto conn = connect(url);
  run(conn.get(), sql);
}

int64_t pg_query_int(const std::string& url, const std::string& sql) {
  const auto conn = connect(url);
  const auto r = run(conn.get(), sql);
  if (PQntuples(r.get()) == 0) throw std::runtime_error("no row: " + sql);
  return std::strtoll(PQgetvalue(r.get(), 0, 0), nullptr, 10);
}

PgSession::PgSession(const std::string& url) : conn_(connect(url).release()) {}

void PgSession::exec(const std::string& sql) {
  run(conn_.get(), sql);
}

}  // namespace citadel::test
