#include "fleet/membership/node_record.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>

namespace citadel::fleet {

std::string encode_node_record(const NodeRecord& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["role"] = r.role;
  j["game"] = r.game_address;
  j["admin"] = r.admin_address;
  if (!r.link_address.empty()) j["link"] = r.link_address;
  j["pid"] = r.pid;
  j["version"] = r.version;
  j["started_at"] = r.started_at;
  j["draining"] = r.draining;
  j["load"] = {{"connections", r.load.connections},
               {"rooms", r.load.rooms},
               {"room_players", r.load.room_players}};
  return j.dump();
}

namespace {

std::optional<NodeRecord> refuse(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

// `out` from j[key] when present; false when present with the wrong type.
bool read_string(const nlohmann::json& j, const char* key, std::string& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

template <class T>
bool read_number(const nlohmann::json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end()) return true;
  if (!it->is_number_integer()) return false;
  if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
  }
  out = it->get<T>();
  return true;
}

}  // namespace

std::optional<NodeRecord> decode_node_record(std::string_view text, std::string* error) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return refuse(error, "not JSON");
  if (!j.is_object()) return refuse(error, "not a JSON object");
  NodeRecord r;
  const auto id = j.find("id");
  const auto role = j.find("role");
  if (id == j.end() || !id->is_string() || id->get<std::string>().empty()) {
    return refuse(error, "no id");
  }
  if (role == j.end() || !role->is_string()) return refuse(error, "no role");
  r.id = id->get<std::string>();
  r.role = role->get<std::string>();
  if (!read_string(j, "game", r.game_address) || !read_string(j, "admin", r.admin_address) ||
      !read_string(j, "link", r.link_address) || !read_string(j, "version", r.version) ||
      !read_string(j, "started_at", r.started_at)) {
    return refuse(error, "game, admin, link, version and started_at must be strings");
  }
  if (!read_number(j, "pid", r.pid)) return refuse(error, "pid must be an integer");
  if (const auto draining = j.find("draining"); draining != j.end()) {
    if (!draining->is_boolean()) return refuse(error, "draining must be true or false");
    r.draining = draining->get<bool>();
  }
  if (const auto load = j.find("load"); load != j.end()) {
    if (!load->is_object() || !read_number(*load, "connections", r.load.connections) ||
        !read_number(*load, "rooms", r.load.rooms) ||
        !read_number(*load, "room_players", r.load.room_players)) {
      return refuse(error, "load must be an object of counts (0 or more)");
    }
  }
  return r;
}

std::string nodes_prefix(std::string_view cluster) {
  // Appended rather than "/" + ...: g++ 12 warns falsely (-Wrestrict) on that.
  std::string prefix;
  prefix.reserve(cluster.size() + 8);
  prefix.append("/").append(cluster).append("/nodes/");
  return prefix;
}

std::string node_key(std::string_view cluster, std::string_view node_id) {
  return nodes_prefix(cluster) + std::string(node_id);
}

std::string utc_now_rfc3339() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace citadel::fleet
