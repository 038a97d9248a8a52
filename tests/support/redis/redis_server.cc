#include "redis_server.h"

#include "child_process.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

namespace citadel::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path find_binary() {
  if (const char* path = std::getenv("CITADEL_REDIS_SERVER")) return path;
  for (const char* candidate : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (fs::exists(candidate)) return candidate;
  }
  throw std::runtime_error(
      "redis-server not found: run scripts/install-deps.sh (redis-server) or set "
      "CITADEL_REDIS_SERVER");
}

struct ContextFree {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

// A connection, authenticated with `user`/`password` when the password is set.
Context connect(uint16_t port, const std::string& user = "", const std::string& password = "") {
  const timeval timeout{2, 0};
  Context c(redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (!c || c->err) return nullptr;
  redisSetTimeout(c.get(), timeout);
  if (!password.empty()) {
    std::vector<const char*> argv = {"AUTH"};
    std::vector<size_t> lens = {4};
    if (!user.empty()) {
      argv.push_back(user.c_str());
      lens.push_back(user.size());
    }
    argv.push_back(password.c_str());
    lens.push_back(password.size());
    Reply r(static_cast<redisReply*>(
        redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!r || r->type == REDIS_REPLY_ERROR) return nullptr;
  }
  return c;
}

std::string text_of(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += '\n';
        out += text_of(r->element[i]);
      }
      return out;
    }
    default:
      return std::string(r->str, r->len);
  }
}

}  // namespace

RedisServer& RedisServer::shared() {
  static RedisServer server;
  return server;
}

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
  std::string tmpl = (fs::temp_directory_path() / "citadel-redis-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  start();
}

RedisServer::~RedisServer() {
  stop();
  std::error_code ec;
  if (std::getenv("CITADEL_TEST_KEEP_TMP") == nullptr) fs::remove_all(dir_, ec);
}

void RedisServer::start() {
  if (running()) return;
  const bool keep_port = port_ != 0;  // a restart comes back where clients expect it
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!keep_port) port_ = free_loopback_port();
    if (try_start()) return;
    if (keep_port) std::this_thread::sleep_for(100ms);  // the old socket may linger
  }
  throw std::runtime_error("redis-server did not start:\n" + log_tail());
}

bool RedisServer::try_start() {
  std::vector<std::string> args = {find_binary().string()};
  const std::pair<const char*, std::string> flags[] = {{"--port", std::to_string(port_)},
                                                       {"--bind", "127.0.0.1"},
                                                       {"--dir", dir_.string()},
                                                       {"--save", ""},
                                                       {"--appendonly", "no"},
                                                       {"--daemonize", "no"},
                                                       {"--protected-mode", "no"},
                                                       {"--logfile", ""}};
  for (const auto& flag : flags) {
    args.push_back(flag.first);
    args.push_back(flag.second);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  pid_ = spawn_logged(args, dir_ / "server.log");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ping()) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, say
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(10ms);  // polling the server's readiness, bounded
  }
  stop();
  throw std::runtime_error("redis-server did not answer PING within 20 s:\n" + log_tail());
}

bool RedisServer::ping() const {
  Context c = connect(port_, options_.auth_user, options_.auth_password);
  if (!c) return false;
  Reply r(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
  return r && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
}

void RedisServer::stop() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  wait_exit(10'000);
}

void RedisServer::wait_exit(int timeout_ms) {
  wait_child_exit(pid_, timeout_ms);
}

std::string RedisServer::log_tail() const {
  return citadel::test::log_tail(dir_ / "server.log");
}

std::string RedisServer::url(int db) const {
  return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
}

std::string RedisServer::command(const std::vector<std::string>& args, int db) const {
  Context c = connect(port_, options_.auth_user, options_.auth_password);
  if (!c) throw std::runtime_error("cannot connect to redis on port " + std::to_string(port_));
  if (db != 0) {
    Reply s(static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", db)));
    if (!s || s->type == REDIS_REPLY_ERROR) throw std::runtime_error("SELECT failed");
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!r) throw std::runtime_error("redis: " + std::string(c->errstr));
  if (r->type == REDIS_REPLY_ERROR) throw std::runtime_error("redis: " + text_of(r.get()));
  return text_of(r.get());
}

void RedisServer::flush_all() const {
  command({"FLUSHALL"});
}

}  // namespace citadel::test
