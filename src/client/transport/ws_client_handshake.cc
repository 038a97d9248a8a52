#include "client/transport/ws_client_handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "net/websocket/accept_key.h"
#include "net/websocket/http_syntax.h"

namespace citadel::client::transport {

namespace http = net::websocket::http;

WsClientHandshake::WsClientHandshake(std::string_view host, std::string_view path, std::string key)
    : key_(std::move(key)) {
  request_.reserve(160 + host.size() + path.size());
  request_.append("GET ").append(path).append(" HTTP/1.1\r\n");
  request_.append("Host: ").append(host).append("\r\n");
  request_.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  request_.append("Sec-WebSocket-Key: ").append(key_).append("\r\n");
  request_.append("Sec-WebSocket-Version: 13\r\n\r\n");
}

std::string WsClientHandshake::make_key() {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::array<unsigned char, 25> text{};  // 24 characters and the NUL
  EVP_EncodeBlock(text.data(), raw.data(), static_cast<int>(raw.size()));
  return std::string(reinterpret_cast<const char*>(text.data()), 24);
}

WsClientHandshake::Result WsClientHandshake::feed(std::span<const uint8_t> bytes,
                                                  std::size_t& used) {
  used = 0;
  if (result_ != Result::kIncomplete) return result_;
  const std::size_t before = response_.size();
  response_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  // The blank line may straddle the previous feed.
  const std::size_t from = before >= 3 ? before - 3 : 0;
  const std::size_t end = response_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    used = bytes.size();
    if (response_.size() > kMaxResponseBytes) {
      return refuse("the server's answer to the WebSocket upgrade is over 8 KiB");
    }
    return Result::kIncomplete;
  }
  const std::size_t head_bytes = end + 4;
  used = head_bytes - before;
  response_.resize(head_bytes);
  result_ = check_head(std::string_view(response_).substr(0, end + 2));
  std::string().swap(response_);
  return result_;
}

WsClientHandshake::Result WsClientHandshake::check_head(std::string_view head) {
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.1 101")) {
    return refuse("the server refused the WebSocket upgrade: " + std::string(status_line));
  }
  bool upgrade = false;
  bool connection = false;
  bool accept = false;
  const std::string expected = net::websocket::accept_key_for(key_);
  std::size_t at = line_end + 2;
  while (at < head.size()) {
    const std::size_t next = head.find("\r\n", at);
    const std::string_view line = head.substr(at, next - at);
    at = next + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse("malformed header in the 101 answer");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = http::trim_whitespace(line.substr(colon + 1));
    if (http::equals_ignore_case(name, "Upgrade")) {
      upgrade = http::list_contains_token(value, "websocket");
    } else if (http::equals_ignore_case(name, "Connection")) {
      connection = http::list_contains_token(value, "upgrade");
    } else if (http::equals_ignore_case(name, "Sec-WebSocket-Accept")) {
      accept = value == expected;
      if (!accept) return refuse("Sec-WebSocket-Accept does not match our key");
    } else if (http::equals_ignore_case(name, "Sec-WebSocket-Extensions") ||
               http::equals_ignore_case(name, "Sec-WebSocket-Protocol")) {
      return refuse("the server chose an extension or subprotocol we did not offer");
    }
  }
  if (!upgrade) return refuse("the 101 answer lacks Upgrade: websocket");
  if (!connection) return refuse("the 101 answer lacks Connection: Upgrade");
  if (!accept) return refuse("the 101 answer lacks Sec-WebSocket-Accept");
  return Result::kAccepted;
}

WsClientHandshake::Result WsClientHandshake::refuse(std::string why) {
  error_ = std::move(why);
  result_ = Result::kRefused;
  return result_;
}

}  // namespace citadel::client::transport
