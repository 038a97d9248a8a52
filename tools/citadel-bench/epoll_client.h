// The load generator's connection engine: one per worker thread, owning that
// thread's share of the connections, one epoll set (level-triggered) and one
// read buffer. Every method runs on the owning thread only.
//
// What a connection sends is one fixed request frame, repeated (the scenarios
// never vary it). So instead of an output buffer per connection the client
// keeps one block of back-to-back copies of the frame, and a connection only
// counts how many bytes of that endless stream it still owes and where in the
// frame it stopped: queueing a request is an addition, sending is one
// send(2) straight from the shared block, and nothing is allocated per request.
//
// A turn of the worker loop is: poll() (reads; replies free slots and the
// scenario queues more requests), scenario timers, then flush_writes(), which
// makes at most one send per connection with output, as Redis's beforeSleep()
// does. EPOLLOUT is armed only while the kernel buffer is full.
//
// Over ws and wss the block holds each request as a masked binary message
// (every copy with its own key), so WebSocket costs the client nothing per
// request on the way out; replies are unwrapped in place by WsServerFrames.
// Over tls and wss each send is one SSL_write of whole requests from the
// block (one TLS record per 16 KiB), and ciphertext the kernel did not take
// waits in the connection's wire_out. The handshakes run on the connection
// before on_open (connector.h).
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "connector.h"
#include "net/unique_fd.h"
#include "protocol/frame_reader.h"
#include "send_time_ring.h"
#include "source_ports.h"

namespace citadel::bench {

using net::UniqueFd;

using ConnId = uint32_t;

enum class ReplyStatus : uint8_t {
  kOk,        // the expected cmd and length
  kMismatch,  // another cmd or length
  kError,     // an ERROR frame took the place of the reply
};

// What the scenario hears from its client; called from inside poll(), on the
// worker thread. Handlers may call request() on any connection.
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  virtual void on_open(ConnId id, Clock::time_point now) = 0;
  // A reply freed one in-flight slot on `id`. `rtt` is meaningful for kOk only.
  virtual void on_reply(ConnId id, ReplyStatus status, Clock::duration rtt,
                        Clock::time_point now) = 0;
};

// Cumulative counts for one client; copied out to the controller as they are.
struct ClientCounters {
  uint64_t connects_started = 0;
  uint64_t connected = 0;       // connects that succeeded
  uint64_t connect_failed = 0;  // refused, timed out, abandoned, or no socket
  uint64_t disconnects = 0;     // open connections closed by the peer or an I/O error
  uint64_t open = 0;            // open right now
  uint64_t open_answered = 0;   // open right now and had at least one good reply
  uint64_t requests_sent = 0;   // requests handed to the kernel (time-stamped)
  uint64_t replies_ok = 0;
  uint64_t replies_mismatched = 0;  // wrong cmd or length, or a frame with nothing in flight
  uint64_t error_frames = 0;        // ERROR frames from the server
  uint64_t protocol_errors = 0;     // undecodable bytes from the server (bad magic, too large)
  uint64_t server_pings = 0;        // PINGs the server sent us (answered with PONG)
  uint64_t pongs_dropped = 0;       // PONGs not sent: the control buffer was full

  uint64_t resolved() const { return connected + connect_failed; }
  uint64_t errors() const { return replies_mismatched + error_frames + protocol_errors; }
};

// The first ERROR frame seen; later ones are only counted.
struct ServerError {
  bool seen = false;
  uint16_t code = 0;
  std::string text;
};

struct ClientConfig {
  sockaddr_in server{};
  std::vector<sockaddr_in> also_servers;  // --also-port (connect_targets.h)
  uint32_t connections = 0;               // this worker's share
  double connect_rate_per_s = 5000;
  Clock::duration connect_timeout = std::chrono::seconds(10);  // for one connect
  // Connections not open this long after the client was built are given up
  // (counted as failed), so a dead or full server cannot hang the run.
  Clock::duration connect_phase_limit = std::chrono::seconds(60);
  // Local ports to bind before connecting; empty: connect() picks (slow once
  // many ports are in use, see source_ports.h).
  std::optional<SourcePorts> source_ports;
  uint16_t request_cmd = 0;
  uint16_t reply_cmd = 0;
  std::vector<uint8_t> request_payload;
  uint32_t max_in_flight = 1;  // per connection
  // The transport above TCP; null: plain TCP (see connector.h).
  std::shared_ptr<const StreamSettings> stream;
};

class EpollClient {
 public:
  // Throws std::system_error if the epoll set cannot be created.
  EpollClient(ClientConfig config, ConnectionEvents& events);
  EpollClient(const EpollClient&) = delete;
  EpollClient& operator=(const EpollClient&) = delete;

  // Starts the connects the pacing allows by `now`, fails those that timed out,
  // and gives up on all the rest once the connect phase limit has passed.
  void start_due_connects(Clock::time_point now);
  // True while some connection is neither open nor finished (failed or closed).
  bool connecting() const { return connector_.connecting(); }

  // Queues up to `n` more requests on `id`, never more than max_in_flight in
  // all; returns how many were queued. They go out at the next flush_writes().
  uint32_t request(ConnId id, uint32_t n);
  uint32_t in_flight(ConnId id) const;
  bool is_open(ConnId id) const;
  uint32_t size() const { return static_cast<uint32_t>(conns_.size()); }

  // One send per connection with output.
  void flush_writes();
  // Waits up to `timeout` for socket events and handles them.
  void poll(Clock::duration timeout);

  const ClientCounters& counters() const { return counters_; }
  const ServerError& first_error() const { return first_error_; }

 private:
  using State = ConnState;

  // fd, state and connect_started come from ConnSlot (the Connector's part).
  struct Connection : ConnSlot {
    bool answered = false;       // had a good reply (counts in open_answered)
    bool write_armed = false;    // EPOLLOUT in the interest set
    bool write_queued = false;   // in pending_writes_
    uint32_t unstamped = 0;      // queued requests not yet time-stamped
    uint32_t stream_offset = 0;  // where in the frame the next byte to send is
    std::size_t unsent_bytes = 0;
    SendTimeRing sent;
    protocol::FrameReader reader;
    // PONGs owed to server PINGs: rare, so a plain buffer, capped.
    std::vector<uint8_t> control_out;
    std::size_t control_sent = 0;
    // ws, tls, wss: wire bytes that go before anything else (handshake
    // bytes; sealed records the kernel did not take yet).
    std::vector<uint8_t> wire_out;
    std::size_t wire_sent = 0;
  };
  class StreamReader;

  void finish_connect(ConnId id, Clock::time_point now);
  void handle_event(ConnId id, uint32_t events);
  void read_connection(ConnId id);
  bool receive_stream(ConnId id, std::span<const uint8_t> bytes, Clock::time_point now);
  void flush_handshake(ConnId id);
  // Sends what wire_out holds: true when it is empty (all sent); false when
  // the kernel buffer is full (EPOLLOUT armed) or the connection closed.
  bool send_wire_out(ConnId id);
  void write_sealed(ConnId id);
  bool handle_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now);
  void write_connection(ConnId id);
  void queue_write(ConnId id);
  void set_write_interest(ConnId id, bool want);
  void close_connection(ConnId id);

  ClientConfig config_;
  ConnectionEvents& events_;
  UniqueFd epoll_;

  std::vector<uint8_t> block_;  // back-to-back copies of the request frame
  std::size_t frame_bytes_ = 0;

  std::vector<Connection> conns_;
  std::vector<Clock::time_point> ring_slab_;

  std::vector<ConnId> pending_writes_;
  std::vector<ConnId> flushing_;
  std::vector<uint8_t> read_buf_;
  std::array<epoll_event, 512> events_buf_{};
  // ws, tls, wss, shared by the connections of this thread: decrypted
  // records, bytes a stream must send back, and a turn's sealed output.
  std::vector<uint8_t> plain_buf_;
  std::vector<uint8_t> reply_;
  std::vector<uint8_t> sealed_;
  bool encrypted_ = false;
  std::string transport_error_;  // the first handshake failure, printed once

  ClientCounters counters_;
  ServerError first_error_;
  Connector connector_;  // last: it refers to conns_ and counters_
};

}  // namespace citadel::bench
