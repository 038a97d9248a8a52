// Draining a gateway or a game node (issue 18, docs/fleet.md "Draining"):
// on SIGTERM or POST /fleet/drain the node marks itself draining in its
// fleet record (written at once), so nothing new is sent to it, then:
//   - a gateway stops accepting clients and tells every connected client to
//     reconnect elsewhere (the Reconnect push, cmd 0x0106, naming another
//     live gateway's game port, spread by rendezvous hashing, or none); it
//     is done once its clients have gone;
//   - a game node takes no new rooms or matches (gateways pass draining
//     nodes over), its rooms play on; it is done once none is open.
// main() waits for done() or fleet.drain_timeout_ms, then stops the node as
// on SIGTERM (ERROR 7 to whoever is left, exit 0).
//
// Threads: begin() from the control or admin thread; the table and the
// notices on the service loop and the I/O loops; done() and the counters
// from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fleet/membership/drain_targets.h"
#include "fleet/membership/fleet_view.h"
#include "net/shared_bytes.h"
#include "ops/config.h"

namespace citadel::server {
class Server;
}
namespace citadel::fleet {
class Membership;
}
namespace citadel::ops::admin {
class MetricsWriter;
}

namespace citadel::app {

// The Reconnect push (auth.fbs): `address` "" when no other gateway is known.
net::SharedBytes encode_reconnect_frame(std::string_view address, std::string_view message,
                                        uint32_t deadline_ms);

class FleetDrain {
 public:
  // `rooms_open`: rooms running on this node, any thread (a game node's drain
  // is done when it is 0).
  FleetDrain(const ops::Config& config, std::string node_id, server::Server& server,
             std::function<uint64_t()> rooms_open);
  FleetDrain(const FleetDrain&) = delete;
  FleetDrain& operator=(const FleetDrain&) = delete;

  // Before the membership starts: the table (the other gateways), and whom
  // to tell that the record changed.
  void attach(fleet::Membership& membership);

  // Starts the drain (once: false if it had started already). Any thread.
  bool begin(std::string_view why);
  bool draining() const { return draining_.load(); }
  // The drain's work is done (its clients gone, or its rooms finished).
  bool done() const;
  std::chrono::milliseconds timeout() const { return timeout_; }
  bool is_gateway() const { return gateway_; }
  void write_metrics(ops::admin::MetricsWriter& out) const;

 private:
  void tell_clients_in_loop();  // service loop

  const std::string node_id_;
  const bool gateway_;
  const std::chrono::milliseconds timeout_;
  server::Server& server_;
  std::function<uint64_t()> rooms_open_;
  fleet::Membership* membership_ = nullptr;
  std::atomic<bool> draining_{false};
  // Service loop: the live gateways a client may move to.
  std::vector<fleet::DrainTarget> targets_;
  // Clients told to reconnect elsewhere (written on the I/O loops once per
  // drain, so a shared atomic costs nothing that matters).
  std::atomic<uint64_t> told_{0}, told_nowhere_{0};
};

}  // namespace citadel::app
