// The effective configuration: one struct per subsystem, every field with its
// unit in its name and its default here. Loaded from YAML, then overridden by
// command-line flags; unknown keys and out-of-range values stop start-up with
// a ConfigError naming the key.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "ops/config_table.h"

namespace citadel::net::websocket {
struct HandshakeConfig;
}

namespace citadel::ops {

struct ServerConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 7777;  // 0 picks a free port (logged, and written to --port-file)
  uint32_t threads = 0;  // I/O loops; 0 = one per core
  // Output flushed in one loop turn to many connections goes out in one
  // io_uring submission instead of one sendmsg each (falls back by itself
  // where the kernel refuses io_uring).
  bool batched_sends = true;
  // Wake-up coalescing: a busy loop wakes at most once per this many
  // microseconds and reads everything that arrived meanwhile in one turn
  // (net::ConnectionOptions::wake_coalesce). 0: off.
  uint32_t wake_coalesce_us = 0;
};

struct LimitsConfig {
  uint32_t max_connections = 0;            // 0 = open-file limit minus kFdHeadroom
  uint32_t max_connections_per_ip = 1000;  // 0 = no cap
  uint32_t max_payload_bytes = 64 * 1024;
  uint64_t output_queue_bytes = 1024 * 1024;  // per connection; past it = slow consumer
  uint32_t idle_timeout_ms = 30'000;          // 0 disables
  uint32_t login_timeout_ms = 15'000;         // close connections not logged in by then; 0 disables

  // File descriptors kept back from the derived connection cap for listeners,
  // the epoll/eventfd/timer descriptors, log files and storage.
  static constexpr uint32_t kFdHeadroom = 100;
  // max_connections as it applies, given the process's open-file limit.
  uint32_t effective_max_connections(uint64_t open_file_limit) const;
};

// WebSocket on the game port (RFC 6455): a connection that opens with an
// HTTP upgrade ("GET ...") speaks WebSocket, one Citadel frame per binary
// message; one that opens with a frame ("CT") speaks raw frames.
struct WebSocketConfig {
  bool enabled = true;
  std::string path = "/";                    // ws://host:port/<path>
  std::vector<std::string> allowed_origins;  // scheme://host[:port]; empty = any origin
  uint32_t handshake_timeout_ms = 5'000;     // the upgrade must complete by then
  uint32_t max_handshake_bytes = 8 * 1024;   // the upgrade request's size; past it: 431
  // Pings a client may send per second (each costs a pong); more closes the
  // connection with 1008. Keep-alive needs one every few seconds at most.
  uint32_t max_pings_per_second = 10;
  // A port of its own that speaks only WebSocket (and wss with TLS on), on
  // top of server.port; 0: none.
  uint16_t port = 0;
};

// Static files on the game port (the browser demo): a plain HTTP GET or HEAD
// under `path` gets a file from `root`, read into memory at start (and on
// SIGHUP), so a page and its WebSocket share one origin. Served through the
// WebSocket handshake reader, so it needs websocket.enabled.
struct WebConfig {
  bool enabled = true;
  std::string path = "/demo/";  // URL prefix; starts and ends with '/'
  // The directory served; "" = the demo bundle built next to the binary
  // (<directory of the binary>/../web/demo, i.e. build/web/demo), where a
  // missing bundle serves nothing (404) rather than stopping start-up.
  std::string root;
};

// TLS on the game port (off by default: it needs a certificate). A
// connection whose first byte is a TLS handshake record speaks TLS, and
// inside it raw frames or WebSocket (wss://), on the same port.
struct TlsConfig {
  bool enabled = false;
  std::string certificate_file;     // PEM, the leaf first, then the chain
  std::string private_key_file;     // PEM; both reloaded on SIGHUP
  std::string min_version = "1.2";  // "1.2" or "1.3"
  uint32_t handshake_timeout_ms = 5'000;
  // TLS handshakes in progress at once, across the I/O threads (each gets
  // its share): a flood of ClientHellos cannot take the game's CPU.
  uint32_t max_concurrent_handshakes = 512;
  // A port of its own that speaks only TLS (raw frames or WebSocket
  // inside), on top of server.port; 0: none.
  uint16_t port = 0;
};

// Crash reports (ops/crash_report.h): written on a fatal signal, counted at
// the next start.
struct CrashConfig {
  bool enabled = true;
  std::string directory = "crashes";  // relative to the working directory
};

// Crash recovery: sessions and room snapshots in a node-local file, so a
// restarted node takes its players back (docs/operations.md).
struct RecoveryConfig {
  bool enabled = true;
  // Empty: citadel-recovery.db beside store.path (SQLite), else in the
  // working directory. Relative paths are from the working directory.
  std::string path;
  uint32_t snapshot_every_ticks = 20;  // 0: rooms are not saved
  uint32_t session_flush_ms = 100;     // session changes are written this often
};

struct ReloadConfig {
  bool watch_file = false;  // reload when the config file changes (inotify)
};

struct ShutdownConfig {
  uint32_t drain_timeout_ms = 5'000;
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text (human) or json (one JSON object per line)
  std::string file;             // empty = console only
  uint64_t file_max_bytes = 10 * 1024 * 1024;
  uint32_t file_max_files = 3;
  uint32_t protocol_errors_per_second = 20;  // rate limit for protocol-error log lines
};

// The admin HTTP server (health, metrics, CPU profiles): its own port and
// thread, so a slow HTTP client never takes time from the game loops.
struct AdminConfig {
  uint16_t port = 9100;                  // 0 disables the admin server
  std::string host = "127.0.0.1";        // keep it off public interfaces unless a token is set
  std::string token;                     // bearer token required on every request; empty = none
  uint32_t max_header_bytes = 8 * 1024;  // request line + headers; past it: 431, close
  uint32_t max_body_bytes = 4 * 1024;    // no endpoint takes a body; past it: 413, close
  uint32_t read_timeout_ms = 5'000;      // to receive one whole request (slowloris guard)
  uint32_t write_timeout_ms = 10'000;    // to send one whole response
  uint32_t max_connections = 32;         // open admin connections; more are closed at once
  uint32_t max_requests_per_connection = 100;  // keep-alive cap
  uint32_t profile_max_seconds = 60;           // bound on /debug/profile?seconds=N
};

// The PostgreSQL store (store.backend: postgres). Defaults match
// store::PostgresConfig.
struct PostgresStoreConfig {
  std::string url;                     // libpq connection URI: postgresql://user@host:5432/database
  uint32_t max_batch = 1000;           // requests per transaction (one pipeline)
  uint32_t queue_capacity = 65536;     // accepted, not yet completed; then kOverloaded
  uint32_t batch_timeout_ms = 10'000;  // a batch with no answer by then fails
  uint32_t reconnect_interval_ms = 1'000;  // between attempts while the database is away
};

// Write-behind for storage objects (store.write_behind.*; postgres only).
// Defaults match store::WriteBehindConfig.
struct WriteBehindStoreConfig {
  bool enabled = false;
  std::string path = "citadel-writebehind.db";  // the local copy and outbox (SQLite)
  uint32_t flush_interval_ms = 50;              // longest wait of a pending write
  uint32_t max_batch = 500;                     // outbox entries per PostgreSQL transaction
  uint32_t writers = 2;                         // PostgreSQL writer connections (shards)
  uint32_t max_pending = 100'000;               // outbox bound; past it writes are refused
};

// Accounts and chat history: the embedded SQLite file (WAL beside it), or a
// PostgreSQL database several nodes share.
struct StoreConfig {
  std::string backend = "sqlite";       // sqlite | postgres
  std::string path = "citadel.db";      // sqlite: relative paths are from the working directory
  PostgresStoreConfig postgres;         // postgres
  WriteBehindStoreConfig write_behind;  // postgres: storage objects written behind
};

// Redis (redis.url): when set, leaderboards live there instead of in
// process (docs/leaderboards.md, "Redis").
struct RedisConfig {
  std::string url;  // redis://host:port[/db]; empty: no Redis
};

// The fleet (issue 18, docs/fleet.md): with `etcd` set, this node registers
// itself in etcd under a lease and watches the other nodes. Empty `etcd`:
// no fleet, the single process needs no external service.
struct FleetConfig {
  std::string etcd;                 // http://host:port of an etcd member; empty: no fleet
  std::string cluster = "citadel";  // key namespace: /<cluster>/nodes/<node_id>
  std::string node_id;              // empty: generated at start (host name + random suffix)
  std::string role = "all";         // all, gateway (clients, sessions, chat) or game (rooms)
  uint16_t link_port = 0;           // a game node's port for gateway links; 0: any free port
  uint32_t lease_ttl_ms = 2'000;    // whole seconds (etcd's unit), 1 s to 300 s
  std::string advertise_host;       // empty: server.host, or the host name if that is a wildcard
  // A gateway or game node told to drain (SIGTERM, POST /fleet/drain):
  // how long it waits for its clients to move (a gateway) or its rooms to
  // finish (a game node) before it stops anyway.
  uint32_t drain_timeout_ms = 20'000;
};

// Logins and sessions.
struct AuthConfig {
  std::string token_secret_file = "citadel.secret";  // created (mode 0600) if absent
  uint32_t session_grace_ms = 60'000;  // how long a dropped session waits for a resume
  uint32_t hash_threads = 1;           // argon2id workers (64 MiB each while hashing)
};

// Chat limits (per user unless said otherwise).
struct ChatLimitsConfig {
  uint32_t max_message_bytes = 512;
  uint32_t messages_per_second = 5;  // token bucket refill ...
  uint32_t message_burst = 10;       // ... and size
  uint32_t max_channels_per_user = 16;
  uint32_t history_on_join = 50;        // last messages sent with a join
  uint32_t presence_max_members = 500;  // larger channels send no online/offline events
};

// Player storage objects (the storage service, docs/protocol.md "Storage").
struct StorageLimitsConfig {
  uint32_t max_value_bytes = 16 * 1024;  // one object's JSON value
  uint32_t max_objects_per_batch = 100;  // items in one read, write or delete
};

// One room type's settings (see src/rooms/room_type.h).
struct RoomTypeConfig {
  uint32_t tick_hz = 20;  // 1 to 120
  uint32_t max_players = 16;
  uint32_t empty_ttl_ms = 30'000;  // how long an empty room lives
  uint32_t input_queue = 1024;     // inputs waiting for the next tick; more are dropped
  // Their bytes; each player gets a fair share of both. 0: the smaller of
  // 64 KiB and a quarter of limits.output_queue_bytes (effective_input_queue_bytes).
  uint32_t input_queue_bytes = 0;
  uint32_t match_size = 2;               // matchmaking group size
  uint32_t match_initial_window = 100;   // skill spread accepted at first ...
  uint32_t match_widen_per_second = 50;  // ... widening while waiting ...
  uint32_t match_timeout_ms = 30'000;    // ... until "no match"
};

// A room type's input byte cap with 0 resolved: a tick's inputs become one
// lockstep frame to every player, which must fit an output queue easily.
uint64_t effective_input_queue_bytes(const RoomTypeConfig& type, uint64_t output_queue_bytes);

struct RoomsConfig {
  uint32_t executor_threads = 0;  // 0: rooms run on the I/O loops; N: on N logic threads
  // Width of the slots rooms' ticks share (rooms::RoomsConfig::tick_slot).
  uint32_t tick_slot_us = 2000;
  RoomTypeConfig arena{20, 16};
  // The transfer demo: an arena avatar walking into the east edge moves to
  // another arena room (docs/rooms.md). Off: benchmark bots walk east.
  bool arena_transfer_east = false;
  RoomTypeConfig lockstep{30, 8};
  std::vector<std::string> plugins;  // plugin libraries (.so), each one room type
  uint32_t plugin_rollback_window_ms = 60'000;
  uint32_t plugin_rollback_faults = 3;
  std::string plugin_scratch_dir;  // empty: $TMPDIR/citadel-plugins
};

// One leaderboard made at start (docs/leaderboards.md). The id, limits and
// schedule are checked again by the engine when the server starts.
struct LeaderboardBoardConfig {
  std::string id;                      // 1 to 128 of printable ASCII without spaces
  std::string sort = "desc";           // desc | asc
  std::string op = "best";             // best | set | incr | decr
  std::string reset;                   // cron (5 fields, UTC, or @daily ...); empty: never
  uint32_t max_metadata_bytes = 2048;  // 0 to 16384
  uint32_t max_records = 10'000'000;   // per period
};

// One board from a JSON object with the same keys, {"id": "weekly", "sort":
// "desc", ...} (the admin API's POST /leaderboards). Throws ConfigError
// naming the key and the problem.
LeaderboardBoardConfig parse_leaderboard_board(const std::string& text);
// leaderboards.boards: a list of board mappings, read and written as YAML.
std::vector<LeaderboardBoardConfig> read_leaderboard_boards(const YAML::Node& node,
                                                            const std::string& key);
std::string leaderboard_boards_yaml(const std::vector<LeaderboardBoardConfig>& boards);

struct LeaderboardsConfig {
  uint32_t submits_per_second = 10;  // per player, token bucket refill ...
  uint32_t submit_burst = 20;        // ... and size
  std::vector<LeaderboardBoardConfig> boards;
};

struct Config {
  ServerConfig server;
  LimitsConfig limits;
  WebSocketConfig websocket;
  WebConfig web;
  TlsConfig tls;
  ShutdownConfig shutdown;
  CrashConfig crash;
  RecoveryConfig recovery;
  ReloadConfig reload;
  LogConfig log;
  AdminConfig admin;
  StoreConfig store;
  RedisConfig redis;
  FleetConfig fleet;
  AuthConfig auth;
  ChatLimitsConfig chat;
  StorageLimitsConfig storage;
  RoomsConfig rooms;
  LeaderboardsConfig leaderboards;

  // Threads to run: `server.threads`, or the core count when it is 0.
  uint32_t effective_threads() const;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The WebSocket handshake's settings, from the websocket section.
net::websocket::HandshakeConfig websocket_handshake_config(const Config& config);

// Every key: its path, range, whether a reload applies it (config_keys.cc).
const ConfigTable<Config>& config_keys();

// Parses YAML text. Throws ConfigError("<key.path>: <problem>").
Config parse_config(const std::string& yaml_text);
// Reads and parses a file. Throws ConfigError naming the file or the key.
Config load_config_file(const std::string& path);
// Checks cross-field rules after flags are applied. Throws ConfigError.
void validate(const Config& config);
// The effective configuration as YAML (what --print-config shows).
std::string to_yaml(const Config& config);

}  // namespace citadel::ops
