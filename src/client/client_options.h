// Settings of the client library, each with its unit and default. A Client
// takes them as given; callers (the CLI, tests) bound-check user input.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <string>

#include "client/transport/endpoint.h"
#include "protocol/wire.h"

namespace citadel::client {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// Injected time and randomness, so tests can step the clock and fix the
// jitter (ReconnectSchedule takes both). The Client itself runs on
// steady_clock, as Asio's timers do, and takes only the random source.
// Defaults: std::chrono::steady_clock and a seeded std::mt19937_64.
using NowFn = std::function<SteadyClock::time_point()>;
using RandomFn = std::function<uint64_t()>;  // uniform over all 64-bit values

// How a backoff delay is drawn below its ceiling c = min(cap, base * 2^n):
//   kNone:  exactly c.
//   kFull:  uniform in [0, c]. Spreads clients the most, but may retry at once.
//   kEqual: uniform in [c/2, c]. Still spreads a crowd of clients, but every
//           delay is at least half the ceiling, so delays never shrink from one
//           attempt to the next (until the cap) and a restarting server is
//           not hammered. This is the default.
enum class Jitter : uint8_t { kNone, kFull, kEqual };

struct BackoffConfig {
  std::chrono::milliseconds base = 200ms;
  std::chrono::milliseconds cap = 10s;
  uint32_t max_tries = 0;  // reconnect attempts in a row before giving up; 0 = forever
  Jitter jitter = Jitter::kEqual;
  // A connection that stayed up this long counts as healthy: the next loss
  // starts the schedule again at attempt 1. A server that accepts and then
  // drops at once keeps the delays growing instead.
  std::chrono::milliseconds stable_after = 5s;
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout = 5s;  // resolve + TCP connect, per attempt
  // A PING goes out every interval while connected; the server's idle timeout
  // (30 s by default) counts frames it receives, so this keeps us alive too.
  // 0 disables the heartbeat.
  std::chrono::milliseconds heartbeat_interval = 10s;
  // No frame at all from the server for this long: the peer is dead, close and
  // reconnect. About three heartbeat intervals; 0 disables the check.
  std::chrono::milliseconds dead_after = 30s;
  // A request unanswered for this long fails with kTimeout. Its slot stays
  // until the late reply arrives, so FIFO matching stays in step.
  std::chrono::milliseconds request_timeout = 10s;

  bool auto_reconnect = true;
  // A Reconnect push naming another server (a fleet's gateway draining):
  // the client moves there at once, over the same transport, and resumes
  // its session (requests waiting fail with kDisconnected, as on any
  // reconnect). false: the push only reaches the push callback.
  bool follow_reconnect = true;
  BackoffConfig backoff;

  // Bounds: requests awaiting a reply, bytes queued for the socket, and the
  // largest frame accepted from the server.
  std::size_t max_pending_requests = 1024;
  std::size_t max_output_bytes = 1024 * 1024;
  uint32_t max_payload_bytes = protocol::kDefaultMaxPayloadBytes;

  RandomFn random;  // backoff jitter; empty: std::mt19937_64 seeded from std::random_device

  // The wire (docs/protocol.md): raw frames over TCP, WebSocket, TLS, or
  // WebSocket inside TLS. connect(host, port) uses these; connect(Endpoint)
  // takes the transport and path from the endpoint. The handshakes count
  // against connect_timeout.
  transport::Transport transport = transport::Transport::kTcp;
  std::string ws_path = "/";  // the upgrade's request target (ws, wss)
  // tls, wss: a PEM file the server's certificate must verify against (and
  // name the host connected to). Empty: the certificate is NOT verified
  // (development servers with self-signed certificates).
  std::string tls_ca_file;
};

}  // namespace citadel::client
