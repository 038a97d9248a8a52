// A scripted server for in-process client tests: listens on 127.0.0.1 port 0
// on the test's io_context, cuts frames with the real FrameReader, and lets
// each test decide what to answer (or not to answer).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "protocol/frame_reader.h"
#include "run_until.h"

namespace citadel::client::test {

struct Frame {
  uint16_t cmd = 0;
  std::string payload;
};

class FakePeer : public std::enable_shared_from_this<FakePeer> {
 public:
  explicit FakePeer(boost::asio::ip::tcp::socket socket);
  void send(uint16_t cmd, std::string_view payload);
  void send_raw(std::string_view bytes);
  void close();
  bool closed() const { return closed_; }
  const std::vector<Frame>& received() const { return received_; }

 private:
  friend class FakeServer;
  void read(std::function<void(FakePeer&, const Frame&)>* on_frame);

  boost::asio::ip::tcp::socket socket_;
  protocol::FrameReader reader_;
  std::vector<uint8_t> buffer_;
  std::vector<Frame> received_;
  bool closed_ = false;
};

class FakeServer {
 public:
  using OnAccept = std::function<void(FakePeer&)>;
  using OnFrame = std::function<void(FakePeer&, const Frame&)>;

  explicit FakeServer(boost::asio::io_context& io);
  uint16_t port() const { return port_; }
  // Set before the client connects.
  OnAccept on_accept;
  OnFrame on_frame;
  const std::vector<std::shared_ptr<FakePeer>>& peers() const { return peers_; }
  void close_all();

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::shared_ptr<FakePeer>> peers_;
};

// One PING/PONG-style answer for each frame: PING -> PONG, ECHO -> ECHO.
void answer_like_the_server(FakePeer& peer, const Frame& frame);

}  // namespace citadel::client::test
