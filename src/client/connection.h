// One connection to the server, from resolve to close: connect bounded by
// a timer, then a read loop that cuts frames with protocol::FrameReader, and
// a double-buffered writer (one buffer being filled, one in flight).
//
// Over ws, tls and wss a transport::ClientStream sits between the socket and
// the frames: its handshakes run after the TCP connect, under the same
// connect timer, and the connection is connected only when they are done.
// Frames are then written in the stream's framing; over TLS the buffer being
// filled holds plaintext, sealed (one SSL_write) when it goes in flight.
//
// Held by shared_ptr; its pending handlers keep it alive, so the owner may drop
// it at any time. Reports through Callbacks until it closes: after close() or
// after on_closed, no callback fires again.
//
// Thread: every method and callback on the executor's thread (the Client's
// io_context thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/transport/client_stream.h"
#include "protocol/frame_reader.h"

namespace citadel::client {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Callbacks {
    std::function<void()> on_connected;
    // The FrameView is valid during the call only.
    std::function<void(const protocol::FrameView&)> on_frame;
    // A connect attempt failed, or the connection was lost; says why.
    std::function<void(const std::string& reason)> on_closed;
  };

  Connection(boost::asio::any_io_executor executor, uint32_t max_payload_bytes,
             std::size_t max_output_bytes, Callbacks callbacks);

  // Resolves host and connects; gives up after connect_timeout. `stream`:
  // the transport above TCP (null: raw frames). A non-empty `stream_error`
  // (its setup failed) fails the attempt at once with that reason.
  void start(const std::string& host, uint16_t port, std::chrono::milliseconds connect_timeout,
             std::shared_ptr<const transport::StreamSettings> stream = nullptr,
             std::string stream_error = {});
  // Queues one frame. False if not connected, or if the bytes not yet written
  // would exceed max_output_bytes (the server is not reading: do not queue more).
  bool send_frame(uint16_t cmd, std::span<const uint8_t> payload);
  // Closes at once and silently: no callback fires after this.
  void close();

  bool connected() const { return phase_ == Phase::kConnected; }
  std::size_t queued_bytes() const { return filling_.size() + in_flight_.size() + sealed_.size(); }
  std::string remote_address() const;

 private:
  enum class Phase : uint8_t { kIdle, kConnecting, kConnected, kClosed };
  // Read buffer per connection: big enough for one maximum frame (64 KiB) in
  // one read, so a large reply is not cut into many small reads.
  static constexpr std::size_t kReadBufferBytes = 64 * 1024;

  void handle_resolved(const boost::system::error_code& ec,
                       const boost::asio::ip::tcp::resolver::results_type& endpoints);
  void handle_connected(const boost::system::error_code& ec);
  void read_some();
  void handle_read(const boost::system::error_code& ec, std::size_t bytes);
  void handle_stream_bytes(std::size_t bytes);
  bool feed_frames(std::span<const uint8_t> bytes);
  void connected_now();
  // Bytes the stream sends by itself (handshakes, pongs), ready for the wire.
  void queue_wire(const std::vector<uint8_t>& bytes);
  void write_pending();
  void handle_written(const boost::system::error_code& ec);
  void fail(const std::string& reason);
  void shut_down_socket();

  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer connect_timer_;
  Callbacks callbacks_;
  Phase phase_ = Phase::kIdle;
  std::chrono::milliseconds connect_timeout_{0};

  protocol::FrameReader reader_;
  std::vector<uint8_t> read_buffer_;
  std::size_t max_output_bytes_;
  std::vector<uint8_t> filling_;    // frames queued since the last write started
  std::vector<uint8_t> in_flight_;  // the bytes async_write is sending
  bool writing_ = false;

  std::shared_ptr<const transport::StreamSettings> stream_settings_;
  std::unique_ptr<transport::ClientStream> stream_;  // ws, tls, wss
  std::vector<uint8_t> sealed_;   // tls, wss: records not yet in flight, in order
  std::vector<uint8_t> scratch_;  // tls, wss: decrypted records
  std::vector<uint8_t> reply_;    // what the stream sends back by itself
};

}  // namespace citadel::client
