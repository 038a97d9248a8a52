// Per-connection limits and collaborators, fixed at start-up and shared by
// every connection of a server.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace citadel::net {

class FrameDispatcher;
class ConnectionLimits;
namespace websocket {
struct HandshakeConfig;
}
namespace tls {
class ContextStore;
}

// What a listener's connections may speak. The game port takes every wire
// the config enables; a port of its own per transport takes one.
enum class PortWires : uint8_t {
  kAll,            // raw frames, WebSocket, TLS (and either inside it)
  kWebSocketOnly,  // WebSocket, and wss when TLS is on
  kTlsOnly,        // TLS, with raw frames or WebSocket inside
};

// The part of ConnectionOptions a config reload may change while the
// server runs. Each loop copies it into its own options on its own thread,
// so connections read their limits without a lock or an atomic.
struct LiveConnectionOptions {
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds login_timeout{0};
  std::chrono::milliseconds websocket_handshake_timeout{5'000};
  uint32_t websocket_pings_per_second = 10;
  std::chrono::milliseconds tls_handshake_timeout{5'000};
};

struct ConnectionOptions {
  uint32_t max_payload_bytes = 64 * 1024;
  uint64_t output_queue_bytes = 1024 * 1024;       // past it, the peer is a slow consumer
  std::chrono::milliseconds idle_timeout{30'000};  // zero disables
  // A connection with no logged-in user is closed this long after it opened;
  // zero disables (benchmarks that never log in).
  std::chrono::milliseconds login_timeout{0};
  // How long a closing connection may take to flush its last output and see
  // the peer's FIN before it is cut.
  std::chrono::milliseconds close_linger{2'000};
  uint32_t protocol_errors_logged_per_second = 20;
  // Output of many connections in one loop turn goes out in one io_uring
  // submission (SendBatch) rather than one sendmsg each.
  bool batched_sends = true;
  // Wake-up coalescing (server.wake_coalesce_us; zero: off). A loop that
  // started its last turn less than this long ago sleeps out the rest before
  // waiting for I/O again, so under steady load it wakes at most once per
  // interval and handles everything that arrived meanwhile in one turn.
  // Each wake-up costs a context switch and the epoll call around it (on
  // the arena at 1,000 players, about a third of the server's CPU: see
  // docs/benchmarks.md, issue 15); the price is up to this much latency per
  // message while the loop is busy. Timers are not delayed: the sleep ends
  // at the next timer's deadline. Off by default: request/response traffic
  // (echo, logins) would pay the delay on every exchange.
  std::chrono::microseconds wake_coalesce{0};
  const FrameDispatcher* dispatcher = nullptr;
  ConnectionLimits* limits = nullptr;  // slot released when a connection dies
  // WebSocket on the same port: a connection whose first byte is 'G' (an
  // HTTP upgrade) speaks WebSocket, one Citadel frame per binary message.
  // Null: off (every connection speaks raw frames). Outlives the loops.
  const websocket::HandshakeConfig* websocket = nullptr;
  // A WebSocket handshake not complete this long after the connection
  // opened is cut.
  std::chrono::milliseconds websocket_handshake_timeout{5'000};
  // WebSocket pings accepted per second and connection; one more closes it
  // with 1008 (a ping flood costs us a pong each).
  uint32_t websocket_pings_per_second = 10;
  // TLS on the same port: a connection whose first byte is 0x16 (a TLS
  // handshake record) speaks TLS; inside it, raw frames or WebSocket as
  // above. Null: off. Outlives the loops.
  tls::ContextStore* tls = nullptr;
  std::chrono::milliseconds tls_handshake_timeout{5'000};
  // TLS handshakes in progress per loop; a ClientHello beyond it is cut at
  // once, so a flood of handshakes (costly: a key exchange each) cannot
  // starve the game on that loop.
  uint32_t tls_max_handshakes_per_loop = 256;
  // Called on the connection's loop when any connection closes, with the
  // user it had (0: none), so whatever was keyed by its id dies with it.
  // May be empty.
  std::function<void(uint64_t connection_id, uint64_t user_id)> on_closed;
};

}  // namespace citadel::net
