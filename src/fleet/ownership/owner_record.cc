#include "fleet/ownership/owner_record.h"

#include <nlohmann/json.hpp>

#include "fleet/etcd/etcd_types.h"

namespace citadel::fleet::ownership {

std::string encode_owner_record(const OwnerRecord& record) {
  nlohmann::json j = {
      {"room", record.room_id}, {"node", record.node_id}, {"type", record.room_type}};
  return j.dump();
}

std::optional<OwnerRecord> decode_owner_record(std::string_view value) {
  if (value.size() > kMaxOwnerRecordBytes) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto room = j.find("room");
  auto node = j.find("node");
  auto type = j.find("type");
  if (room == j.end() || !room->is_number_unsigned()) return std::nullopt;
  if (node == j.end() || !node->is_string()) return std::nullopt;
  if (type != j.end() && !type->is_string()) return std::nullopt;
  OwnerRecord record;
  record.room_id = room->get<uint64_t>();
  record.node_id = node->get<std::string>();
  if (type != j.end()) record.room_type = type->get<std::string>();
  if (record.room_id == 0 || record.node_id.empty()) return std::nullopt;
  return record;
}

std::string rooms_prefix(std::string_view cluster) {
  std::string prefix = "/";
  prefix.append(cluster).append("/rooms/");
  return prefix;
}

std::string room_key(std::string_view cluster, uint64_t room_id) {
  return rooms_prefix(cluster).append(std::to_string(room_id));
}

std::optional<uint64_t> room_id_of_key(std::string_view cluster, std::string_view key) {
  return etcd::decimal_id_after(key, rooms_prefix(cluster));
}

}  // namespace citadel::fleet::ownership
