// Which wire a client speaks to the game port, and where: tcp (raw frames),
// ws (WebSocket), tls (raw frames inside TLS) or wss (WebSocket inside TLS),
// as docs/protocol.md describes them. The tools take a transport by name
// (--transport ws) or a URL ("wss://127.0.0.1:7777/"); both end up here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::client::transport {

enum class Transport : uint8_t { kTcp, kWs, kTls, kWss };

std::string_view to_string(Transport t);
// "tcp", "ws", "tls", "wss" (lower case only); nullopt otherwise.
std::optional<Transport> parse_transport(std::string_view name);

constexpr bool uses_tls(Transport t) {
  return t == Transport::kTls || t == Transport::kWss;
}
constexpr bool uses_websocket(Transport t) {
  return t == Transport::kWs || t == Transport::kWss;
}

struct Endpoint {
  Transport transport = Transport::kTcp;
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 0;
  std::string path = "/";  // the WebSocket request target (ws, wss)
};

// "host:port", "[::1]:port", or a URL "scheme://host:port[/path]" with scheme
// tcp, ws, tls or wss. Without a scheme the transport is `fallback`. A URL
// must name its port (the game port has no well-known number). Returns
// nullopt and says why in *why (if given) on anything else.
std::optional<Endpoint> parse_endpoint(std::string_view text, Transport fallback,
                                       std::string* why = nullptr);

// "host:port", with brackets around an IPv6 address: the Host header of the
// WebSocket upgrade, and what the tools print.
std::string host_port(const Endpoint& e);
// "wss://127.0.0.1:7777/" (tcp://host:port for tcp).
std::string to_url(const Endpoint& e);

}  // namespace citadel::client::transport
