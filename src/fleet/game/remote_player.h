// A player whose socket is on a gateway, as a game node's router, rooms and
// Outbox see it: a net::Responder whose frames go back over the node link
// it came on, as Delivers naming the gateway's connection id. Lives on the
// link's loop, registered there under its remote id (net/event_loop.h).
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>

#include "fleet/link/link_connection.h"
#include "net/responder.h"

namespace citadel::fleet {

class RemotePlayer final : public net::Responder {
 public:
  RemotePlayer(link::LinkConnection& link, uint64_t id, uint64_t gateway_connection_id,
               uint64_t user_id, boost::asio::ip::address gateway_address)
      : link_(link),
        id_(id),
        gateway_connection_id_(gateway_connection_id),
        user_id_(user_id),
        gateway_address_(std::move(gateway_address)) {}

  void send(uint16_t cmd, std::span<const uint8_t> payload) override;
  void send_shared(net::SharedBytes frames) override;
  void send_error(protocol::ErrorCode code, std::string_view text) override;
  uint64_t connection_id() const override { return id_; }
  uint64_t user_id() const override { return user_id_; }
  void set_user_id(uint64_t user_id) override { user_id_ = user_id; }
  const boost::asio::ip::address& peer_address() const override { return gateway_address_; }
  void close_with_error(protocol::ErrorCode code, std::string_view text) override;

  uint64_t gateway_connection_id() const { return gateway_connection_id_; }

 private:
  link::LinkConnection& link_;
  const uint64_t id_;
  const uint64_t gateway_connection_id_;
  uint64_t user_id_;
  const boost::asio::ip::address gateway_address_;
};

}  // namespace citadel::fleet
