#include "fleet/ownership/owner_record.h"

#include <charconv>

#include <nlohmann/json.hpp>

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
  const std::string prefix = rooms_prefix(cluster);
  if (key.size() <= prefix.size() || key.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view digits = key.substr(prefix.size());
  if (digits.front() == '0') return std::nullopt;  // one spelling per id
  uint64_t id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return id;
}

}  // namespace citadel::fleet::ownership
