// A node's record in etcd: /<cluster>/nodes/<node_id>, a JSON object
// written on the node's lease, so it vanishes when the node revokes the
// lease (clean exit) or stops renewing it (killed, cut off):
//
//   {"id":"game-1","role":"game","game":"10.0.0.5:7777","admin":"10.0.0.5:9100",
//    "link":"10.0.0.5:7780",
//    "pid":4242,"version":"0.1.0","started_at":"2026-12-03T23:10:00Z",
//    "draining":false,"load":{"connections":120,"rooms":4,"room_players":30}}
//
// Pure (nlohmann/json, no I/O): encode and decode, and the key layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::fleet {

// What a node reports about how busy it is, refreshed about once a second.
struct NodeLoad {
  uint64_t connections = 0;   // game-port connections open (players and not yet logged in)
  uint64_t rooms = 0;         // rooms open on this node (the rooms it owns)
  uint64_t room_players = 0;  // seats taken in them
  bool operator==(const NodeLoad&) const = default;
};

struct NodeRecord {
  std::string id;
  std::string role;
  std::string game_address;   // host:port for game clients
  std::string admin_address;  // host:port of the admin HTTP port; "" when disabled
  std::string link_address;   // host:port gateways dial (a game node's fleet.link_port); "" if none
  int64_t pid = 0;
  std::string version;
  std::string started_at;  // RFC 3339, UTC
  bool draining = false;   // shutting down: finishing its players, taking no new ones
  NodeLoad load;
  bool operator==(const NodeRecord&) const = default;
};

std::string encode_node_record(const NodeRecord& record);
// nullopt with `error` set when `json` is not a record (not JSON, not an
// object, id or role missing or not strings, numbers of the wrong type).
// Keys it does not know are ignored, so newer nodes may add fields.
std::optional<NodeRecord> decode_node_record(std::string_view json, std::string* error = nullptr);

// The key layout: /<cluster>/nodes/ and /<cluster>/nodes/<node_id>.
std::string nodes_prefix(std::string_view cluster);
std::string node_key(std::string_view cluster, std::string_view node_id);

// "2026-12-03T23:10:00Z" for now.
std::string utc_now_rfc3339();

}  // namespace citadel::fleet
