// Config parsing, log formats and the log rate limiter (src/ops).
#include "ops/config.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <map>
#include <set>
#include <sstream>

#include "ops/config_env.h"
#include "ops/logging.h"

namespace citadel::ops {
namespace {

// The ConfigError `f` throws ("" if none).
template <class F>
std::string config_error_of(F f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string error_of(const std::string& yaml) {
  return config_error_of([&] { parse_config(yaml); });
}

// The problem parse_config or validate finds ("" if none).
std::string validation_error_of(const std::string& yaml) {
  return config_error_of([&] { validate(parse_config(yaml)); });
}

TEST(ConfigKeys, EveryKeyHasOnePathAndHelpAndReadsBackWhatItPrints) {
  const auto& table = config_keys();
  std::set<std::string> paths;
  for (const auto& k : table.keys()) {
    EXPECT_TRUE(paths.insert(k.path).second) << "duplicate key " << k.path;
    EXPECT_FALSE(k.help.empty()) << k.path;
  }
  EXPECT_GT(paths.size(), 60u);
  // Every key set to a non-default value, printed, and read back: each
  // key's row really points at its own field.
  Config c;
  c.limits.idle_timeout_ms = 1234;
  c.chat.message_burst = 7;
  c.rooms.lockstep.max_players = 6;
  c.rooms.lockstep.match_size = 3;
  c.websocket.allowed_origins = {"https://a.example", "https://b.example"};
  const Config back = parse_config(to_yaml(c));
  EXPECT_TRUE(table.diff(c, back).empty());
  EXPECT_EQ(back.rooms.lockstep.max_players, 6u);
  EXPECT_EQ(back.rooms.arena.max_players, 16u);
  EXPECT_EQ(back.websocket.allowed_origins.size(), 2u);
}

TEST(ConfigKeys, DiffNamesEachChangedKeyAndWhetherAReloadAppliesIt) {
  const auto& table = config_keys();
  Config a;
  Config b;
  b.chat.messages_per_second = 1;
  b.server.threads = 3;
  b.rooms.arena.max_players = 4;
  b.admin.token = "secret-token";
  const auto changed = table.diff(a, b);
  ASSERT_EQ(changed.size(), 4u);
  std::map<std::string, ChangedKey> by_path;
  for (const auto& k : changed) by_path[k.path] = k;
  EXPECT_EQ(by_path["chat.messages_per_second"].applies, Applies::kLive);
  EXPECT_EQ(by_path["chat.messages_per_second"].was, "5");
  EXPECT_EQ(by_path["chat.messages_per_second"].now, "1");
  EXPECT_EQ(by_path["server.threads"].applies, Applies::kAtStart);
  EXPECT_EQ(by_path["rooms.arena.max_players"].applies, Applies::kLive);
  // A secret's value never reaches a log line or an HTTP body.
  EXPECT_EQ(by_path["admin.token"].now, "(set)");
  EXPECT_EQ(by_path["admin.token"].was, "\"\"");
}

TEST(ConfigKeys, CopyLiveMovesOnlyTheLiveKeys) {
  const auto& table = config_keys();
  Config running;
  Config next;
  next.chat.messages_per_second = 1;
  next.limits.idle_timeout_ms = 300;
  next.server.threads = 3;
  next.store.path = "elsewhere.db";
  table.copy_live(next, running);
  EXPECT_EQ(running.chat.messages_per_second, 1u);
  EXPECT_EQ(running.limits.idle_timeout_ms, 300u);
  EXPECT_EQ(running.server.threads, 0u);
  EXPECT_EQ(running.store.path, "citadel.db");
  const auto left = table.diff(running, next);
  ASSERT_EQ(left.size(), 2u);
  for (const auto& k : left) EXPECT_EQ(k.applies, Applies::kAtStart) << k.path;
}

TEST(ConfigKeys, UnknownKeysAndSectionsAreNamedWithTheirPath) {
  EXPECT_EQ(error_of("rooms:\n  arena:\n    speed: 3\n"), "rooms.arena.speed: unknown key");
  EXPECT_EQ(error_of("rooms:\n  arena: 3\n"), "rooms.arena: expected a mapping");
  EXPECT_EQ(error_of("store:\n  postgres:\n    host: x\n"), "store.postgres.host: unknown key");
  EXPECT_EQ(error_of("nonsense: 1\n"), "nonsense: unknown key");
  EXPECT_EQ(error_of("- 1\n"), "config: expected a mapping at the top level");
}

TEST(Config, EmptyTextGivesTheDocumentedDefaults) {
  const Config c = parse_config("");
  EXPECT_EQ(c.server.port, 7777);
  EXPECT_EQ(c.limits.max_payload_bytes, 65536u);
  EXPECT_EQ(c.limits.output_queue_bytes, 1048576u);
  EXPECT_EQ(c.limits.idle_timeout_ms, 30000u);
  EXPECT_EQ(c.limits.max_connections_per_ip, 1000u);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, "text");
  EXPECT_EQ(c.admin.port, 9100);
  EXPECT_EQ(c.admin.host, "127.0.0.1");
  EXPECT_EQ(c.admin.token, "");
  EXPECT_EQ(c.admin.max_header_bytes, 8192u);
  EXPECT_EQ(c.admin.max_body_bytes, 4096u);
  EXPECT_EQ(c.admin.read_timeout_ms, 5000u);
  EXPECT_EQ(c.admin.write_timeout_ms, 10000u);
  EXPECT_EQ(c.admin.max_connections, 32u);
  EXPECT_EQ(c.admin.max_requests_per_connection, 100u);
  EXPECT_EQ(c.admin.profile_max_seconds, 60u);
}

TEST(Config, AdminAndLogFormatKeysAreReadIntoTheirFields) {
  const Config c = parse_config(
      "log: {format: json}\n"
      "admin:\n"
      "  port: 0\n"
      "  host: ::1\n"
      "  token: s3cr3t-Token_~+/==\n"
      "  max_header_bytes: 1024\n"
      "  max_body_bytes: 0\n"
      "  read_timeout_ms: 250\n"
      "  write_timeout_ms: 300\n"
      "  max_connections: 4\n"
      "  max_requests_per_connection: 1\n"
      "  profile_max_seconds: 5\n");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.admin.port, 0);
  EXPECT_EQ(c.admin.host, "::1");
  EXPECT_EQ(c.admin.token, "s3cr3t-Token_~+/==");
  EXPECT_EQ(c.admin.max_header_bytes, 1024u);
  EXPECT_EQ(c.admin.max_body_bytes, 0u);
  EXPECT_EQ(c.admin.read_timeout_ms, 250u);
  EXPECT_EQ(c.admin.write_timeout_ms, 300u);
  EXPECT_EQ(c.admin.max_connections, 4u);
  EXPECT_EQ(c.admin.max_requests_per_connection, 1u);
  EXPECT_EQ(c.admin.profile_max_seconds, 5u);
}

TEST(Config, AdminAndLogFormatErrorsNameTheKey) {
  EXPECT_EQ(error_of("admin: {port: 70000}"), "admin.port: must be between 0 and 65535, got 70000");
  EXPECT_EQ(error_of("admin: {prot: 1}"), "admin.prot: unknown key");
  EXPECT_EQ(error_of("admin: {host: localhost}"),
            "admin.host: must be an IP address, got 'localhost'");
  EXPECT_NE(error_of("admin: {token: 'has space'}").find("admin.token: must be a bearer token"),
            std::string::npos);
  EXPECT_NE(error_of("admin: {token: 'a=b'}").find("admin.token"), std::string::npos)
      << "'=' is padding, only at the end";
  EXPECT_EQ(error_of("admin: {max_header_bytes: 100}"),
            "admin.max_header_bytes: must be between 512 and 1048576, got 100");
  EXPECT_EQ(error_of("admin: {read_timeout_ms: 0}"),
            "admin.read_timeout_ms: must be between 100 and 600000, got 0");
  EXPECT_EQ(error_of("admin: {max_connections: 0}"),
            "admin.max_connections: must be between 1 and 10000, got 0");
  EXPECT_EQ(error_of("admin: {max_requests_per_connection: 0}"),
            "admin.max_requests_per_connection: must be between 1 and 1000000, got 0");
  EXPECT_EQ(error_of("admin: {profile_max_seconds: 3601}"),
            "admin.profile_max_seconds: must be between 1 and 3600, got 3601");
  EXPECT_EQ(error_of("admin: {port: 7777}"), "admin.port: must differ from server.port (7777)");
  EXPECT_EQ(error_of("admin: []"), "admin: expected a mapping");
  EXPECT_EQ(error_of("log: {format: xml}"), "log.format: must be text or json; got 'xml'");
  EXPECT_EQ(error_of("server: {port: 0}\nadmin: {port: 0}"), "") << "0 and 0: both allowed";
}

TEST(Config, ValuesAreReadIntoTheirFields) {
  const Config c = parse_config(
      "server: {host: 127.0.0.1, port: 0, threads: 3, batched_sends: false}\n"
      "limits: {idle_timeout_ms: 0, max_connections: 10}\n"
      "log: {level: debug}\n"
      "chat: {messages_per_second: 1000, message_burst: 2000, presence_max_members: 3}\n");
  EXPECT_EQ(c.chat.messages_per_second, 1000u);
  EXPECT_EQ(c.chat.message_burst, 2000u);
  EXPECT_EQ(c.chat.presence_max_members, 3u);
  EXPECT_EQ(c.chat.max_message_bytes, 512u);
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 0);
  EXPECT_EQ(c.effective_threads(), 3u);
  EXPECT_FALSE(c.server.batched_sends);
  EXPECT_TRUE(parse_config("").server.batched_sends);
  EXPECT_EQ(parse_config("").server.wake_coalesce_us, 0u);
  EXPECT_EQ(parse_config("server: {wake_coalesce_us: 1000}").server.wake_coalesce_us, 1000u);
  EXPECT_EQ(c.limits.idle_timeout_ms, 0u);
  EXPECT_EQ(c.log.level, "debug");
}

TEST(Config, ErrorsNameTheKeyAndTheProblem) {
  EXPECT_EQ(error_of("limits: {idle_timeout_ms: soon}"),
            "limits.idle_timeout_ms: expected a non-negative integer, got 'soon'");
  EXPECT_EQ(error_of("server: {port: 70000}"),
            "server.port: must be between 0 and 65535, got 70000");
  EXPECT_EQ(error_of("server: {threads: -1}"),
            "server.threads: expected a non-negative integer, got '-1'");
  EXPECT_EQ(error_of("limits: {max_payload_byts: 10}"), "limits.max_payload_byts: unknown key");
  EXPECT_EQ(error_of("server: {batched_sends: yes}"),
            "server.batched_sends: expected true or false, got 'yes'");
  EXPECT_EQ(error_of("server: {wake_coalesce_us: 10001}"),
            "server.wake_coalesce_us: must be between 0 and 10000, got 10001");
  EXPECT_EQ(error_of("romos: {}"), "romos: unknown key");
  EXPECT_EQ(error_of("chat: {message_burst: 0}"),
            "chat.message_burst: must be between 1 and 1000000, got 0");
  EXPECT_EQ(error_of("limits: 5"), "limits: expected a mapping");
  EXPECT_NE(error_of("log: {level: loud}").find("log.level: must be one of"), std::string::npos);
  EXPECT_NE(error_of("limits: {max_payload_bytes: 2000000, output_queue_bytes: 1048576}")
                .find("limits.output_queue_bytes"),
            std::string::npos);
  EXPECT_NE(error_of("server: [1, 2").find("invalid YAML"), std::string::npos);
}

TEST(Config, LeaderboardBoardsAreReadAndPrintedBack) {
  const Config c = parse_config(
      "leaderboards:\n"
      "  submit_burst: 5\n"
      "  boards:\n"
      "    - {id: weekly, sort: asc, operator: incr, reset: '0 0 * * 1', max_metadata_bytes: 64}\n"
      "    - {id: forever}\n");
  EXPECT_EQ(c.leaderboards.submit_burst, 5u);
  EXPECT_EQ(c.leaderboards.submits_per_second, 10u);
  ASSERT_EQ(c.leaderboards.boards.size(), 2u);
  EXPECT_EQ(c.leaderboards.boards[0].sort, "asc");
  EXPECT_EQ(c.leaderboards.boards[0].op, "incr");
  EXPECT_EQ(c.leaderboards.boards[0].reset, "0 0 * * 1");
  EXPECT_EQ(c.leaderboards.boards[0].max_metadata_bytes, 64u);
  EXPECT_EQ(c.leaderboards.boards[1].op, "best");
  EXPECT_EQ(c.leaderboards.boards[1].reset, "");
  EXPECT_EQ(to_yaml(parse_config(to_yaml(c))), to_yaml(c));
  EXPECT_EQ(to_yaml(parse_config(to_yaml(Config{}))), to_yaml(Config{}));

  EXPECT_EQ(error_of("leaderboards: {boards: [{id: a, sort: up}]}"),
            "leaderboards.boards[0].sort: expected one of desc, asc, got 'up'");
  EXPECT_EQ(error_of("leaderboards: {boards: [{id: a, operator: max}]}"),
            "leaderboards.boards[0].operator: expected one of best, set, incr, decr, got 'max'");
  EXPECT_EQ(error_of("leaderboards: {boards: [{id: a, colour: red}]}"),
            "leaderboards.boards[0].colour: unknown key");
  EXPECT_EQ(error_of("leaderboards: {boards: [{sort: asc}]}"),
            "leaderboards.boards[0].id: 1 to 128 printable ASCII characters without spaces");
  EXPECT_EQ(error_of("leaderboards: {boards: [{id: a}, {id: a}]}"),
            "leaderboards.boards[1].id: a second board 'a'");
  EXPECT_EQ(error_of("leaderboards: {boards: [{id: a, max_metadata_bytes: 20000}]}"),
            "leaderboards.boards[0].max_metadata_bytes: must be between 0 and 16384, got 20000");
  EXPECT_EQ(error_of("leaderboards: {boards: 3}"),
            "leaderboards.boards: expected a list of boards");
}

TEST(Config, StorageLimitsAreReadCheckedAndPrinted) {
  const Config defaults = parse_config("");
  EXPECT_EQ(defaults.storage.max_value_bytes, 16u * 1024);
  EXPECT_EQ(defaults.storage.max_objects_per_batch, 100u);
  const Config c = parse_config("storage: {max_value_bytes: 4096, max_objects_per_batch: 10}\n");
  EXPECT_EQ(c.storage.max_value_bytes, 4096u);
  EXPECT_EQ(c.storage.max_objects_per_batch, 10u);
  EXPECT_EQ(error_of("storage: {max_value_bytes: 40000}"),
            "storage.max_value_bytes: must be between 2 and 32768, got 40000");
  EXPECT_EQ(error_of("storage: {max_objects_per_batch: 0}"),
            "storage.max_objects_per_batch: must be between 1 and 1000, got 0");
  EXPECT_EQ(error_of("storage: {max_values: 1}"), "storage.max_values: unknown key");
  const std::string printed = to_yaml(c);
  EXPECT_NE(printed.find("max_value_bytes: 4096"), std::string::npos) << printed;
  EXPECT_EQ(parse_config(printed).storage.max_objects_per_batch, 10u);
}

TEST(Config, PrintedConfigParsesBackToTheSameValues) {
  Config c;
  c.server.port = 9000;
  c.limits.idle_timeout_ms = 1234;
  c.log.file = "/var/log/citadel.log";
  c.log.format = "json";
  c.admin.port = 0;
  c.admin.token = "abc.DEF-123==";
  c.admin.read_timeout_ms = 777;
  const Config back = parse_config(to_yaml(c));
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_EQ(back.limits.idle_timeout_ms, 1234u);
  EXPECT_EQ(back.log.file, "/var/log/citadel.log");
  EXPECT_EQ(back.log.format, "json");
  EXPECT_EQ(back.admin.port, 0);
  EXPECT_EQ(back.admin.token, "abc.DEF-123==");
  EXPECT_EQ(back.admin.read_timeout_ms, 777u);
}

TEST(Config, WebKeysHaveTheirDefaultsAreReadCheckedAndPrinted) {
  const Config d = parse_config("");
  EXPECT_TRUE(d.web.enabled);
  EXPECT_EQ(d.web.path, "/demo/");
  EXPECT_EQ(d.web.root, "");
  const Config c = parse_config("web: {enabled: false, path: /play/, root: /srv/citadel/web}\n");
  EXPECT_FALSE(c.web.enabled);
  EXPECT_EQ(c.web.path, "/play/");
  EXPECT_EQ(c.web.root, "/srv/citadel/web");
  EXPECT_EQ(to_yaml(parse_config(to_yaml(c))), to_yaml(c));
  EXPECT_NE(to_yaml(d).find("web:\n  enabled: true\n  path: /demo/\n  root: \"\""),
            std::string::npos)
      << to_yaml(d);
  for (const char* bad : {"/demo", "demo/", "/a/../b/", "/a//b/", "/a b/", "/a%2e/", "/a?b/"}) {
    EXPECT_EQ(validation_error_of(std::string("web: {path: '") + bad + "'}")
                  .rfind("web.path: must start", 0),
              0u)
        << bad;
  }
  EXPECT_EQ(validation_error_of("web: {path: /}"), "");
  EXPECT_EQ(validation_error_of("web: {enabled: false, path: /demo}"), "");  // off: not checked
  EXPECT_EQ(error_of("web: {roots: x}"), "web.roots: unknown key");
}

TEST(Config, StoreBackendIsSqliteByDefaultAndPostgresNeedsAUrl) {
  const Config defaults = parse_config("");
  EXPECT_EQ(defaults.store.backend, "sqlite");
  EXPECT_EQ(defaults.store.path, "citadel.db");

  const Config pg = parse_config(
      "store:\n"
      "  backend: postgres\n"
      "  postgres: {url: 'postgresql://citadel@db:5432/citadel', max_batch: 500,\n"
      "             queue_capacity: 1000, batch_timeout_ms: 2000, reconnect_interval_ms: 250}\n");
  EXPECT_EQ(pg.store.backend, "postgres");
  EXPECT_EQ(pg.store.postgres.url, "postgresql://citadel@db:5432/citadel");
  EXPECT_EQ(pg.store.postgres.max_batch, 500u);
  EXPECT_EQ(pg.store.postgres.queue_capacity, 1000u);
  EXPECT_EQ(pg.store.postgres.batch_timeout_ms, 2000u);
  EXPECT_EQ(pg.store.postgres.reconnect_interval_ms, 250u);
  EXPECT_EQ(to_yaml(parse_config(to_yaml(pg))), to_yaml(pg));

  EXPECT_EQ(error_of("store: {backend: mysql}"),
            "store.backend: unknown backend 'mysql' (sqlite, postgres)");
  EXPECT_EQ(error_of("store: {backend: postgres}"),
            "store.postgres.url: required when store.backend is postgres");
  EXPECT_EQ(error_of("store: {backend: postgres, postgres: {url: 'host=db dbname=x'}}"),
            "store.postgres.url: expected a libpq connection URI "
            "(postgresql://user@host:5432/database)");
  EXPECT_EQ(error_of("store: {postgres: {port: 5432}}"), "store.postgres.port: unknown key");
  EXPECT_EQ(error_of("store: {postgres: {max_batch: 0}}"),
            "store.postgres.max_batch: must be between 1 and 100000, got 0");
  // A url without backend: postgres is kept but unused (SQLite stays the default).
  EXPECT_EQ(parse_config("store: {postgres: {url: 'postgresql://db/x'}}").store.backend, "sqlite");

  // redis.url: leaderboards in Redis when set.
  EXPECT_EQ(defaults.redis.url, "");
  EXPECT_EQ(parse_config("redis: {url: 'redis://127.0.0.1:6380/2'}").redis.url,
            "redis://127.0.0.1:6380/2");
  EXPECT_EQ(error_of("redis: {url: 'http://h'}"),
            "redis.url: expected redis://[[user]:password@]host[:port][/db]: must start with "
            "redis://");
  EXPECT_EQ(error_of("redis: {url: 'redis://h:1/99'}"),
            "redis.url: expected redis://[[user]:password@]host[:port][/db]: the database must be "
            "0 to 15");
  EXPECT_EQ(parse_config("redis: {url: 'redis://alice:pw@h:1/2'}").redis.url,
            "redis://alice:pw@h:1/2");
  // TLS: refused at the check, saying why and where to read on.
  const std::string tls = error_of("redis: {url: 'rediss://:pw@h:6380'}");
  EXPECT_NE(tls.find("rediss:// (TLS) is not supported"), std::string::npos) << tls;
  EXPECT_NE(tls.find("docs/operations.md"), std::string::npos) << tls;
  EXPECT_EQ(error_of("redis: {url: 'redis://:pw%zz@h'}").find("pw"), std::string::npos)
      << "a refused URL's password is not repeated";
}

TEST(Config, FleetKeysAreCheckedWithSpecificErrors) {
  const Config defaults;
  // No fleet by default: one process needs no etcd.
  EXPECT_EQ(defaults.fleet.etcd, "");
  EXPECT_EQ(defaults.fleet.cluster, "citadel");
  EXPECT_EQ(defaults.fleet.node_id, "");
  EXPECT_EQ(defaults.fleet.role, "all");
  EXPECT_EQ(defaults.fleet.lease_ttl_ms, 2000u);
  EXPECT_EQ(defaults.fleet.advertise_host, "");
  EXPECT_EQ(defaults.fleet.drain_timeout_ms, 20'000u);
  EXPECT_EQ(parse_config("fleet: {drain_timeout_ms: 0}").fleet.drain_timeout_ms, 0u);
  EXPECT_EQ(parse_config("fleet: {drain_timeout_ms: 3600000}").fleet.drain_timeout_ms, 3'600'000u);
  EXPECT_NE(error_of("fleet: {drain_timeout_ms: 3600001}").find("fleet.drain_timeout_ms"),
            std::string::npos);
  EXPECT_NE(error_of("fleet: {drain_timeout_ms: soon}").find("fleet.drain_timeout_ms"),
            std::string::npos);

  const Config c = parse_config(
      "fleet: {etcd: 'http://10.0.0.7:2379', cluster: eu-1, node_id: game_3.a, "
      "lease_ttl_ms: 5000, advertise_host: game-3.internal}");
  EXPECT_EQ(c.fleet.etcd, "http://10.0.0.7:2379");
  EXPECT_EQ(c.fleet.cluster, "eu-1");
  EXPECT_EQ(c.fleet.node_id, "game_3.a");
  EXPECT_EQ(c.fleet.lease_ttl_ms, 5000u);
  EXPECT_EQ(c.fleet.advertise_host, "game-3.internal");
  EXPECT_EQ(parse_config("fleet: {etcd: 'http://etcd/'}").fleet.etcd, "http://etcd/");

  EXPECT_EQ(error_of("fleet: {etcd: 'etcd:2379'}"), "fleet.etcd: must start with http://");
  EXPECT_NE(error_of("fleet: {etcd: 'https://etcd:2379'}").find("TLS to etcd) is not supported"),
            std::string::npos);
  EXPECT_EQ(error_of("fleet: {etcd: 'http://etcd:0'}"),
            "fleet.etcd: the port must be a number from 1 to 65535");
  EXPECT_NE(error_of("fleet: {etcd: 'http://a:1,http://b:2'}").find("one endpoint"),
            std::string::npos);
  EXPECT_NE(error_of("fleet: {node_id: 'game/1'}").find("fleet.node_id: only letters"),
            std::string::npos);
  EXPECT_EQ(error_of("fleet: {node_id: '-x'}"), "fleet.node_id: must not start with '.' or '-'");
  EXPECT_EQ(error_of("fleet: {node_id: '" + std::string(64, 'n') + "'}"),
            "fleet.node_id: at most 63 characters, got 64");
  EXPECT_EQ(error_of("fleet: {cluster: ''}"), "fleet.cluster: must not be empty");
  EXPECT_NE(error_of("fleet: {cluster: 'a b'}").find("fleet.cluster: only letters"),
            std::string::npos);
  // gateway and game are parts of a fleet: they need etcd.
  EXPECT_NE(
      error_of("fleet: {role: gateway}").find("fleet.role: a gateway node is part of a fleet"),
      std::string::npos);
  EXPECT_NE(error_of("fleet: {role: game}").find("set fleet.etcd"), std::string::npos);
  EXPECT_EQ(error_of("fleet: {role: boss}"),
            "fleet.role: expected all, gateway or game, got 'boss'");
  EXPECT_EQ(error_of("fleet: {etcd: 'http://127.0.0.1:2379', role: game, link_port: 7780}"), "");
  // etcd counts whole seconds.
  EXPECT_EQ(error_of("fleet: {lease_ttl_ms: 2500}"),
            "fleet.lease_ttl_ms: etcd leases are whole seconds: use a multiple of 1000, got 2500");
  EXPECT_NE(error_of("fleet: {lease_ttl_ms: 500}").find("fleet.lease_ttl_ms"), std::string::npos);
  EXPECT_NE(error_of("fleet: {advertise_host: 'h:1'}").find("fleet.advertise_host"),
            std::string::npos);
}

TEST(Config, DerivedConnectionCapKeepsHeadroomBelowTheFileLimit) {
  LimitsConfig l;
  EXPECT_EQ(l.effective_max_connections(20000), 19900u);
  l.max_connections = 500;
  EXPECT_EQ(l.effective_max_connections(20000), 500u);
  l.max_connections = 50000;
  EXPECT_EQ(l.effective_max_connections(20000), 19900u) << "never above what the fds allow";
}

// Captures what the default logger writes, in one format, for one test.
class CapturedLog {
 public:
  explicit CapturedLog(std::string_view format) : saved_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_formatter(make_log_formatter(format));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(saved_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> saved_;
};

TEST(LogFormat, TextConnectionLinesStartWithTheConnectionId) {
  CapturedLog log("text");
  log_conn(spdlog::level::warn, 0x1000000000001, "from {}: protocol error {}", "127.0.0.1",
           "bad_magic");
  spdlog::info("not about a connection");
  const std::string text = log.text();
  EXPECT_NE(text.find("warning ["), std::string::npos) << text;
  EXPECT_NE(text.find("] conn 0x1000000000001 from 127.0.0.1: protocol error bad_magic\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("] not about a connection\n"), std::string::npos)
      << "the id belongs to its own line only:\n"
      << text;
}

TEST(LogFormat, JsonLinesCarryTheConnectionIdAsAField) {
  CapturedLog log("json");
  log_conn(spdlog::level::info, 0x2a, "open from {}", "127.0.0.1");
  spdlog::info("plain");
  log_conn(spdlog::level::debug, 0x2b, "below the level: {}", "not written");
  const std::string text = log.text();
  const std::size_t newline = text.find('\n');
  ASSERT_NE(newline, std::string::npos) << text;
  const std::string first = text.substr(0, newline);
  const std::string second = text.substr(newline + 1);
  EXPECT_TRUE(first.starts_with("{\"ts\":\"")) << first;
  EXPECT_NE(first.find("Z\",\"level\":\"info\",\"thread\":"), std::string::npos) << first;
  EXPECT_NE(first.find(",\"conn\":\"0x2a\",\"msg\":\"open from 127.0.0.1\"}"), std::string::npos)
      << first;
  EXPECT_EQ(second.find("\"conn\""), std::string::npos) << second;
  EXPECT_NE(second.find("\"msg\":\"plain\"}\n"), std::string::npos) << second;
  EXPECT_EQ(text.find("not written"), std::string::npos) << "a disabled level writes nothing";
}

TEST(LogFormat, JsonStringsEscapeQuotesControlsAndBadUtf8) {
  const auto json = [](std::string_view in) {
    spdlog::memory_buf_t out;
    append_json_string(out, in);
    return fmt::to_string(out);
  };
  EXPECT_EQ(json("plain"), "\"plain\"");
  EXPECT_EQ(json("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
  EXPECT_EQ(json(std::string_view("\x00\x1f\x7f", 3)), "\"\\u0000\\u001f\\u007f\"");
  EXPECT_EQ(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xae"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xae\"")
      << "valid UTF-8 passes through";
  EXPECT_EQ(json("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(json("\xc3"), "\"\\ufffd\"") << "truncated sequence";
  EXPECT_EQ(json("\xc0\xaf"), "\"\\ufffd\\ufffd\"") << "overlong form";
  EXPECT_EQ(json("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"") << "UTF-16 surrogate";
}

TEST(LogRateLimiter, AllowsABurstThenRefusesAndReportsWhatWasDropped) {
  LogRateLimiter limiter(3);
  const auto t0 = LogRateLimiter::Clock::time_point{} + std::chrono::hours(1);
  uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow(t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.allow(t0, suppressed));
  EXPECT_TRUE(limiter.allow(t0 + std::chrono::seconds(1), suppressed));
  EXPECT_EQ(suppressed, 5u) << "the next allowed line reports the dropped ones";
}

TEST(LogRateLimiter, ZeroRateLogsNothing) {
  LogRateLimiter limiter(0);
  uint64_t suppressed = 0;
  EXPECT_FALSE(limiter.allow(LogRateLimiter::Clock::now(), suppressed));
}

// The error apply_config_variables throws ("" if none).
std::string variable_error_of(const std::vector<ConfigVariable>& variables) {
  Config c;
  return config_error_of([&] { apply_config_variables(variables, c); });
}

TEST(ConfigVariables, EveryKeyHasItsOwnVariableAndReadsBackItsValueFromIt) {
  const auto& table = config_keys();
  std::set<std::string> names;
  Config defaults;
  for (const auto& k : table.keys()) {
    const std::string name = config_variable_name(k.path);
    EXPECT_TRUE(names.insert(name).second) << "two keys share " << name;
    // The value as an operator would write it: a scalar as is (a string
    // unquoted), a list or a tree as YAML.
    std::string value;
    if (k.tree_text) {
      value = k.tree_text(defaults);
    } else if (const ValueRef ref = k.at(defaults); std::holds_alternative<std::string*>(ref)) {
      value = *std::get<std::string*>(ref);
    } else {
      value = config_table::show_value(ref);
    }
    Config c;
    ASSERT_NO_THROW(apply_config_variables({{name, value}}, c)) << name << "=" << value;
    if (k.tree_text) {
      EXPECT_EQ(k.tree_text(c), k.tree_text(defaults)) << name;
    } else {
      EXPECT_TRUE(config_table::same_value(k.at(c), k.at(defaults))) << name << "=" << value;
    }
  }
  EXPECT_EQ(config_variable_name("chat.messages_per_second"), "CITADEL_CHAT__MESSAGES_PER_SECOND");
  EXPECT_EQ(config_variable_name("rooms.arena.tick_hz"), "CITADEL_ROOMS__ARENA__TICK_HZ");
}

TEST(ConfigVariables, OnlyVariablesShapedLikeKeysAreTaken) {
  const char* environment[] = {"PATH=/usr/bin",
                               "CITADEL_SKIP_TSAN=1",  // a script's switch: no "__"
                               "CITADEL_SERVER__PORT=7001",
                               "CITADEL_AUTH__TOKEN_SECRET_FILE=a=b",
                               "CITADEL_NO_VALUE__X",
                               nullptr};
  const auto variables = config_variables(environment);
  ASSERT_EQ(variables.size(), 2u);
  EXPECT_EQ(variables[0].name, "CITADEL_SERVER__PORT");
  EXPECT_EQ(variables[0].value, "7001");
  EXPECT_EQ(variables[1].name, "CITADEL_AUTH__TOKEN_SECRET_FILE");
  EXPECT_EQ(variables[1].value, "a=b");
  EXPECT_TRUE(config_variables(nullptr).empty());
}

TEST(ConfigVariables, ValuesAreCheckedLikeTheFilesAndErrorsNameTheVariable) {
  Config c;
  apply_config_variables({{"CITADEL_SERVER__PORT", "7001"},
                          {"CITADEL_LIMITS__IDLE_TIMEOUT_MS", "4321"},
                          {"CITADEL_AUTH__TOKEN_SECRET_FILE", "my: file #1"},
                          {"CITADEL_LOG__LEVEL", "warn"}},
                         c);
  EXPECT_EQ(c.server.port, 7001);
  EXPECT_EQ(c.limits.idle_timeout_ms, 4321u);
  // A string is taken as given, never read as YAML (no mapping, no comment).
  EXPECT_EQ(c.auth.token_secret_file, "my: file #1");
  EXPECT_EQ(c.log.level, "warn");

  const std::string range = variable_error_of({{"CITADEL_SERVER__PORT", "70000"}});
  EXPECT_NE(range.find("CITADEL_SERVER__PORT (server.port)"), std::string::npos) << range;
  const std::string type = variable_error_of({{"CITADEL_SERVER__PORT", "-1"}});
  EXPECT_NE(type.find("CITADEL_SERVER__PORT (server.port)"), std::string::npos) << type;
  const std::string unknown = variable_error_of({{"CITADEL_SERVER__PROT", "1"}});
  EXPECT_NE(unknown.find("CITADEL_SERVER__PROT: no config key server.prot"), std::string::npos)
      << unknown;
  const std::string section = variable_error_of({{"CITADEL_SERVER__", "1"}});
  EXPECT_NE(section.find("CITADEL_SERVER__: no config key server."), std::string::npos) << section;
}

}  // namespace
}  // namespace citadel::ops
