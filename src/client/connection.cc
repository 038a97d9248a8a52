#include "client/connection.h"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace citadel::client {

namespace asio = boost::asio;
using boost::asio::ip::tcp;
namespace proto = citadel::protocol;

Connection::Connection(asio::any_io_executor executor, uint32_t max_payload_bytes,
                       std::size_t max_output_bytes, Callbacks callbacks)
    : resolver_(executor),
      socket_(executor),
      connect_timer_(executor),
      callbacks_(std::move(callbacks)),
      reader_(max_payload_bytes),
      max_output_bytes_(max_output_bytes) {}

void Connection::start(const std::string& host, uint16_t port,
                       std::chrono::milliseconds connect_timeout,
                       std::shared_ptr<const transport::StreamSettings> stream,
                       std::string stream_error) {
  phase_ = Phase::kConnecting;
  if (!stream_error.empty()) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), why = std::move(stream_error)] { self->fail(why); });
    return;
  }
  stream_settings_ = std::move(stream);
  connect_timeout_ = connect_timeout;
  connect_timer_.expires_after(connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || self->phase_ != Phase::kConnecting) return;
    self->fail("connect timed out after " + std::to_string(self->connect_timeout_.count()) + " ms");
  });
  resolver_.async_resolve(
      host, std::to_string(port),
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  const tcp::resolver::results_type& endpoints) {
        self->handle_resolved(ec, endpoints);
      });
}

void Connection::handle_resolved(const boost::system::error_code& ec,
                                 const tcp::resolver::results_type& endpoints) {
  if (phase_ != Phase::kConnecting) return;
  if (ec) {
    fail("cannot resolve address: " + ec.message());
    return;
  }
  asio::async_connect(
      socket_, endpoints,
      [self = shared_from_this()](const boost::system::error_code& ec, const tcp::endpoint&) {
        self->handle_connected(ec);
      });
}

void Connection::handle_connected(const boost::system::error_code& ec) {
  if (phase_ != Phase::kConnecting) return;
  if (ec) {
    fail("connect failed: " + ec.message());
    return;
  }
  // Requests are small and latency matters more than segment count.
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  read_buffer_.resize(kReadBufferBytes);
  if (stream_settings_) {
    // The handshakes, still under the connect timer.
    stream_ = std::make_unique<transport::ClientStream>(*stream_settings_);
    reply_.clear();
    if (stream_->start(reply_) == transport::ClientStream::Status::kFailed) {
      fail(stream_->error());
      return;
    }
    if (stream_->encrypted()) scratch_.resize(kReadBufferBytes);
    read_some();
    queue_wire(reply_);
    return;
  }
  read_some();
  connected_now();
}

void Connection::connected_now() {
  connect_timer_.cancel();
  phase_ = Phase::kConnected;
  if (callbacks_.on_connected) callbacks_.on_connected();
}

void Connection::read_some() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
        self->handle_read(ec, bytes);
      });
}

void Connection::handle_read(const boost::system::error_code& ec, std::size_t bytes) {
  if (phase_ != Phase::kConnected && !(phase_ == Phase::kConnecting && stream_)) return;
  if (ec) {
    fail(ec == asio::error::eof ? std::string("server closed the connection")
                                : "read failed: " + ec.message());
    return;
  }
  // Keep this object alive even if a callback drops the owner's reference.
  const auto self = shared_from_this();
  if (stream_) {
    handle_stream_bytes(bytes);
    return;
  }
  if (feed_frames(std::span<const uint8_t>(read_buffer_.data(), bytes))) read_some();
}

// Cuts frames and hands them on; false if the connection failed or closed.
bool Connection::feed_frames(std::span<const uint8_t> bytes) {
  const proto::FeedResult result = reader_.feed(bytes, [this](const proto::FrameView& frame) {
    if (callbacks_.on_frame) callbacks_.on_frame(frame);
    return phase_ == Phase::kConnected;  // a callback may have closed us
  });
  if (phase_ != Phase::kConnected) return false;
  switch (result.error) {
    case proto::DecodeError::kNone:
      return true;
    case proto::DecodeError::kBadMagic:
      fail("server sent bytes that are not a frame (bad magic)");
      return false;
    case proto::DecodeError::kFrameTooLarge:
      fail("server sent a frame above " + std::to_string(reader_.max_payload_bytes()) + " bytes");
      return false;
  }
  return false;
}

namespace {

// The Citadel bytes a ClientStream hands on.
class FrameSink final : public transport::StreamSink {
 public:
  explicit FrameSink(std::function<bool(std::span<const uint8_t>)> feed) : feed_(std::move(feed)) {}
  bool on_stream_bytes(std::span<const uint8_t> bytes) override { return feed_(bytes); }

 private:
  std::function<bool(std::span<const uint8_t>)> feed_;
};

}  // namespace

void Connection::handle_stream_bytes(std::size_t bytes) {
  using Status = transport::ClientStream::Status;
  FrameSink sink(
      [this](std::span<const uint8_t> b) { return phase_ == Phase::kConnected && feed_frames(b); });
  reply_.clear();
  const Status status = stream_->receive(std::span<const uint8_t>(read_buffer_.data(), bytes),
                                         scratch_, reply_, sink);
  if (phase_ == Phase::kClosed) return;  // a frame callback closed us, or a frame was bad
  queue_wire(reply_);
  if (phase_ == Phase::kClosed) return;
  switch (status) {
    case Status::kOpen:
      if (phase_ == Phase::kConnecting) connected_now();
      if (phase_ == Phase::kConnected) read_some();
      return;
    case Status::kHandshaking:
      read_some();
      return;
    case Status::kClosed:
    case Status::kFailed:
      fail(stream_->error());
      return;
  }
}

void Connection::queue_wire(const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return;
  // Whole frames or whole records: after what is queued, before what comes.
  auto& to = stream_->encrypted() ? sealed_ : filling_;
  to.insert(to.end(), bytes.begin(), bytes.end());
  if (!writing_) write_pending();
}

bool Connection::send_frame(uint16_t cmd, std::span<const uint8_t> payload) {
  if (phase_ != Phase::kConnected) return false;
  if (queued_bytes() + proto::kHeaderBytes + payload.size() > max_output_bytes_) return false;
  if (stream_) {
    stream_->append_frame(filling_, cmd, payload);
  } else {
    proto::append_frame(filling_, cmd, payload);
  }
  if (!writing_) write_pending();
  return true;
}

void Connection::write_pending() {
  // The two buffers swap roles and keep their capacity, so a steady stream of
  // requests allocates nothing once they have grown to fit.
  in_flight_.clear();
  if (stream_ && stream_->encrypted()) {
    // Records already made go first, then the frames queued since, sealed now.
    std::swap(in_flight_, sealed_);
    if (!filling_.empty() && !stream_->seal(filling_, in_flight_)) {
      fail(stream_->error());
      return;
    }
    filling_.clear();
  } else {
    std::swap(in_flight_, filling_);
  }
  if (in_flight_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(in_flight_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->handle_written(ec);
                    });
}

void Connection::handle_written(const boost::system::error_code& ec) {
  writing_ = false;
  if (phase_ != Phase::kConnected && !(phase_ == Phase::kConnecting && stream_)) return;
  if (ec) {
    fail("write failed: " + ec.message());
    return;
  }
  in_flight_.clear();
  if (!filling_.empty() || !sealed_.empty()) write_pending();
}

void Connection::fail(const std::string& reason) {
  if (phase_ == Phase::kClosed) return;
  auto on_closed = std::move(callbacks_.on_closed);
  close();
  if (on_closed) on_closed(reason);
}

void Connection::close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  callbacks_ = {};
  shut_down_socket();
}

void Connection::shut_down_socket() {
  boost::system::error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

std::string Connection::remote_address() const {
  boost::system::error_code ec;
  const tcp::endpoint ep = socket_.remote_endpoint(ec);
  if (ec) return {};
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace citadel::client
