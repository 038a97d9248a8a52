// What the echo and hold scenarios set up the same way: how the connections
// and the connect rate are split across worker threads, and the timing
// constants both loops use.
#pragma once

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>

#include "epoll_client.h"
#include "options.h"

namespace citadel::bench {

// Workers post their figures this often; the progress line is at most this stale.
inline constexpr auto kPublishPeriod = std::chrono::milliseconds(50);
// While connects are pending the loop wakes this often to pace them.
inline constexpr auto kConnectPollPeriod = std::chrono::milliseconds(1);
// Longest a worker sleeps with nothing to do (it must still see `stop`).
inline constexpr auto kIdlePollPeriod = std::chrono::milliseconds(10);
// Connecting gives up after this; the controller waits a little longer for the
// workers to report the give-up.
inline constexpr auto kConnectPhaseLimit = std::chrono::seconds(60);
inline constexpr auto kConnectPhaseGrace = std::chrono::seconds(2);

// Threads actually used: never more than connections.
inline uint32_t worker_count(const CommonOptions& o) {
  return o.threads < o.connections ? o.threads : o.connections;
}

// Worker `index` of `workers`: its share of the connections (the first ones
// take the remainder), of the connect rate and of the source ports.
// `seed` picks where in its slice of source ports the worker starts.
inline ClientConfig worker_client_config(const CommonOptions& o, const sockaddr_in& server,
                                         uint32_t workers, uint32_t index, uint64_t seed) {
  ClientConfig c;
  c.server = server;
  for (const uint16_t port : o.also_ports) {
    sockaddr_in also = server;
    also.sin_port = htons(port);
    c.also_servers.push_back(also);
  }
  c.connections = o.connections / workers + (index < o.connections % workers ? 1 : 0);
  c.connect_rate_per_s = o.connect_rate_per_s * c.connections / o.connections;
  c.connect_phase_limit = kConnectPhaseLimit;
  c.source_ports.emplace(SourcePorts::ephemeral_range(), index, workers, seed);
  c.stream = o.stream;
  return c;
}

}  // namespace citadel::bench
