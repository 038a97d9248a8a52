// Counters kept by one event loop. Only the loop's own thread writes them
// (a relaxed load and store: no locked instruction on the message path);
// any thread may read them, and readers sum the loops on demand.
#pragma once

#include <atomic>
#include <cstdint>

#include "ops/histogram.h"

namespace citadel::net {

class RelaxedCounter {
 public:
  void add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct LoopStats {
  RelaxedCounter frames_in;
  RelaxedCounter frames_out;
  RelaxedCounter bytes_in;
  RelaxedCounter bytes_out;
  RelaxedCounter read_calls;        // read syscalls that returned data, EOF or an error
  RelaxedCounter write_calls;       // sends: sendmsg syscalls and sends in io_uring batches
  RelaxedCounter send_batches;      // io_uring submissions carrying batched sends
  RelaxedCounter coalesced_sleeps;  // sleeps of server.wake_coalesce_us before a wait
  // I/O events handled by the extra polls a turn makes before its due
  // timers: input that came in during the turn and still made its tick.
  RelaxedCounter events_before_timers;
  RelaxedCounter connections_opened;
  RelaxedCounter connections_closed;
  RelaxedCounter active_connections;  // a gauge: opened - closed on this loop
  RelaxedCounter unknown_commands;
  RelaxedCounter protocol_errors_bad_magic;
  RelaxedCounter protocol_errors_frame_too_large;
  RelaxedCounter slow_consumer_disconnects;
  RelaxedCounter idle_timeouts;
  RelaxedCounter login_timeouts;
  RelaxedCounter websocket_upgrades;            // handshakes answered 101
  RelaxedCounter websocket_handshakes_refused;  // answered 4xx, or timed out
  RelaxedCounter websocket_protocol_errors;     // framing rules broken (closed 1002/1003/1007/1009)
  RelaxedCounter websocket_ping_floods;         // closed 1008: over websocket.max_pings_per_second
  RelaxedCounter http_static_responses;         // plain HTTP requests answered by the static site
  RelaxedCounter tls_handshakes;                // TLS handshakes completed
  RelaxedCounter tls_handshake_failures;  // refused by OpenSSL (bad ClientHello, no cipher...)
  RelaxedCounter tls_handshake_timeouts;  // not finished within tls.handshake_timeout_ms
  RelaxedCounter tls_handshakes_refused;  // over tls.max_concurrent_handshakes
  RelaxedCounter tls_errors;              // bad records after the handshake
  RelaxedCounter rejected_server_full;
  RelaxedCounter rejected_per_ip;
  RelaxedCounter accept_errors;
  RelaxedCounter deliveries_dropped;  // messages for connections that had closed
  RelaxedCounter output_queue_bytes;  // a gauge: bytes queued, not yet written
  // Time spent dispatching one read batch (all frames of one recv) to handlers.
  // Timed per batch, not per frame: two clock reads per batch stay in the noise.
  ops::DurationHistogram handler_time;
  // How late the loop's 100 ms probe timer fires: the loop's responsiveness.
  ops::DurationHistogram loop_lag;
};

// A plain-value sum of several loops' counters, for logs and endpoints.
struct StatsSnapshot {
  uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t read_calls = 0, write_calls = 0, send_batches = 0, coalesced_sleeps = 0;
  uint64_t events_before_timers = 0;
  uint64_t connections_opened = 0, connections_closed = 0, active_connections = 0;
  uint64_t unknown_commands = 0, protocol_errors_bad_magic = 0, protocol_errors_frame_too_large = 0;
  uint64_t slow_consumer_disconnects = 0, idle_timeouts = 0, login_timeouts = 0;
  uint64_t websocket_upgrades = 0, websocket_handshakes_refused = 0, websocket_protocol_errors = 0,
           websocket_ping_floods = 0;
  uint64_t http_static_responses = 0;
  uint64_t tls_handshakes = 0, tls_handshake_failures = 0, tls_handshake_timeouts = 0;
  uint64_t tls_handshakes_refused = 0, tls_errors = 0;
  uint64_t rejected_server_full = 0, rejected_per_ip = 0, accept_errors = 0;
  uint64_t deliveries_dropped = 0;
  uint64_t output_queue_bytes = 0;
  ops::DurationHistogram::Snapshot handler_time;
  ops::DurationHistogram::Snapshot loop_lag;

  void add(const LoopStats& s);
  uint64_t protocol_errors() const {
    return protocol_errors_bad_magic + protocol_errors_frame_too_large;
  }
};

}  // namespace citadel::net
