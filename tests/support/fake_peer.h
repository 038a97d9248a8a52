// A net::Responder for tests and fuzz targets that run handlers without
// sockets: it keeps the session state a connection would (user id, closing),
// and leaves send()/send_error() to the test, which records them its own way.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <span>
#include <string>

#include "net/responder.h"

namespace citadel::testing {

class FakePeer : public net::Responder {
 public:
  uint64_t connection_id() const override { return connection_id_; }
  uint64_t user_id() const override { return user_id_; }
  void set_user_id(uint64_t user_id) override { user_id_ = user_id; }
  const boost::asio::ip::address& peer_address() const override { return address_; }
  // Shared frames reach the test as the frames they hold, through send().
  void send_shared(net::SharedBytes frames) override {
    std::span<const uint8_t> rest(*frames);
    while (rest.size() >= protocol::kHeaderBytes) {
      const uint32_t length = protocol::load_be32(rest.data() + 4);
      send(protocol::load_be16(rest.data() + 2), rest.subspan(protocol::kHeaderBytes, length));
      rest = rest.subspan(protocol::kHeaderBytes + length);
    }
  }
  void close_with_error(protocol::ErrorCode code, std::string_view text) override {
    send_error(code, text);
    closed_with = code;
  }

  uint64_t connection_id_ = 42;
  uint64_t user_id_ = 0;
  boost::asio::ip::address address_ = boost::asio::ip::make_address("127.0.0.1");
  std::optional<protocol::ErrorCode> closed_with;
};

}  // namespace citadel::testing
