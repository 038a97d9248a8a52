// The client's half of the WebSocket opening handshake (RFC 6455 section
// 4.1): the GET that asks for the upgrade, and the check of the server's
// answer. I/O-free: the caller sends request() and feeds what it reads.
//
// The answer is accepted only as RFC 6455 4.1 requires of a client: status
// 101, Upgrade naming websocket, Connection naming Upgrade, and
// Sec-WebSocket-Accept equal to the value our key calls for (the proof the
// server read this request). An extension or subprotocol in the answer is
// refused, since we offered none. Anything else is a refusal, with the
// status line (e.g. "HTTP/1.1 404 Not Found") in error().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace citadel::client::transport {

class WsClientHandshake {
 public:
  enum class Result : uint8_t { kIncomplete, kAccepted, kRefused };

  // The answer's head may be this long at most (the server's 101 is ~130 bytes).
  static constexpr std::size_t kMaxResponseBytes = 8 * 1024;

  // `host` is the Host header ("127.0.0.1:7777"), `path` the request target.
  // `key`: a Sec-WebSocket-Key (make_key(), or a fixed one in tests).
  WsClientHandshake(std::string_view host, std::string_view path, std::string key = make_key());

  // base64 of 16 random bytes (OpenSSL's RAND_bytes).
  static std::string make_key();

  const std::string& request() const { return request_; }
  std::span<const uint8_t> request_bytes() const {
    return {reinterpret_cast<const uint8_t*>(request_.data()), request_.size()};
  }

  // Response bytes as read. `used` is how many of them belong to the response
  // head; any after it are already WebSocket frames. After kAccepted or
  // kRefused, feed() returns the same result and uses nothing.
  Result feed(std::span<const uint8_t> bytes, std::size_t& used);

  Result result() const { return result_; }
  const std::string& error() const { return error_; }

 private:
  Result check_head(std::string_view head);
  Result refuse(std::string why);

  std::string key_;
  std::string request_;
  std::string response_;  // the head so far
  Result result_ = Result::kIncomplete;
  std::string error_;
};

}  // namespace citadel::client::transport
