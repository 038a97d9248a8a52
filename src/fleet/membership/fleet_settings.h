// The fleet.* settings' syntax (pure: no I/O but gethostname, no threads):
// the etcd URL, names that go into etcd keys (fleet.cluster, fleet.node_id),
// the lease TTL, and the node id a node makes up when none is configured.
// Compiled into citadel_core (like redis/redis_url.cc), because
// ops/config.cc checks the keys with it; the membership itself
// (citadel_membership) sits above.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::fleet {

struct EtcdUrl {
  std::string host;  // a name or an IPv4 address
  uint16_t port = 2379;
};

// http://host[:port][/] (port 2379 when absent). nullopt with `error` set
// for anything else: https:// is refused (no TLS to etcd yet), as are a
// user, a path or several endpoints.
std::optional<EtcdUrl> parse_etcd_url(std::string_view text, std::string* error = nullptr);

// A name that goes into an etcd key as one path segment: 1 to 63 of
// [A-Za-z0-9._-], not starting with '.' or '-'. nullopt when it is one,
// else why not.
std::optional<std::string> key_segment_problem(std::string_view name);

// fleet.lease_ttl_ms: etcd leases are whole seconds, from 1 s to 300 s.
constexpr uint32_t kMinLeaseTtlMs = 1'000;
constexpr uint32_t kMaxLeaseTtlMs = 300'000;
std::optional<std::string> lease_ttl_problem(uint32_t ttl_ms);

// The node id used when fleet.node_id is empty: the host name (characters
// outside the key alphabet become '-', cut to 50) + '-' + 8 random hex
// digits, e.g. "game-eu-1-3fa94c07". New on every start.
std::string generated_node_id();

}  // namespace citadel::fleet
