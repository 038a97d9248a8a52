// The connection engine of the session scenarios (login, chat): one per worker
// thread, owning that thread's connections, one epoll set (level-triggered)
// and one read buffer. Every method runs on the owning thread only.
//
// EpollClient (echo, hold) repeats one fixed request frame and needs no output
// buffer per connection. Here every frame differs (a fresh device id per
// login, a time stamp per chat message), so each connection has a small output
// buffer the scenario appends whole frames to, and every frame received is
// handed to the scenario. Connects are paced and bounded the same way as in
// EpollClient (same constants, same source-port choice), and a turn of the
// worker loop is the same: poll() (the scenario reacts to frames and queues
// more), the scenario's timers, then flush_writes(): at most one send per
// connection with output, all of a turn's sends in one io_uring submission
// where the kernel allows it. EPOLLOUT is armed only while a kernel buffer is
// full.
//
// Over ws and wss send() writes each frame as a masked binary message; over
// tls and wss the frames wait in `plain` and each flush seals them with one
// SSL_write into `out`. The handshakes run before on_open (connector.h).
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "epoll_client.h"
#include "net/send_batch.h"
#include "net/unique_fd.h"
#include "protocol/frame_reader.h"
#include "send_time_ring.h"
#include "source_ports.h"

namespace citadel::bench {

// What the scenario hears from its FrameClient; called from inside
// start_due_connects() and poll(), on the worker thread. Handlers may call
// send() on any connection. PINGs from the server are answered by the client
// and not passed on; ERROR frames are counted and passed on.
class FrameEvents {
 public:
  virtual ~FrameEvents() = default;
  virtual void on_open(ConnId id, Clock::time_point now) = 0;
  virtual void on_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now) = 0;
  // The connection closed (peer, I/O error or protocol error); it stays closed.
  virtual void on_close(ConnId) {}
  // Output queued on `id` went to the kernel at `at` (taken just before the
  // send): request latencies start here, not when the frame was queued, so
  // the worker's own turn time stays out of them.
  virtual void on_sent(ConnId, Clock::time_point /*at*/) {}
};

struct FrameClientConfig {
  sockaddr_in server{};
  std::vector<sockaddr_in> also_servers;  // --also-port (connect_targets.h)
  uint32_t connections = 0;               // this worker's share
  double connect_rate_per_s = 5000;
  Clock::duration connect_timeout = std::chrono::seconds(10);
  Clock::duration connect_phase_limit = std::chrono::seconds(60);
  std::optional<SourcePorts> source_ports;
  std::shared_ptr<const StreamSettings> stream;  // null: plain TCP
};

class FrameClient {
 public:
  // Throws std::system_error if the epoll set cannot be created.
  FrameClient(FrameClientConfig config, FrameEvents& events);
  FrameClient(const FrameClient&) = delete;
  FrameClient& operator=(const FrameClient&) = delete;

  void start_due_connects(Clock::time_point now);
  bool connecting() const { return connector_.connecting(); }

  // Appends one frame to the connection's output; it leaves at the next
  // flush_writes(). Ignored on a connection that is not open.
  void send(ConnId id, uint16_t cmd, std::span<const uint8_t> payload);
  bool is_open(ConnId id) const { return conns_[id].state == State::kOpen; }
  bool is_closed(ConnId id) const { return conns_[id].state == State::kClosed; }
  // Connects a closed connection again (a client reconnecting after a drop):
  // on_open when it is open, else it is closed again (is_closed) after a
  // refusal or the connect timeout.
  void reconnect(ConnId id, Clock::time_point now);
  // Closes an open connection from this side (counted as a disconnect;
  // on_close follows): a dropped connection, for testing a resume.
  void drop(ConnId id) { close_connection(id); }
  uint32_t size() const { return static_cast<uint32_t>(conns_.size()); }

  void flush_writes();
  void poll(Clock::duration timeout);

  // Connection-level counts (connects, disconnects, ERROR frames, protocol
  // errors); the request and reply fields are the scenario's to fill.
  const ClientCounters& counters() const { return counters_; }
  const ServerError& first_error() const { return first_error_; }

 private:
  using State = ConnState;

  // fd, state and connect_started come from ConnSlot (the Connector's part).
  struct Connection : ConnSlot {
    bool write_armed = false;
    bool write_queued = false;
    std::vector<uint8_t> out;  // wire bytes not yet handed to the kernel, from out_sent on
    std::size_t out_sent = 0;
    std::vector<uint8_t> plain;  // tls, wss: frames to seal into `out` at the next flush
    protocol::FrameReader reader;
  };
  class StreamReader;

  void finish_connect(ConnId id, Clock::time_point now);
  void handle_event(ConnId id, uint32_t events);
  void read_connection(ConnId id);
  bool receive_stream(ConnId id, std::span<const uint8_t> bytes, Clock::time_point now);
  bool seal_pending(ConnId id);
  void handle_frame(ConnId id, const protocol::FrameView& frame, Clock::time_point now);
  void write_connection(ConnId id);
  void flush_batched();
  void apply_write(ConnId id, ssize_t result, Clock::time_point at);
  void queue_write(ConnId id);
  void set_write_interest(ConnId id, bool want);
  void close_connection(ConnId id);

  FrameClientConfig config_;
  FrameEvents& events_;
  UniqueFd epoll_;

  std::vector<Connection> conns_;

  std::vector<ConnId> pending_writes_;
  std::vector<ConnId> flushing_;
  // Writes of one turn go out in io_uring submissions of up to this many
  // (net::SendBatch), as the server's do: one bench core must out-send the
  // server's core.
  static constexpr unsigned kSendBatchEntries = 256;
  std::unique_ptr<net::SendBatch> batch_;
  bool batch_tried_ = false;
  std::vector<uint8_t> read_buf_;
  std::array<epoll_event, 512> events_buf_{};
  std::vector<uint8_t> plain_buf_;  // ws, tls, wss: decrypted records
  std::vector<uint8_t> reply_;      // bytes a stream sends back by itself
  std::string transport_error_;     // the first handshake failure, printed once

  ClientCounters counters_;
  ServerError first_error_;
  Connector connector_;  // last: it refers to conns_ and counters_
};

}  // namespace citadel::bench
