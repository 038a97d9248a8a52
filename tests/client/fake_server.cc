#include "fake_server.h"

#include <boost/asio/write.hpp>

#include "protocol/wire.h"

namespace citadel::client::test {

namespace asio = boost::asio;
using boost::asio::ip::tcp;
namespace proto = citadel::protocol;

FakePeer::FakePeer(tcp::socket socket) : socket_(std::move(socket)), buffer_(64 * 1024) {}

void FakePeer::send(uint16_t cmd, std::string_view payload) {
  std::string bytes;
  proto::append_frame(bytes, cmd,
                      std::span(reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
  send_raw(bytes);
}

void FakePeer::send_raw(std::string_view bytes) {
  if (closed_) return;
  // Blocking write: test frames are small and loopback buffers are large.
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
}

void FakePeer::close() {
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void FakePeer::read(std::function<void(FakePeer&, const Frame&)>* on_frame) {
  socket_.async_read_some(
      asio::buffer(buffer_),
      [self = shared_from_this(), on_frame](const boost::system::error_code& ec, std::size_t n) {
        if (ec || self->closed_) {
          self->closed_ = true;
          return;
        }
        self->reader_.feed(std::span<const uint8_t>(self->buffer_.data(), n),
                           [&](const proto::FrameView& f) {
                             Frame frame{f.cmd, std::string(f.payload.begin(), f.payload.end())};
                             self->received_.push_back(frame);
                             if (*on_frame) (*on_frame)(*self, frame);
                             return !self->closed_;
                           });
        if (!self->closed_) self->read(on_frame);
      });
}

FakeServer::FakeServer(asio::io_context& io)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
}

void FakeServer::accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) return;
    auto peer = std::make_shared<FakePeer>(std::move(socket));
    peers_.push_back(peer);
    if (on_accept) on_accept(*peer);
    peer->read(&on_frame);
    accept();
  });
}

void FakeServer::close_all() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& p : peers_) p->close();
}

void answer_like_the_server(FakePeer& peer, const Frame& frame) {
  if (frame.cmd == proto::cmd::kPing) peer.send(proto::cmd::kPong, frame.payload);
  if (frame.cmd == proto::cmd::kEcho) peer.send(proto::cmd::kEcho, frame.payload);
}

}  // namespace citadel::client::test
