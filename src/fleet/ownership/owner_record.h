// A room's owner record in etcd (issue 18): which game node runs the room.
//
// Key: /<cluster>/rooms/<room id, decimal>. Value: a small JSON object,
//   {"room":42,"node":"game-1","type":"arena"}
// put on the owner's lease, so the record goes when the owner's lease goes
// (a node killed, or cut off from etcd for a TTL) and another node may then
// claim the room. The record's create_revision is the ownership epoch: it
// is the same for the whole of one owner's tenure and larger for every
// later owner, so it fences what an owner writes elsewhere (a snapshot
// carries it; a store refuses one older than what it holds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::fleet::ownership {

struct OwnerRecord {
  uint64_t room_id = 0;
  std::string node_id;
  std::string room_type;  // the room's type name ("" when not known)

  bool operator==(const OwnerRecord&) const = default;
};

// A record is a few dozen bytes; anything past this is not ours.
inline constexpr std::size_t kMaxOwnerRecordBytes = 4096;

std::string encode_owner_record(const OwnerRecord& record);
// nullopt when the value is not a record this code wrote: not JSON, not an
// object, a field missing or of the wrong type, a room id of 0, an empty
// node id, or more than kMaxOwnerRecordBytes.
std::optional<OwnerRecord> decode_owner_record(std::string_view value);

// "/<cluster>/rooms/" and "/<cluster>/rooms/<room_id>".
std::string rooms_prefix(std::string_view cluster);
std::string room_key(std::string_view cluster, uint64_t room_id);
// The room id a key of rooms_prefix(cluster) names; nullopt for any other key.
std::optional<uint64_t> room_id_of_key(std::string_view cluster, std::string_view key);

}  // namespace citadel::fleet::ownership
