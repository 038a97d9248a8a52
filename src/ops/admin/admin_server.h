// The admin HTTP server: /health, /metrics, /debug/profile on its own port,
// served by its own thread and Boost.Asio io_context. The game loops never
// run admin work and the admin thread never waits on a loop (it only reads
// their relaxed counters), so a slow or hostile HTTP client cannot stall
// game traffic; at worst it uses one of admin.max_connections slots until
// admin.read_timeout_ms passes.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "ops/admin/admin_sources.h"
#include "ops/admin/endpoints.h"
#include "ops/config.h"

namespace citadel::ops::admin {

class AdminServer {
 public:
  AdminServer(AdminConfig config, AdminSources sources);
  ~AdminServer();  // stop()
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Adds metric families written on every scrape. Before start() only.
  void add_metrics_collector(MetricsCollector collector);

  // Binds admin.host:admin.port (port 0 picks a free port; the binary treats
  // a configured 0 as "disabled" and never gets here) and starts the admin
  // thread. Throws boost::system::system_error if the bind fails. Once.
  void start();
  // The bound port. After start().
  uint16_t port() const { return port_; }
  // Stops the thread and closes every admin connection; a profile still
  // running is stopped and discarded. Idempotent. Not from the admin thread.
  void stop();

 private:
  AdminConfig config_;
  AdminSources sources_;
  std::vector<MetricsCollector> collectors_;
  // Admin thread only, from start() on.
  std::unique_ptr<Endpoints> endpoints_;
  uint32_t open_sessions_ = 0;
  // Declared last: destroyed (in stop()) while what the coroutines it holds
  // refer to is still alive.
  std::unique_ptr<boost::asio::io_context> io_;
  std::thread thread_;
  uint16_t port_ = 0;
};

}  // namespace citadel::ops::admin
