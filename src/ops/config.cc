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

#include "net/http/static_site.h"
#include "net/websocket/handshake.h"

namespace citadel::ops {
namespace {

constexpr uint32_t kMaxThreads = 256;
constexpr uint32_t kMaxPayloadCeilingBytes = 16 * 1024 * 1024;
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

// Reads an unsigned integer in [lo, hi]. yaml-cpp would happily wrap "-1" into
// a huge unsigned value, so the sign is checked on the text first.
template <class T>
void read_uint(const YAML::Node& node, const std::string& key, T& out, uint64_t lo, uint64_t hi) {
  if (!node.IsScalar()) fail(key, "expected a number");
  const std::string& text = node.Scalar();
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    fail(key, "expected a non-negative integer, got '" + text + "'");
  }
  uint64_t value = 0;
  try {
    value = std::stoull(text);
  } catch (const std::exception&) {
    fail(key, "number out of range: '" + text + "'");
  }
  if (value < lo || value > hi) {
    fail(key,
         "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + text);
  }
  out = static_cast<T>(value);
}

void read_bool(const YAML::Node& node, const std::string& key, bool& out) {
  if (!node.IsScalar()) fail(key, "expected true or false");
  const std::string& text = node.Scalar();
  if (text == "true") {
    out = true;
  } else if (text == "false") {
    out = false;
  } else {
    fail(key, "expected true or false, got '" + text + "'");
  }
}

void read_string(const YAML::Node& node, const std::string& key, std::string& out) {
  if (node.IsNull()) {
    out.clear();
    return;
  }
  if (!node.IsScalar()) fail(key, "expected a string");
  out = node.Scalar();
}

void read_string_list(const YAML::Node& node, const std::string& key,
                      std::vector<std::string>& out) {
  out.clear();
  if (node.IsNull()) return;
  if (!node.IsSequence()) fail(key, "expected a list of strings");
  for (std::size_t i = 0; i < node.size(); ++i) {
    if (!node[i].IsScalar()) fail(key + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(node[i].Scalar());
  }
}

// Walks one mapping section, calling `field(name, node, key)` for each entry and
// rejecting anything that is not a known field.
template <class Field>
void read_section(const YAML::Node& root, const std::string& section,
                  std::initializer_list<std::string_view> known, Field&& field,
                  const std::string& parent = {}) {
  const YAML::Node node = root[section];
  if (!node || node.IsNull()) return;
  const std::string path = parent.empty() ? section : parent + "." + section;
  if (!node.IsMap()) fail(path, "expected a mapping");
  for (const auto& entry : node) {
    const std::string name = entry.first.as<std::string>();
    const std::string key = path + "." + name;
    if (std::find(known.begin(), known.end(), name) == known.end()) fail(key, "unknown key");
    field(name, entry.second, key);
  }
}

}  // namespace

uint32_t LimitsConfig::effective_max_connections(uint64_t open_file_limit) const {
  const uint64_t derived = open_file_limit > kFdHeadroom ? open_file_limit - kFdHeadroom : 1;
  const uint64_t cap =
      max_connections == 0 ? derived : std::min<uint64_t>(max_connections, derived);
  return static_cast<uint32_t>(std::min<uint64_t>(cap, std::numeric_limits<uint32_t>::max()));
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
  if (!root || root.IsNull()) return c;
  if (!root.IsMap()) throw ConfigError("config: expected a mapping at the top level");

  for (const auto& entry : root) {
    const std::string name = entry.first.as<std::string>();
    if (name != "server" && name != "limits" && name != "websocket" && name != "web" &&
        name != "tls" && name != "shutdown" && name != "log" && name != "admin" &&
        name != "store" && name != "auth" && name != "chat" && name != "storage" &&
        name != "rooms") {
      fail(name, "unknown key");
    }
  }

  read_section(root, "server", {"host", "port", "threads", "batched_sends"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 if (name == "host") read_string(n, key, c.server.host);
                 if (name == "port") read_uint(n, key, c.server.port, 0, 65535);
                 if (name == "threads") read_uint(n, key, c.server.threads, 0, kMaxThreads);
                 if (name == "batched_sends") read_bool(n, key, c.server.batched_sends);
               });
  read_section(root, "limits",
               {"max_connections", "max_connections_per_ip", "max_payload_bytes",
                "output_queue_bytes", "idle_timeout_ms", "login_timeout_ms"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 auto& l = c.limits;
                 if (name == "max_connections") read_uint(n, key, l.max_connections, 0, 10'000'000);
                 if (name == "max_connections_per_ip")
                   read_uint(n, key, l.max_connections_per_ip, 0, 10'000'000);
                 if (name == "max_payload_bytes")
                   read_uint(n, key, l.max_payload_bytes, 1, kMaxPayloadCeilingBytes);
                 if (name == "output_queue_bytes")
                   read_uint(n, key, l.output_queue_bytes, 1024, uint64_t{1} << 32);
                 if (name == "idle_timeout_ms")
                   read_uint(n, key, l.idle_timeout_ms, 0, 24u * 3600 * 1000);
                 if (name == "login_timeout_ms")
                   read_uint(n, key, l.login_timeout_ms, 0, 24u * 3600 * 1000);
               });
  read_section(root, "websocket",
               {"enabled", "path", "allowed_origins", "handshake_timeout_ms", "max_handshake_bytes",
                "max_pings_per_second", "port"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 auto& w = c.websocket;
                 if (name == "enabled") read_bool(n, key, w.enabled);
                 if (name == "path") read_string(n, key, w.path);
                 if (name == "allowed_origins") read_string_list(n, key, w.allowed_origins);
                 if (name == "handshake_timeout_ms")
                   read_uint(n, key, w.handshake_timeout_ms, 1, 600'000);
                 if (name == "max_handshake_bytes")
                   read_uint(n, key, w.max_handshake_bytes, 1024, 1024 * 1024);
                 if (name == "max_pings_per_second")
                   read_uint(n, key, w.max_pings_per_second, 1, 1'000'000);
                 if (name == "port") read_uint(n, key, w.port, 0, 65535);
               });
  read_section(root, "web", {"enabled", "path", "root"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 if (name == "enabled") read_bool(n, key, c.web.enabled);
                 if (name == "path") read_string(n, key, c.web.path);
                 if (name == "root") read_string(n, key, c.web.root);
               });
  read_section(root, "tls",
               {"enabled", "certificate_file", "private_key_file", "min_version",
                "handshake_timeout_ms", "max_concurrent_handshakes", "port"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 auto& t = c.tls;
                 if (name == "enabled") read_bool(n, key, t.enabled);
                 if (name == "certificate_file") read_string(n, key, t.certificate_file);
                 if (name == "private_key_file") read_string(n, key, t.private_key_file);
                 if (name == "min_version") read_string(n, key, t.min_version);
                 if (name == "handshake_timeout_ms")
                   read_uint(n, key, t.handshake_timeout_ms, 1, 600'000);
                 if (name == "max_concurrent_handshakes")
                   read_uint(n, key, t.max_concurrent_handshakes, 1, 1'000'000);
                 if (name == "port") read_uint(n, key, t.port, 0, 65535);
               });
  read_section(root, "shutdown", {"drain_timeout_ms"},
               [&](const std::string&, const YAML::Node& n, const std::string& key) {
                 read_uint(n, key, c.shutdown.drain_timeout_ms, 0, 600'000);
               });
  read_section(
      root, "log",
      {"level", "format", "file", "file_max_bytes", "file_max_files", "protocol_errors_per_second"},
      [&](const std::string& name, const YAML::Node& n, const std::string& key) {
        auto& l = c.log;
        if (name == "level") read_string(n, key, l.level);
        if (name == "format") read_string(n, key, l.format);
        if (name == "file") read_string(n, key, l.file);
        if (name == "file_max_bytes") read_uint(n, key, l.file_max_bytes, 4096, uint64_t{1} << 40);
        if (name == "file_max_files") read_uint(n, key, l.file_max_files, 1, 1000);
        if (name == "protocol_errors_per_second")
          read_uint(n, key, l.protocol_errors_per_second, 0, 1'000'000);
      });
  read_section(
      root, "admin",
      {"port", "host", "token", "max_header_bytes", "max_body_bytes", "read_timeout_ms",
       "write_timeout_ms", "max_connections", "max_requests_per_connection", "profile_max_seconds"},
      [&](const std::string& name, const YAML::Node& n, const std::string& key) {
        auto& a = c.admin;
        if (name == "port") read_uint(n, key, a.port, 0, 65535);
        if (name == "host") read_string(n, key, a.host);
        if (name == "token") read_string(n, key, a.token);
        if (name == "max_header_bytes") read_uint(n, key, a.max_header_bytes, 512, 1024 * 1024);
        if (name == "max_body_bytes") read_uint(n, key, a.max_body_bytes, 0, 1024 * 1024);
        if (name == "read_timeout_ms") read_uint(n, key, a.read_timeout_ms, 100, 600'000);
        if (name == "write_timeout_ms") read_uint(n, key, a.write_timeout_ms, 100, 600'000);
        if (name == "max_connections") read_uint(n, key, a.max_connections, 1, 10'000);
        if (name == "max_requests_per_connection")
          read_uint(n, key, a.max_requests_per_connection, 1, 1'000'000);
        if (name == "profile_max_seconds") read_uint(n, key, a.profile_max_seconds, 1, 3600);
      });
  read_section(root, "store", {"backend", "path", "postgres"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 if (name == "backend") read_string(n, key, c.store.backend);
                 if (name == "path") read_string(n, key, c.store.path);
               });
  if (const YAML::Node store = root["store"]; store && store.IsMap()) {
    read_section(
        store, "postgres",
        {"url", "max_batch", "queue_capacity", "batch_timeout_ms", "reconnect_interval_ms"},
        [&](const std::string& name, const YAML::Node& n, const std::string& key) {
          auto& p = c.store.postgres;
          if (name == "url") read_string(n, key, p.url);
          if (name == "max_batch") read_uint(n, key, p.max_batch, 1, 100'000);
          if (name == "queue_capacity") read_uint(n, key, p.queue_capacity, 1, 10'000'000);
          if (name == "batch_timeout_ms") read_uint(n, key, p.batch_timeout_ms, 100, 600'000);
          if (name == "reconnect_interval_ms")
            read_uint(n, key, p.reconnect_interval_ms, 10, 600'000);
        },
        "store");
  }
  read_section(root, "auth", {"token_secret_file", "session_grace_ms", "hash_threads"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 auto& a = c.auth;
                 if (name == "token_secret_file") read_string(n, key, a.token_secret_file);
                 if (name == "session_grace_ms")
                   read_uint(n, key, a.session_grace_ms, 0, 24u * 3600 * 1000);
                 if (name == "hash_threads") read_uint(n, key, a.hash_threads, 1, 64);
               });
  read_section(root, "chat",
               {"max_message_bytes", "messages_per_second", "message_burst",
                "max_channels_per_user", "history_on_join", "presence_max_members"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 auto& ch = c.chat;
                 if (name == "max_message_bytes")
                   read_uint(n, key, ch.max_message_bytes, 1, 60'000);
                 if (name == "messages_per_second")
                   read_uint(n, key, ch.messages_per_second, 1, 1'000'000);
                 if (name == "message_burst") read_uint(n, key, ch.message_burst, 1, 1'000'000);
                 if (name == "max_channels_per_user")
                   read_uint(n, key, ch.max_channels_per_user, 0, 10'000);
                 if (name == "history_on_join") read_uint(n, key, ch.history_on_join, 0, 1000);
                 if (name == "presence_max_members")
                   read_uint(n, key, ch.presence_max_members, 0, 10'000'000);
               });
  read_section(root, "storage", {"max_value_bytes", "max_objects_per_batch"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 // An object travels whole in one reply frame (64 KiB
                 // payloads at most, with room for the rest of the reply).
                 if (name == "max_value_bytes")
                   read_uint(n, key, c.storage.max_value_bytes, 2, 32 * 1024);
                 if (name == "max_objects_per_batch")
                   read_uint(n, key, c.storage.max_objects_per_batch, 1, 1000);
               });
  read_section(root, "rooms", {"executor_threads", "arena", "lockstep"},
               [&](const std::string& name, const YAML::Node& n, const std::string& key) {
                 if (name == "executor_threads")
                   read_uint(n, key, c.rooms.executor_threads, 0, kMaxThreads);
               });
  if (const YAML::Node rooms = root["rooms"]; rooms && rooms.IsMap()) {
    for (auto* type : {&c.rooms.arena, &c.rooms.lockstep}) {
      const std::string section = type == &c.rooms.arena ? "arena" : "lockstep";
      read_section(
          rooms, section,
          {"tick_hz", "max_players", "empty_ttl_ms", "input_queue", "input_queue_bytes",
           "match_size", "match_initial_window", "match_widen_per_second", "match_timeout_ms"},
          [&](const std::string& name, const YAML::Node& n, const std::string& key) {
            if (name == "tick_hz") read_uint(n, key, type->tick_hz, 1, 120);
            if (name == "max_players") read_uint(n, key, type->max_players, 1, 100'000);
            if (name == "empty_ttl_ms") read_uint(n, key, type->empty_ttl_ms, 0, 24u * 3600 * 1000);
            if (name == "input_queue") read_uint(n, key, type->input_queue, 1, 1'000'000);
            if (name == "input_queue_bytes")
              read_uint(n, key, type->input_queue_bytes, 0, 64u * 1024 * 1024);
            if (name == "match_size") read_uint(n, key, type->match_size, 1, 100'000);
            if (name == "match_initial_window")
              read_uint(n, key, type->match_initial_window, 0, 1'000'000'000);
            if (name == "match_widen_per_second")
              read_uint(n, key, type->match_widen_per_second, 0, 1'000'000'000);
            if (name == "match_timeout_ms")
              read_uint(n, key, type->match_timeout_ms, 1, 24u * 3600 * 1000);
          },
          "rooms");
    }
  }
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
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "host" << YAML::Value << c.server.host;
  out << YAML::Key << "port" << YAML::Value << c.server.port;
  out << YAML::Key << "threads" << YAML::Value << c.server.threads;
  out << YAML::Key << "batched_sends" << YAML::Value << c.server.batched_sends;
  out << YAML::EndMap;
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_connections" << YAML::Value << c.limits.max_connections;
  out << YAML::Key << "max_connections_per_ip" << YAML::Value << c.limits.max_connections_per_ip;
  out << YAML::Key << "max_payload_bytes" << YAML::Value << c.limits.max_payload_bytes;
  out << YAML::Key << "output_queue_bytes" << YAML::Value << c.limits.output_queue_bytes;
  out << YAML::Key << "idle_timeout_ms" << YAML::Value << c.limits.idle_timeout_ms;
  out << YAML::Key << "login_timeout_ms" << YAML::Value << c.limits.login_timeout_ms;
  out << YAML::EndMap;
  out << YAML::Key << "websocket" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << c.websocket.enabled;
  out << YAML::Key << "path" << YAML::Value << c.websocket.path;
  out << YAML::Key << "allowed_origins" << YAML::Value << YAML::Flow << c.websocket.allowed_origins;
  out << YAML::Key << "handshake_timeout_ms" << YAML::Value << c.websocket.handshake_timeout_ms;
  out << YAML::Key << "max_handshake_bytes" << YAML::Value << c.websocket.max_handshake_bytes;
  out << YAML::Key << "max_pings_per_second" << YAML::Value << c.websocket.max_pings_per_second;
  out << YAML::Key << "port" << YAML::Value << c.websocket.port;
  out << YAML::EndMap;
  out << YAML::Key << "web" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << c.web.enabled;
  out << YAML::Key << "path" << YAML::Value << c.web.path;
  out << YAML::Key << "root" << YAML::Value << YAML::DoubleQuoted << c.web.root;
  out << YAML::EndMap;
  out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << c.tls.enabled;
  out << YAML::Key << "certificate_file" << YAML::Value << YAML::DoubleQuoted
      << c.tls.certificate_file;
  out << YAML::Key << "private_key_file" << YAML::Value << YAML::DoubleQuoted
      << c.tls.private_key_file;
  out << YAML::Key << "min_version" << YAML::Value << YAML::DoubleQuoted << c.tls.min_version;
  out << YAML::Key << "handshake_timeout_ms" << YAML::Value << c.tls.handshake_timeout_ms;
  out << YAML::Key << "max_concurrent_handshakes" << YAML::Value << c.tls.max_concurrent_handshakes;
  out << YAML::Key << "port" << YAML::Value << c.tls.port;
  out << YAML::EndMap;
  out << YAML::Key << "shutdown" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "drain_timeout_ms" << YAML::Value << c.shutdown.drain_timeout_ms;
  out << YAML::EndMap;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << c.log.level;
  out << YAML::Key << "format" << YAML::Value << c.log.format;
  out << YAML::Key << "file" << YAML::Value << YAML::DoubleQuoted << c.log.file;
  out << YAML::Key << "file_max_bytes" << YAML::Value << c.log.file_max_bytes;
  out << YAML::Key << "file_max_files" << YAML::Value << c.log.file_max_files;
  out << YAML::Key << "protocol_errors_per_second" << YAML::Value
      << c.log.protocol_errors_per_second;
  out << YAML::EndMap;
  const AdminConfig& a = c.admin;
  out << YAML::Key << "admin" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "port" << YAML::Value << a.port;
  out << YAML::Key << "host" << YAML::Value << a.host;
  out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted << a.token;
  out << YAML::Key << "max_header_bytes" << YAML::Value << a.max_header_bytes;
  out << YAML::Key << "max_body_bytes" << YAML::Value << a.max_body_bytes;
  out << YAML::Key << "read_timeout_ms" << YAML::Value << a.read_timeout_ms;
  out << YAML::Key << "write_timeout_ms" << YAML::Value << a.write_timeout_ms;
  out << YAML::Key << "max_connections" << YAML::Value << a.max_connections;
  out << YAML::Key << "max_requests_per_connection" << YAML::Value << a.max_requests_per_connection;
  out << YAML::Key << "profile_max_seconds" << YAML::Value << a.profile_max_seconds;
  out << YAML::EndMap;
  out << YAML::Key << "store" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "backend" << YAML::Value << c.store.backend;
  out << YAML::Key << "path" << YAML::Value << c.store.path;
  out << YAML::Key << "postgres" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "url" << YAML::Value << YAML::DoubleQuoted << c.store.postgres.url;
  out << YAML::Key << "max_batch" << YAML::Value << c.store.postgres.max_batch;
  out << YAML::Key << "queue_capacity" << YAML::Value << c.store.postgres.queue_capacity;
  out << YAML::Key << "batch_timeout_ms" << YAML::Value << c.store.postgres.batch_timeout_ms;
  out << YAML::Key << "reconnect_interval_ms" << YAML::Value
      << c.store.postgres.reconnect_interval_ms;
  out << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::Key << "auth" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "token_secret_file" << YAML::Value << c.auth.token_secret_file;
  out << YAML::Key << "session_grace_ms" << YAML::Value << c.auth.session_grace_ms;
  out << YAML::Key << "hash_threads" << YAML::Value << c.auth.hash_threads;
  out << YAML::EndMap;
  out << YAML::Key << "chat" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_message_bytes" << YAML::Value << c.chat.max_message_bytes;
  out << YAML::Key << "messages_per_second" << YAML::Value << c.chat.messages_per_second;
  out << YAML::Key << "message_burst" << YAML::Value << c.chat.message_burst;
  out << YAML::Key << "max_channels_per_user" << YAML::Value << c.chat.max_channels_per_user;
  out << YAML::Key << "history_on_join" << YAML::Value << c.chat.history_on_join;
  out << YAML::Key << "presence_max_members" << YAML::Value << c.chat.presence_max_members;
  out << YAML::EndMap;
  out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_value_bytes" << YAML::Value << c.storage.max_value_bytes;
  out << YAML::Key << "max_objects_per_batch" << YAML::Value << c.storage.max_objects_per_batch;
  out << YAML::EndMap;
  out << YAML::Key << "rooms" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "executor_threads" << YAML::Value << c.rooms.executor_threads;
  for (const auto* type : {&c.rooms.arena, &c.rooms.lockstep}) {
    out << YAML::Key << (type == &c.rooms.arena ? "arena" : "lockstep") << YAML::Value
        << YAML::BeginMap;
    out << YAML::Key << "tick_hz" << YAML::Value << type->tick_hz;
    out << YAML::Key << "max_players" << YAML::Value << type->max_players;
    out << YAML::Key << "empty_ttl_ms" << YAML::Value << type->empty_ttl_ms;
    out << YAML::Key << "input_queue" << YAML::Value << type->input_queue;
    out << YAML::Key << "input_queue_bytes" << YAML::Value << type->input_queue_bytes;
    out << YAML::Key << "match_size" << YAML::Value << type->match_size;
    out << YAML::Key << "match_initial_window" << YAML::Value << type->match_initial_window;
    out << YAML::Key << "match_widen_per_second" << YAML::Value << type->match_widen_per_second;
    out << YAML::Key << "match_timeout_ms" << YAML::Value << type->match_timeout_ms;
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace citadel::ops
