// The connect phase both socket engines share (EpollClient for echo and hold,
// FrameClient for the session and room scenarios): connects are started in
// id order at a paced rate, at most kMaxConnectsInProgress at once and for at
// most kConnectBudgetPerTurn of each turn (a turn is also reading replies that
// are being timed, and a burst past the server's accept backlog costs a 1 s
// SYN retransmit). A connect that takes longer than its timeout fails; past
// the phase limit every connection not open yet is given up, so a dead or full
// server cannot hang a run.
//
// The engines keep their connections in their own vectors; each connection's
// connect state is a ConnSlot they derive from, reached through slot_of.
//
// Over ws, tls and wss a connection is not open when TCP is: finish() leaves
// it kHandshaking with a ClientStream to drive, and the engine calls
// opened() or failed() when the handshake ends. Until then it counts as a
// connect in progress (same pacing cap, same timeout), so a handshake that
// never ends fails like a connect that never ends.
#pragma once

#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "client/transport/client_stream.h"

#include "net/unique_fd.h"
#include "send_time_ring.h"
#include "source_ports.h"

namespace citadel::bench {

using ConnId = uint32_t;
struct ClientCounters;

enum class ConnState : uint8_t { kNotStarted, kConnecting, kHandshaking, kOpen, kClosed };

using client::transport::ClientStream;
using client::transport::StreamSettings;

struct ConnSlot {
  net::UniqueFd fd;
  ConnState state = ConnState::kNotStarted;
  Clock::time_point connect_started;
  std::unique_ptr<ClientStream> stream;  // null: plain TCP
};

struct ConnectSettings {
  sockaddr_in server{};
  // More servers: connection `id` goes to server_for (connect_targets.h),
  // round robin over [server, also_servers...].
  std::vector<sockaddr_in> also_servers;
  double rate_per_s = 5000;
  Clock::duration timeout = std::chrono::seconds(10);  // for one connect
  Clock::duration phase_limit = std::chrono::seconds(60);
  // Local ports to bind before connecting; empty: connect() picks (slow once
  // many ports are in use, see source_ports.h).
  std::optional<SourcePorts> source_ports;
  // The transport above TCP; null: plain TCP (frames as they are).
  std::shared_ptr<const StreamSettings> stream;
};

// The connect fields of an engine's config (ClientConfig, FrameClientConfig).
template <class Config>
ConnectSettings connect_settings_of(const Config& c) {
  return {c.server,          c.also_servers,        c.connect_rate_per_s,
          c.connect_timeout, c.connect_phase_limit, c.source_ports,
          c.stream};
}

class Connector {
 public:
  using SlotOf = std::function<ConnSlot&(ConnId)>;

  // Connections 0 .. total-1, registered with `epoll_fd` under their id
  // (EPOLLOUT while connecting, EPOLLIN once open). Counts into `counters`
  // (connects_started, connected, connect_failed, open).
  Connector(ConnectSettings settings, std::size_t total, int epoll_fd, ClientCounters& counters,
            SlotOf slot_of);

  // Starts the connects the pacing allows by `now`, fails those that timed
  // out, gives up on the rest past the phase limit. `opened(id)` is called for
  // a connect that completed at once (finish() it).
  void start_due(Clock::time_point now, const std::function<void(ConnId)>& opened);
  // True while some connection is neither open nor finished (failed or closed).
  bool connecting() const { return next_to_start_ < total_ || in_progress_ > 0; }
  // Connects `id` again (it must be closed), outside the paced first phase:
  // a client that reconnects after its connection dropped. Same timeout; the
  // phase limit does not apply. Finishes like any connect (finish()).
  void restart(ConnId id, Clock::time_point now, const std::function<void(ConnId)>& opened);
  // After EPOLLOUT on a connecting socket. kOpen: the connection is open and
  // polled for input. kHandshaking: TCP is up and polled for input, and
  // slot.stream is made and started (its first bytes are in `first_bytes`):
  // call opened() or failed() when its handshake ends. kClosed: the connect
  // failed (counted).
  ConnState finish(ConnId id, std::vector<uint8_t>& first_bytes);
  // The transport's handshake ended well: the connection is open.
  void opened(ConnId id);
  // It failed (refused, broken, or the peer left): counted as a failed connect.
  void failed(ConnId id);

 private:
  void start(ConnId id, Clock::time_point now, const std::function<void(ConnId)>& opened);
  bool bind_source_port(int fd);
  void fail(ConnSlot& c);
  uint32_t max_in_progress() const;

  ConnectSettings settings_;
  const std::size_t total_;
  const int epoll_fd_;
  ClientCounters& counters_;
  SlotOf slot_of_;
  const Clock::time_point phase_start_;
  std::size_t next_to_start_ = 0;      // connects are started in id order...
  std::size_t oldest_connecting_ = 0;  // ...so timeouts are checked from here on
  uint32_t in_progress_ = 0;
  bool gave_up_ = false;          // the phase limit passed: the first phase is over
  std::vector<ConnId> restarts_;  // restart()ed connects, for their timeouts
};

}  // namespace citadel::bench
