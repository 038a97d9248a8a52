// The server object: builds the loops, the acceptor and the router from a
// Config and runs them. One per process in the binary; tests may make several.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/connection_limits.h"
#include "net/event_loop.h"
#include "net/http/static_site.h"
#include "net/loop_stats.h"
#include "ops/config.h"
#include "server/local_outbox.h"
#include "server/outbox.h"
#include "server/router.h"

namespace citadel::net {
class Acceptor;
namespace websocket {
struct HandshakeConfig;
}
namespace tls {
class ContextStore;
}
}  // namespace citadel::net

namespace citadel::server {

class Server final {
 public:
  explicit Server(ops::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Register handlers here before start(); read-only afterwards.
  Router& router() { return router_; }
  // Before start(): called on the connection's loop whenever a connection
  // closes, with its user id (0 if it had none: kicked, logged out, never
  // logged in).
  void set_connection_closed_hook(std::function<void(uint64_t connection_id, uint64_t user_id)> f) {
    connection_closed_ = std::move(f);
  }
  // Before start(): called by stop() on the stopping thread while the loops
  // still run, so services can hand their last work to them (and wait).
  void set_before_stop_hook(std::function<void()> f) { before_stop_ = std::move(f); }
  const ops::Config& config() const { return config_; }

  // Binds the listener (throws boost::system::system_error if it cannot) and
  // starts the loop threads. Returns once the server accepts connections.
  void start();
  // Loads the TLS certificate and key again (SIGHUP): new connections get
  // the new ones, open connections keep theirs. A file that fails to load
  // changes nothing; the reason is returned (nullopt: reloaded, or TLS off).
  // Thread-safe.
  std::optional<std::string> reload_tls();
  uint64_t tls_reloads() const;
  uint64_t tls_reload_failures() const;
  // Reads web.root again (SIGHUP) and swaps the served files whole: requests
  // under way finish with the old ones. A directory that fails to load
  // (unreadable, over the size caps) changes nothing; the reason is returned
  // (nullopt: reloaded, or web off). Blocking disk I/O: never from a loop.
  std::optional<std::string> reload_web();
  // The directory web.path serves ("" when web is off).
  const std::string& web_root() const { return web_root_; }
  // A reload's new connection limits (limits.idle_timeout_ms,
  // limits.login_timeout_ms, websocket.handshake_timeout_ms,
  // websocket.max_pings_per_second, tls.handshake_timeout_ms): each loop
  // takes them on its own thread. Thread-safe; after start().
  void apply_live_limits(const ops::Config& config);
  // The bound port (useful when the config asked for port 0).
  uint16_t port() const { return port_; }

  // Graceful shutdown, step 1: stop accepting and ask every connection to
  // finish (ERROR shutting_down after its queued output). Thread-safe.
  void begin_shutdown();
  // Stops accepting new connections (the first half of begin_shutdown;
  // the connections open stay). Thread-safe; idempotent.
  void stop_accepting();
  // Runs `f` on every open connection, on each connection's own loop (one
  // post per loop; returns at once). Thread-safe.
  void for_each_connection(std::function<void(net::Responder&)> f);
  bool draining() const { return draining_; }
  // Open connections across all loops. Thread-safe.
  uint64_t active_connections() const;
  // Step 2: stop the loops and join their threads. Not from a loop thread.
  void stop();

  // How services and rooms reach this server's connections by id
  // (thread-safe; built with the loops, before start()).
  Outbox& outbox() { return *outbox_; }

  // The loop services run on (loop 0): with one I/O thread, service calls
  // from connections are plain in-loop posts, with no thread hop.
  net::EventLoop& service_loop() { return *loops_.front(); }
  // The I/O loops, by index (the top bits of a connection id).
  std::vector<net::EventLoop*> io_loops() const {
    std::vector<net::EventLoop*> out;
    for (const auto& loop : loops_) out.push_back(loop.get());
    return out;
  }

  // Counters summed across loops. Thread-safe.
  net::StatsSnapshot stats() const;
  uint32_t max_connections() const { return limits_.max_total(); }

 private:
  ops::Config config_;
  // Read by every loop for every upgrade; built once, outlives the loops.
  std::unique_ptr<net::websocket::HandshakeConfig> websocket_;
  // The static files (web.*), read by the loops through websocket_; loaded
  // in start() and swapped by reload_web().
  net::http::StaticSiteStore web_site_;
  std::string web_root_;
  bool web_root_is_default_ = false;
  // Null when tls.enabled is false; loaded in start(), outlives the loops.
  std::unique_ptr<net::tls::ContextStore> tls_;
  Router router_;
  net::ConnectionLimits limits_;
  std::vector<std::unique_ptr<net::EventLoop>> loops_;
  std::unique_ptr<LocalOutbox> outbox_;  // over loops_
  std::unique_ptr<net::Acceptor> acceptor_;
  // websocket.port and tls.port, when set: one wire each.
  std::vector<std::unique_ptr<net::Acceptor>> transport_acceptors_;
  std::function<void(uint64_t, uint64_t)> connection_closed_;
  std::function<void()> before_stop_;
  uint16_t port_ = 0;
  bool started_ = false;
  std::atomic<bool> draining_{false};
};

// The process's open-file limit (RLIMIT_NOFILE, soft).
uint64_t open_file_limit();

}  // namespace citadel::server
