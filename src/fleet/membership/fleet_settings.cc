#include "fleet/membership/fleet_settings.h"

#include <unistd.h>

#include <charconv>
#include <climits>
#include <random>

namespace citadel::fleet {
namespace {

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::optional<EtcdUrl> refuse(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

std::optional<EtcdUrl> parse_etcd_url(std::string_view text, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (text.starts_with("https://")) {
    return refuse(error,
                  "https:// (TLS to etcd) is not supported yet; use http:// on a trusted "
                  "network or loopback");
  }
  if (!text.starts_with(kScheme)) return refuse(error, "must start with http://");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/@,?# ") != std::string_view::npos) {
    return refuse(error, "expected http://host[:port] (one endpoint, no user, path or query)");
  }
  EtcdUrl url;
  std::string_view host = rest;
  if (const auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    const std::string_view port = rest.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      return refuse(error, "the port must be a number from 1 to 65535");
    }
    url.port = static_cast<uint16_t>(value);
  }
  if (host.empty()) return refuse(error, "no host");
  if (host.find(':') != std::string_view::npos || host.starts_with('[')) {
    return refuse(error, "IPv6 literals are not supported; use a name or an IPv4 address");
  }
  url.host = std::string(host);
  return url;
}

std::optional<std::string> key_segment_problem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 63) return "at most 63 characters, got " + std::to_string(name.size());
  for (char c : name) {
    if (!key_char(c)) {
      return "only letters, digits and . _ - are allowed (it is part of an etcd key); got '" +
             std::string(name) + "'";
    }
  }
  if (name.front() == '.' || name.front() == '-') return "must not start with '.' or '-'";
  return std::nullopt;
}

std::optional<std::string> lease_ttl_problem(uint32_t ttl_ms) {
  if (ttl_ms < kMinLeaseTtlMs || ttl_ms > kMaxLeaseTtlMs) {
    return "must be from " + std::to_string(kMinLeaseTtlMs) + " to " +
           std::to_string(kMaxLeaseTtlMs) + ", got " + std::to_string(ttl_ms);
  }
  if (ttl_ms % 1000 != 0) {
    return "etcd leases are whole seconds: use a multiple of 1000, got " + std::to_string(ttl_ms);
  }
  return std::nullopt;
}

std::string generated_node_id() {
  char host[HOST_NAME_MAX + 1] = {};
  std::string id;
  if (gethostname(host, sizeof host - 1) == 0) id = host;
  if (id.size() > 50) id.resize(50);
  for (char& c : id) {
    if (!key_char(c)) c = '-';
  }
  while (!id.empty() && (id.front() == '.' || id.front() == '-')) id.erase(0, 1);
  if (id.empty()) id = "node";
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  id += '-';
  const uint32_t bits = random();
  for (int shift = 28; shift >= 0; shift -= 4) id += kHex[(bits >> shift) & 0xf];
  return id;
}

}  // namespace citadel::fleet
