#include "etcd_server.h"

#include "child_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace citadel::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path find_binary() {
  if (const char* path = std::getenv("CITADEL_ETCD")) return path;
  for (const char* candidate : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (fs::exists(candidate)) return candidate;
  }
  throw std::runtime_error(
      "etcd not found: run scripts/install-deps.sh (etcd-server) or set CITADEL_ETCD");
}

// One blocking HTTP/1.0 GET on loopback (the server closes after answering),
// bounded by 1 s socket timeouts; empty on any failure.
std::string http_get(uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  const timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, n);
    }
  }
  ::close(fd);
  return reply;
}

}  // namespace

EtcdServer::EtcdServer() {
  std::string tmpl = (fs::temp_directory_path() / "citadel-etcd-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  start();
}

EtcdServer::~EtcdServer() {
  stop();
  std::error_code ec;
  if (std::getenv("CITADEL_TEST_KEEP_TMP") == nullptr) fs::remove_all(dir_, ec);
}

void EtcdServer::start() {
  if (running()) return;
  const bool keep_ports = client_port_ != 0;  // a restart comes back where clients expect it
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!keep_ports) {
      client_port_ = free_loopback_port();
      do {
        peer_port_ = free_loopback_port();
      } while (peer_port_ == client_port_);
    }
    if (try_start()) return;
    if (keep_ports) std::this_thread::sleep_for(100ms);  // the old sockets may linger
  }
  throw std::runtime_error("etcd did not start:\n" + log_tail());
}

bool EtcdServer::try_start() {
  const std::string client = client_url();
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  pid_ = spawn_logged(
      {find_binary().string(), "--name", "citadel-test", "--data-dir", (dir_ / "data").string(),
       "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-peer-urls",
       peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "citadel-test=" + peer,
       "--initial-cluster-state", "new",
       // a lone member elects itself within ~100 ms
       "--heartbeat-interval", "10", "--election-timeout", "100", "--logger", "zap",
       "--log-outputs", "stderr", "--log-level", "warn"},
      dir_ / "server.log");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (healthy()) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: a port was taken, say
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(20ms);  // polling the server's readiness, bounded
  }
  stop();
  throw std::runtime_error("etcd was not healthy within 30 s:\n" + log_tail());
}

bool EtcdServer::healthy() const {
  return http_get(client_port_, "/health").find("\"health\":\"true\"") != std::string::npos;
}

void EtcdServer::stop() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  wait_exit(10'000);
}

void EtcdServer::wait_exit(int timeout_ms) {
  wait_child_exit(pid_, timeout_ms);
}

std::string EtcdServer::log_tail() const {
  return citadel::test::log_tail(dir_ / "server.log");
}

std::string EtcdServer::client_url() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

}  // namespace citadel::test
