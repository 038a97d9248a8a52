#include "ops/config.h"

#include <yaml-cpp/yaml.h>
#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <thread>

#include "fleet/membership/fleet_settings.h"
#include "net/http/static_site.h"
#include "net/websocket/handshake.h"
#include "redis/redis_url.h"

namespace citadel::ops {
namespace {

constexpr uint32_t kMaxThreads = 256;
constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                        "warn",  "error", "off"};
constexpr std::array<std::string_view, 2> kLogFormats = {"text", "json"};

// RFC 6750 b64token: what may follow "Bearer " in an Authorization header.
bool is_bearer_token(const std::string& t) {
  std::size_t i = 0;
  while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) ||
                          std::string_view("-._~+/").find(t[i]) != std::string_view::npos)) {
    ++i;
  }
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

[[noreturn]] void fail(const std::string& key, const std::string& problem) {
  throw ConfigError(key + ": " + problem);
}

// fleet.*: checked even when fleet.etcd is empty, so a typo shows before
// the fleet is switched on.
void validate_fleet(const FleetConfig& f) {
  if (!f.etcd.empty()) {
    std::string why;
    if (!fleet::parse_etcd_url(f.etcd, &why)) fail("fleet.etcd", why);
  }
  if (auto problem = fleet::key_segment_problem(f.cluster)) fail("fleet.cluster", *problem);
  if (!f.node_id.empty()) {
    if (auto problem = fleet::key_segment_problem(f.node_id)) fail("fleet.node_id", *problem);
  }
  if (f.role != "all" && f.role != "gateway" && f.role != "game") {
    fail("fleet.role", "expected all, gateway or game, got '" + f.role + "'");
  }
  if (f.role != "all" && f.etcd.empty()) {
    fail("fleet.role", "a " + f.role +
                           " node is part of a fleet: set fleet.etcd (the other nodes are "
                           "found there)");
  }
  if (auto problem = fleet::lease_ttl_problem(f.lease_ttl_ms)) fail("fleet.lease_ttl_ms", *problem);
  if (f.advertise_host.find_first_of(" /:@") != std::string::npos) {
    fail("fleet.advertise_host",
         "expected a host name or an IPv4 address, got '" + f.advertise_host + "'");
  }
}

void read_one_of(const YAML::Node& node, const std::string& key, std::string& out,
                 std::initializer_list<std::string_view> allowed) {
  config_table::read_value(node, key, &out, 0, 0);
  if (std::find(allowed.begin(), allowed.end(), out) != allowed.end()) return;
  std::string list;
  for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  fail(key, "expected one of " + list + ", got '" + out + "'");
}

// One board of leaderboards.boards (or the admin API's JSON body): a mapping.
// `item` names it in errors ("" for the admin API's body).
LeaderboardBoardConfig read_board(const YAML::Node& node, const std::string& item) {
  if (!node.IsMap()) fail(item, "expected a mapping");
  LeaderboardBoardConfig b;
  for (const auto& entry : node) {
    const std::string field = entry.first.as<std::string>();
    const std::string at = item.empty() ? field : item + "." + field;
    const YAML::Node& v = entry.second;
    if (field == "id") {
      config_table::read_value(v, at, &b.id, 0, 0);
    } else if (field == "sort") {
      read_one_of(v, at, b.sort, {"desc", "asc"});
    } else if (field == "operator") {
      read_one_of(v, at, b.op, {"best", "set", "incr", "decr"});
    } else if (field == "reset") {
      config_table::read_value(v, at, &b.reset, 0, 0);
    } else if (field == "max_metadata_bytes") {
      config_table::read_value(v, at, &b.max_metadata_bytes, 0, 16 * 1024);
    } else if (field == "max_records") {
      config_table::read_value(v, at, &b.max_records, 1, uint64_t{1} << 31);
    } else {
      fail(at, "unknown key");
    }
  }
  const bool id_ok =
      !b.id.empty() && b.id.size() <= 128 &&
      std::all_of(b.id.begin(), b.id.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
  if (!id_ok) {
    fail(item.empty() ? "id" : item + ".id", "1 to 128 printable ASCII characters without spaces");
  }
  return b;
}

}  // namespace

std::vector<LeaderboardBoardConfig> read_leaderboard_boards(const YAML::Node& node,
                                                            const std::string& key) {
  std::vector<LeaderboardBoardConfig> boards;
  if (node.IsNull()) return boards;
  if (!node.IsSequence()) fail(key, "expected a list of boards");
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item = key + "[" + std::to_string(i) + "]";
    LeaderboardBoardConfig b = read_board(node[i], item);
    for (const auto& other : boards) {
      if (other.id == b.id) fail(item + ".id", "a second board '" + b.id + "'");
    }
    boards.push_back(std::move(b));
  }
  return boards;
}

std::string leaderboard_boards_yaml(const std::vector<LeaderboardBoardConfig>& boards) {
  YAML::Emitter out;
  out << YAML::Flow << YAML::BeginSeq;
  for (const auto& b : boards) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << b.id;
    out << YAML::Key << "sort" << YAML::Value << b.sort;
    out << YAML::Key << "operator" << YAML::Value << b.op;
    out << YAML::Key << "reset" << YAML::Value << YAML::DoubleQuoted << b.reset;
    out << YAML::Key << "max_metadata_bytes" << YAML::Value << b.max_metadata_bytes;
    out << YAML::Key << "max_records" << YAML::Value << b.max_records;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  return out.c_str();
}

uint32_t LimitsConfig::effective_max_connections(uint64_t open_file_limit) const {
  const uint64_t derived = open_file_limit > kFdHeadroom ? open_file_limit - kFdHeadroom : 1;
  const uint64_t cap =
      max_connections == 0 ? derived : std::min<uint64_t>(max_connections, derived);
  return static_cast<uint32_t>(std::min<uint64_t>(cap, std::numeric_limits<uint32_t>::max()));
}

LeaderboardBoardConfig parse_leaderboard_board(const std::string& text) {
  YAML::Node node;
  try {
    node = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("invalid JSON: ") + e.what());
  }
  if (!node || !node.IsMap()) throw ConfigError("expected a JSON object");
  return read_board(node, "");
}

uint32_t Config::effective_threads() const {
  if (server.threads != 0) return server.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

Config parse_config(const std::string& yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(std::string("invalid YAML: ") + e.what());
  }
  Config c;
  config_keys().read(root, c);
  validate(c);
  return c;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return parse_config(text.str());
  } catch (const ConfigError& e) {
    throw ConfigError(path + ": " + e.what());
  }
}

uint64_t effective_input_queue_bytes(const RoomTypeConfig& type, uint64_t output_queue_bytes) {
  if (type.input_queue_bytes != 0) return type.input_queue_bytes;
  return std::max<uint64_t>(8, std::min<uint64_t>(64 * 1024, output_queue_bytes / 4));
}

void validate(const Config& c) {
  if (c.store.backend == "sqlite") {
    if (c.store.path.empty()) fail("store.path", "must not be empty");
  } else if (c.store.backend == "postgres") {
    const std::string& url = c.store.postgres.url;
    if (url.empty()) fail("store.postgres.url", "required when store.backend is postgres");
    if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
      fail("store.postgres.url",
           "expected a libpq connection URI (postgresql://user@host:5432/database)");
    }
  } else {
    fail("store.backend", "unknown backend '" + c.store.backend + "' (sqlite, postgres)");
  }
  if (c.store.write_behind.enabled) {
    if (c.store.backend != "postgres") {
      fail("store.write_behind.enabled", "needs store.backend: postgres");
    }
    if (c.store.write_behind.path.empty()) fail("store.write_behind.path", "must not be empty");
  }
  if (!c.redis.url.empty()) {
    std::string why;
    if (!redis::parse_redis_url(c.redis.url, &why)) {
      fail("redis.url", "expected redis://[[user]:password@]host[:port][/db]: " + why);
    }
  }
  validate_fleet(c.fleet);
  for (const auto* type : {&c.rooms.arena, &c.rooms.lockstep}) {
    const std::string key = std::string("rooms.") + (type == &c.rooms.arena ? "arena" : "lockstep");
    if (type->match_size > type->max_players) {
      fail(key + ".match_size", "must be at most max_players (" +
                                    std::to_string(type->max_players) + "), got " +
                                    std::to_string(type->match_size));
    }
    // A tick's inputs become one frame to every player (lockstep): it must
    // fit a connection's output queue with room to spare.
    if (type->input_queue_bytes != 0 && type->input_queue_bytes < 8) {
      fail(key + ".input_queue_bytes", "must be 0 (automatic) or at least 8");
    }
    if (type->input_queue_bytes > c.limits.output_queue_bytes / 4) {
      fail(key + ".input_queue_bytes", "must be at most a quarter of limits.output_queue_bytes (" +
                                           std::to_string(c.limits.output_queue_bytes / 4) +
                                           "), got " + std::to_string(type->input_queue_bytes));
    }
  }
  if (c.auth.token_secret_file.empty()) fail("auth.token_secret_file", "must not be empty");
  if (c.crash.enabled && c.crash.directory.empty()) {
    fail("crash.directory", "must not be empty when crash.enabled");
  }
  if (c.websocket.enabled) {
    if (auto problem = net::websocket::handshake_config_problem(websocket_handshake_config(c))) {
      fail("websocket", *problem);
    }
  }
  if (c.web.enabled) {
    if (auto problem = net::http::prefix_problem(c.web.path)) fail("web.path", *problem);
  }
  if (c.tls.enabled) {
    if (c.tls.certificate_file.empty())
      fail("tls.certificate_file", "must be set when tls.enabled");
    if (c.tls.private_key_file.empty())
      fail("tls.private_key_file", "must be set when tls.enabled");
  }
  if (c.tls.port != 0 && !c.tls.enabled) fail("tls.port", "needs tls.enabled: true");
  if (c.websocket.port != 0 && !c.websocket.enabled) {
    fail("websocket.port", "needs websocket.enabled: true");
  }
  // Port 0 means "none" for these (a listener on a random port would be
  // unreachable), so only a clash between set ports is an error.
  const std::pair<const char*, uint32_t> ports[] = {{"server.port", c.server.port},
                                                    {"admin.port", c.admin.port},
                                                    {"websocket.port", c.websocket.port},
                                                    {"tls.port", c.tls.port}};
  for (std::size_t i = 2; i < std::size(ports); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (ports[i].second != 0 && ports[i].second == ports[j].second) {
        fail(ports[i].first, std::string("must differ from ") + ports[j].first + " (" +
                                 std::to_string(ports[j].second) + ")");
      }
    }
  }
  if (c.tls.min_version != "1.2" && c.tls.min_version != "1.3") {
    fail("tls.min_version", "must be \"1.2\" or \"1.3\"; got '" + c.tls.min_version + "'");
  }
  if (std::find(kLogLevels.begin(), kLogLevels.end(), c.log.level) == kLogLevels.end()) {
    fail("log.level",
         "must be one of trace, debug, info, warn, error, off; got '" + c.log.level + "'");
  }
  if (std::find(kLogFormats.begin(), kLogFormats.end(), c.log.format) == kLogFormats.end()) {
    fail("log.format", "must be text or json; got '" + c.log.format + "'");
  }
  if (c.server.host.empty()) fail("server.host", "must not be empty");
  if (c.server.threads > kMaxThreads) {
    fail("server.threads", "must be between 0 and " + std::to_string(kMaxThreads));
  }
  if (c.limits.output_queue_bytes < c.limits.max_payload_bytes + 16) {
    fail("limits.output_queue_bytes",
         "must be larger than limits.max_payload_bytes, or one maximum-size reply could not be "
         "queued");
  }
  // The admin listener is bound by address, so the address must be a literal:
  // a typo here would otherwise surface only as a failed bind after start-up.
  boost::system::error_code ec;
  boost::asio::ip::make_address(c.admin.host, ec);
  if (ec) fail("admin.host", "must be an IP address, got '" + c.admin.host + "'");
  if (!c.admin.token.empty() && !is_bearer_token(c.admin.token)) {
    fail("admin.token", "must be a bearer token: letters, digits and -._~+/ (then '=' padding)");
  }
  if (c.admin.port != 0 && c.admin.port == c.server.port) {
    fail("admin.port", "must differ from server.port (" + std::to_string(c.server.port) + ")");
  }
}

net::websocket::HandshakeConfig websocket_handshake_config(const Config& c) {
  net::websocket::HandshakeConfig h;
  h.path = c.websocket.path;
  h.allowed_origins = c.websocket.allowed_origins;
  h.max_request_bytes = c.websocket.max_handshake_bytes;
  return h;
}

std::string to_yaml(const Config& c) {
  return config_keys().to_yaml(c);
}

}  // namespace citadel::ops
