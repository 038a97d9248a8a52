#include "client/transport/endpoint.h"

#include <charconv>

namespace citadel::client::transport {

namespace {

std::optional<Endpoint> refuse(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Transport t) {
  switch (t) {
    case Transport::kTcp:
      return "tcp";
    case Transport::kWs:
      return "ws";
    case Transport::kTls:
      return "tls";
    case Transport::kWss:
      return "wss";
  }
  return "tcp";
}

std::optional<Transport> parse_transport(std::string_view name) {
  for (Transport t : {Transport::kTcp, Transport::kWs, Transport::kTls, Transport::kWss}) {
    if (name == to_string(t)) return t;
  }
  return std::nullopt;
}

std::optional<Endpoint> parse_endpoint(std::string_view text, Transport fallback,
                                       std::string* why) {
  Endpoint e;
  e.transport = fallback;
  const std::size_t scheme_end = text.find("://");
  if (scheme_end != std::string_view::npos) {
    const auto t = parse_transport(text.substr(0, scheme_end));
    if (!t) {
      return refuse(why, "unknown scheme '" + std::string(text.substr(0, scheme_end)) +
                             "' (tcp, ws, tls or wss)");
    }
    e.transport = *t;
    text.remove_prefix(scheme_end + 3);
    if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
      e.path = std::string(text.substr(slash));
      text = text.substr(0, slash);
    }
    if (!uses_websocket(e.transport) && e.path != "/") {
      return refuse(why, "a path is only for ws:// and wss://");
    }
  }
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return refuse(why, "expected [IPv6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return refuse(why, "expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return refuse(why, "an IPv6 address needs brackets: [::1]:PORT");
    }
  }
  if (host.empty()) return refuse(why, "no host");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return refuse(why, "the port must be 1 to 65535");
  }
  e.host = std::string(host);
  e.port = static_cast<uint16_t>(value);
  return e;
}

std::string host_port(const Endpoint& e) {
  const bool v6 = e.host.find(':') != std::string::npos;
  return (v6 ? "[" + e.host + "]" : e.host) + ":" + std::to_string(e.port);
}

std::string to_url(const Endpoint& e) {
  std::string url = std::string(to_string(e.transport)) + "://" + host_port(e);
  if (uses_websocket(e.transport)) url += e.path;
  return url;
}

}  // namespace citadel::client::transport
