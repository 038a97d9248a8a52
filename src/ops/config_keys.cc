// Citadel's config keys: one row per key, in the order --print-config and
// the docs show them. See config_table.h for what a row drives.
#include "ops/config.h"

namespace citadel::ops {
namespace {

constexpr Applies kLive = Applies::kLive;
constexpr Applies kAtStart = Applies::kAtStart;

using Key = ConfigKey<Config>;

// A key of a built-in room type (rooms.<type>.<name>).
template <class T>
Key room_key(const std::string& type, RoomTypeConfig RoomsConfig::*which, const char* name,
             T RoomTypeConfig::*field, uint64_t min, uint64_t max, Applies applies,
             std::string help) {
  return Key{"rooms." + type + "." + name,
             [which, field](Config& c) -> ValueRef { return &(c.rooms.*which.*field); },
             min,
             max,
             applies,
             std::move(help),
             false,
             {},
             {}};
}

std::vector<Key> room_type_keys(const std::string& type, RoomTypeConfig RoomsConfig::*which) {
  return {
      room_key(type, which, "tick_hz", &RoomTypeConfig::tick_hz, 1ull, 120ull, kAtStart,
               "ticks per second (1 .. 120)"),
      room_key(type, which, "max_players", &RoomTypeConfig::max_players, 1ull, 100000ull, kLive,
               "seats per room; a reload applies to rooms opened after it (rooms already open keep "
               "theirs)"),
      room_key(type, which, "empty_ttl_ms", &RoomTypeConfig::empty_ttl_ms, 0ull, 86400000ull, kLive,
               "an empty room lives this long, then ends"),
      room_key(type, which, "input_queue", &RoomTypeConfig::input_queue, 1ull, 1000000ull, kAtStart,
               "inputs waiting for a tick, per room; more are dropped "
               "(`citadel_room_inputs_dropped_total`)"),
      room_key(type, which, "input_queue_bytes", &RoomTypeConfig::input_queue_bytes, 0ull,
               67108864ull, kAtStart,
               "their payload bytes (each padded to 8), per room; more are dropped "
               "(`citadel_room_input_bytes_dropped_total`). Each player may use a fair share of "
               "both caps: the cap divided by the players in the room. 0: the smaller of 64 KiB "
               "and a quarter of `limits.output_queue_bytes`; at most that quarter (a tick's "
               "inputs become one lockstep frame to every player)"),
      room_key(type, which, "match_size", &RoomTypeConfig::match_size, 1ull, 100000ull, kAtStart,
               "matchmaking group size (at most `max_players`)"),
      room_key(type, which, "match_initial_window", &RoomTypeConfig::match_initial_window, 0ull,
               1000000000ull, kAtStart, "skill spread a ticket accepts at first ..."),
      room_key(type, which, "match_widen_per_second", &RoomTypeConfig::match_widen_per_second, 0ull,
               1000000000ull, kAtStart, "... widening by this much per second of waiting ..."),
      room_key(type, which, "match_timeout_ms", &RoomTypeConfig::match_timeout_ms, 1ull,
               86400000ull, kAtStart, "... until it is answered NoMatch"),
  };
}

// Keys of the Config member `section`'s field `field`.
#define CITADEL_KEY(section, field, min, max, applies, help)                                  \
  Key {                                                                                       \
#section "." #field, [](Config & c) -> ValueRef { return &c.section.field; }, min, max,   \
                                                                               applies, help, \
                                                                               false, {}, {}  \
  }

std::vector<Key> all_keys() {
  std::vector<Key> keys = {
      CITADEL_KEY(server, host, 0ull, 0ull, kAtStart, "listen address"),
      CITADEL_KEY(server, port, 0ull, 65535ull, kAtStart, "listen port (0 = any free port)"),
      CITADEL_KEY(server, threads, 0ull, 256ull, kAtStart,
                  "event loops (0 = one per core, max 256)"),
      CITADEL_KEY(server, batched_sends, 0ull, 0ull, kAtStart,
                  "output flushed to many connections in one loop turn goes out in one io_uring "
                  "submission instead of one `sendmsg` each; off, or where the kernel refuses "
                  "io_uring (logged at start), one `sendmsg` per connection"),
      CITADEL_KEY(server, wake_coalesce_us, 0ull, 10000ull, kAtStart,
                  "wake-up coalescing (0 to 10000 us; 0: off): an event loop whose last turn "
                  "began less than this long ago sleeps out the rest before waiting for I/O, so "
                  "under steady load it wakes at most once per interval and reads everything "
                  "that arrived meanwhile in one turn. Saves a context switch per wake-up. An "
                  "arena server should set it to `rooms.tick_slot_us` (2000): the loop then "
                  "wakes once per tick slot, reads every input that came in since and ticks "
                  "the slot's rooms in the same turn (docs/benchmarks.md). Costs up to this "
                  "much latency per message while busy, so leave it off for request/response "
                  "traffic. Timers (room ticks) are not delayed"),
      CITADEL_KEY(limits, max_connections, 0ull, 10000000ull, kAtStart,
                  "global cap; 0 = open-file limit − 100 (19,900 on a 20,000 limit)"),
      CITADEL_KEY(limits, max_connections_per_ip, 0ull, 10000000ull, kAtStart,
                  "cap per client address; 0 = none. Loopback load tests should set 0"),
      CITADEL_KEY(limits, max_payload_bytes, 1ull, 16777216ull, kAtStart,
                  "largest payload accepted (1 B .. 16 MiB)"),
      CITADEL_KEY(limits, output_queue_bytes, 1024ull, 4294967296ull, kAtStart,
                  "queued output per connection before it is dropped as a slow consumer; must "
                  "exceed `max_payload_bytes`"),
      CITADEL_KEY(limits, idle_timeout_ms, 0ull, 86400000ull, kLive,
                  "close connections silent this long; 0 disables"),
      CITADEL_KEY(limits, login_timeout_ms, 0ull, 86400000ull, kLive,
                  "close connections that have not logged in by then (ERROR 10); 0 disables. Load "
                  "tests that never log in set 0"),
      CITADEL_KEY(websocket, enabled, 0ull, 0ull, kAtStart,
                  "WebSocket on `server.port`: a connection whose first bytes are an HTTP upgrade "
                  "(`GET ...`) speaks WebSocket (one Citadel frame per binary message); one that "
                  "starts with a frame (`CT`) speaks raw frames"),
      CITADEL_KEY(websocket, path, 0ull, 0ull, kAtStart,
                  "the upgrade's path (`ws://host:port/`); another path gets 404"),
      CITADEL_KEY(websocket, allowed_origins, 0ull, 0ull, kAtStart,
                  "`scheme://host[:port]` entries a browser's Origin must match (else 403); empty: "
                  "any Origin, or none (non-browser clients)"),
      CITADEL_KEY(websocket, handshake_timeout_ms, 1ull, 600000ull, kLive,
                  "an upgrade request not complete by then is cut (FIN, no response)"),
      CITADEL_KEY(websocket, max_handshake_bytes, 1024ull, 1048576ull, kAtStart,
                  "the upgrade request's size (request line and headers); larger gets 431"),
      CITADEL_KEY(websocket, max_pings_per_second, 1ull, 1000000ull, kLive,
                  "WebSocket pings a connection may send per second (1 to 1000000); the next one "
                  "in the same second closes it with 1008 `too many pings`"),
      CITADEL_KEY(websocket, port, 0ull, 65535ull, kAtStart,
                  "a port of its own for WebSocket only (`ws://`, and `wss://` with TLS on), "
                  "besides `server.port`; everything on it is read as HTTP; 0: none"),
      CITADEL_KEY(
          web, enabled, 0ull, 0ull, kAtStart,
          "static files on the game port (the browser demo, [`browser-demo.md`](browser-demo.md)): "
          "a plain HTTP `GET`/`HEAD` under `web.path` gets a file from `web.root`; the page and "
          "its WebSocket then share one origin (and, over TLS, one certificate). Read by the "
          "WebSocket handshake reader, so it needs `websocket.enabled` (else a warning at start "
          "and nothing is served)"),
      CITADEL_KEY(
          web, path, 0ull, 0ull, kAtStart,
          "the URL prefix; starts and ends with `/`, plain segments. `GET /demo` redirects (301) "
          "to `/demo/`, which serves `index.html`. The WebSocket path wins if it lies under it"),
      CITADEL_KEY(
          web, root, 0ull, 0ull, kAtStart,
          "the directory served, read whole into memory at start and again on SIGHUP (never from "
          "disk on a game loop). `\"\"`: the demo bundle the build puts beside the binary "
          "(`<binary's directory>/../web/demo`, i.e. `build/web/demo`); when that is missing the "
          "server starts anyway, logs a warning and answers 404 under `web.path`. A directory "
          "named here must load, or start-up stops. Files whose names start with `.` and symbolic "
          "links are skipped; at most 1000 files, 8 MiB each, 64 MiB in all"),
      CITADEL_KEY(tls, enabled, 0ull, 0ull, kAtStart,
                  "TLS on `server.port`: a connection whose first byte is a TLS handshake record "
                  "speaks TLS, and inside it raw frames or WebSocket (`wss://`)"),
      CITADEL_KEY(
          tls, certificate_file, 0ull, 0ull, kAtStart,
          "PEM certificate chain (the leaf first); required when enabled; reloaded on SIGHUP"),
      CITADEL_KEY(tls, private_key_file, 0ull, 0ull, kAtStart,
                  "PEM private key matching it; reloaded on SIGHUP"),
      CITADEL_KEY(tls, min_version, 0ull, 0ull, kAtStart,
                  "oldest TLS version accepted: `\"1.2\"` or `\"1.3\"`"),
      CITADEL_KEY(tls, handshake_timeout_ms, 1ull, 600000ull, kLive,
                  "a TLS handshake not complete by then is cut (no alert)"),
      CITADEL_KEY(tls, max_concurrent_handshakes, 1ull, 1000000ull, kAtStart,
                  "TLS handshakes in progress at once, shared out evenly between the I/O threads; "
                  "a ClientHello past a thread's share is closed at once"),
      CITADEL_KEY(tls, port, 0ull, 65535ull, kAtStart,
                  "a port of its own for TLS only (raw frames or WebSocket inside), besides "
                  "`server.port`; a connection whose first byte is not a TLS record is closed; 0: "
                  "none. Needs `tls.enabled`"),
      CITADEL_KEY(shutdown, drain_timeout_ms, 0ull, 600000ull, kAtStart,
                  "how long draining may take on SIGTERM"),
      CITADEL_KEY(crash, enabled, 0ull, 0ull, kAtStart,
                  "on a fatal signal, write a crash report (signal, thread, room, backtrace) "
                  "before dying"),
      CITADEL_KEY(crash, directory, 0ull, 0ull, kAtStart,
                  "where crash reports go (created at start); reports found there at start are "
                  "logged and counted in `citadel_crash_reports`"),
      CITADEL_KEY(recovery, enabled, 0ull, 0ull, kAtStart,
                  "keep sessions and room snapshots in `recovery.path`, so that after a crash or "
                  "a restart a client that resumes within `auth.session_grace_ms` is back in its "
                  "channels and its room. See [Crash recovery](#crash-recovery)"),
      CITADEL_KEY(recovery, path, 0ull, 0ull, kAtStart,
                  "the recovery file (SQLite, WAL beside it): this node's own, whatever "
                  "`store.backend` holds; empty: `citadel-recovery.db` in the directory of "
                  "`store.path` (with `store.backend: sqlite`), else in the working directory"),
      CITADEL_KEY(recovery, snapshot_every_ticks, 0ull, 1000000ull, kAtStart,
                  "a room saves its state every this many ticks (and at the tick after a player "
                  "joins or leaves); 0: rooms are not saved and do not survive a restart. A "
                  "fleet's game node with `redis.url` saves them to Redis instead (for failover)"),
      CITADEL_KEY(recovery, session_flush_ms, 10ull, 60000ull, kAtStart,
                  "session changes (logins, logouts, channel joins) are written this often; a "
                  "login younger than this may not survive a crash"),
      CITADEL_KEY(reload, watch_file, 0ull, 0ull, kAtStart,
                  "reload the config whenever its file changes (saved in place or renamed over it; "
                  "one reload once the writes settle for 200 ms), besides SIGHUP and POST "
                  "/config/reload"),
      CITADEL_KEY(log, level, 0ull, 0ull, kLive, "trace, debug, info, warn, error, off"),
      CITADEL_KEY(log, format, 0ull, 0ull, kAtStart,
                  "`text` for people, `json` for log pipelines (see [Logs](#logs))"),
      CITADEL_KEY(log, file, 0ull, 0ull, kAtStart, "also log to this file, rotated by size"),
      CITADEL_KEY(log, file_max_bytes, 4096ull, 1099511627776ull, kAtStart, "rotate at this size"),
      CITADEL_KEY(log, file_max_files, 1ull, 1000ull, kAtStart, "rotated files kept"),
      CITADEL_KEY(log, protocol_errors_per_second, 0ull, 1000000ull, kAtStart,
                  "cap (per loop) on log lines caused by misbehaving clients"),
      CITADEL_KEY(admin, port, 0ull, 65535ull, kAtStart,
                  "admin HTTP port; 0 disables the admin server. Must differ from `server.port`"),
      CITADEL_KEY(
          admin, host, 0ull, 0ull, kAtStart,
          "admin listen address, an IP literal. Anything but loopback should come with a token"),
      CITADEL_KEY(admin, token, 0ull, 0ull, kAtStart,
                  "if set, every admin request needs `Authorization: Bearer <token>` (RFC 6750 "
                  "characters)"),
      CITADEL_KEY(admin, max_header_bytes, 512ull, 1048576ull, kAtStart,
                  "request line + headers (512 B .. 1 MiB); more gets 431 and a close"),
      CITADEL_KEY(admin, max_body_bytes, 0ull, 1048576ull, kAtStart,
                  "request body (0 .. 1 MiB); no endpoint takes one; more gets 413 and a close"),
      CITADEL_KEY(
          admin, read_timeout_ms, 100ull, 600000ull, kAtStart,
          "time to send one whole request (100 ms .. 10 min); slower clients are disconnected"),
      CITADEL_KEY(admin, write_timeout_ms, 100ull, 600000ull, kAtStart,
                  "time to take one whole response"),
      CITADEL_KEY(admin, max_connections, 1ull, 10000ull, kAtStart,
                  "admin connections open at once (1 .. 10,000); more are closed on accept"),
      CITADEL_KEY(admin, max_requests_per_connection, 1ull, 1000000ull, kAtStart,
                  "keep-alive cap; the last response carries `Connection: close`"),
      CITADEL_KEY(admin, profile_max_seconds, 1ull, 3600ull, kAtStart,
                  "longest CPU profile `/debug/profile?seconds=N` may ask for (1 .. 3600)"),
      CITADEL_KEY(store, backend, 0ull, 0ull, kAtStart,
                  "where accounts and chat history live: `sqlite` (embedded, one node, needs no "
                  "service) or `postgres` (a PostgreSQL server several nodes share); see [Store "
                  "backends](#store-backends-sqlite-or-postgresql)"),
      CITADEL_KEY(store, path, 0ull, 0ull, kAtStart,
                  "`sqlite`: the file for accounts and chat history (`-wal`/`-shm` files beside "
                  "it); relative to the working directory"),
      CITADEL_KEY(store, postgres.url, 0ull, 0ull, kAtStart,
                  "`postgres`: a libpq connection URI, `postgresql://user@host:5432/database` "
                  "(query parameters such as `sslmode=require` pass through to libpq); required "
                  "when `store.backend` is `postgres`. The password may stay out of the file: "
                  "libpq reads `PGPASSWORD` and `~/.pgpass`"),
      CITADEL_KEY(store, postgres.max_batch, 1ull, 100000ull, kAtStart,
                  "requests per transaction (sent as one pipeline, one round trip)"),
      CITADEL_KEY(
          store, postgres.queue_capacity, 1ull, 10000000ull, kAtStart,
          "requests accepted and not yet completed; past it calls are refused at once "
          "(`citadel_store_overloaded_total`): during an outage nothing piles up past this"),
      CITADEL_KEY(store, postgres.batch_timeout_ms, 100ull, 600000ull, kAtStart,
                  "a batch that takes longer fails with a storage error: the server stops its "
                  "statement (`statement_timeout`), and a server or network that does not answer a "
                  "second later costs the connection (dropped and opened anew)"),
      CITADEL_KEY(store, postgres.reconnect_interval_ms, 10ull, 600000ull, kAtStart,
                  "while the database cannot be reached, one connection attempt per interval; "
                  "requests in between fail at once"),
      CITADEL_KEY(store, write_behind.enabled, 0ull, 0ull, kAtStart,
                  "`postgres` only: storage object writes are acknowledged once committed to a "
                  "local file and flushed to PostgreSQL in batches (see [Write-behind]"
                  "(#write-behind-storage-objects)); off: every write is a PostgreSQL transaction"),
      CITADEL_KEY(store, write_behind.path, 0ull, 0ull, kAtStart,
                  "the local copy and outbox (SQLite); keep it across restarts: what it holds "
                  "unflushed is replayed on start"),
      CITADEL_KEY(
          store, write_behind.flush_interval_ms, 1ull, 60000ull, kAtStart,
          "longest a pending write waits before its writer flushes (sooner at `max_batch`)"),
      CITADEL_KEY(store, write_behind.max_batch, 1ull, 100000ull, kAtStart,
                  "outbox entries per PostgreSQL transaction (one statement)"),
      CITADEL_KEY(store, write_behind.writers, 1ull, 64ull, kAtStart,
                  "PostgreSQL writer connections; objects are sharded over them by owner id"),
      CITADEL_KEY(store, write_behind.max_pending, 1ull, 10000000ull, kAtStart,
                  "acknowledged writes not yet in PostgreSQL, at most; past it writes are refused "
                  "(`StoreUnavailable`, `citadel_store_write_behind_refusals_total`)"),
      CITADEL_KEY(redis, url, 0ull, 0ull, kAtStart,
                  "`redis://[[user]:password@]host[:port][/db]`: leaderboards live in this Redis "
                  "(sorted sets and Lua scripts; Redis is their durable home) instead of in "
                  "process; empty: no Redis. With a password, `AUTH` (as the ACL user when one is "
                  "given; both percent-decoded) on every connection; the URL is shown as `(set)`. "
                  "`rediss://` (TLS) is refused: see [Redis over TLS](#redis-over-tls). See "
                  "[Leaderboards in Redis](leaderboards.md#redis). With `fleet.etcd` too, chat "
                  "crosses the nodes through this Redis ([fleet.md](fleet.md#chat-across-the-"
                  "fleet))"),
      CITADEL_KEY(fleet, etcd, 0ull, 0ull, kAtStart,
                  "`http://host[:port]` of an etcd member (v3 JSON API, etcd 3.4+): the node "
                  "registers in this fleet under a lease and watches the other nodes; empty: no "
                  "fleet (the default; one process needs no external service). Unreachable at "
                  "start: the node serves, reports not ready on `/health` and keeps trying. See "
                  "[the fleet](fleet.md#membership)"),
      CITADEL_KEY(fleet, cluster, 0ull, 0ull, kAtStart,
                  "the fleet's name, the etcd key prefix (`/<cluster>/nodes/<node_id>`): nodes "
                  "of one fleet share it; letters, digits and `._-`"),
      CITADEL_KEY(fleet, node_id, 0ull, 0ull, kAtStart,
                  "this node's id in the fleet (1 to 63 of letters, digits and `._-`); a second "
                  "live node with the same id is refused at start. Empty: the host name plus a "
                  "random suffix, new on every start"),
      CITADEL_KEY(fleet, role, 0ull, 0ull, kAtStart,
                  "`all` (gateway and game in one process, the default), `gateway` (clients, "
                  "sessions, chat; room commands forwarded to game nodes) or `game` (rooms; "
                  "takes gateways' links on `fleet.link_port`); gateway and game need "
                  "`fleet.etcd`. See [gateways and game nodes](fleet.md#gateways-and-game-nodes)"),
      CITADEL_KEY(fleet, link_port, 0ull, 65535ull, kAtStart,
                  "a game node's port for gateway links (on `server.host`; advertised in its "
                  "fleet record, so 0 picks any free port); unused by other roles"),
      CITADEL_KEY(fleet, lease_ttl_ms, 1'000ull, 300'000ull, kAtStart,
                  "the node's etcd lease TTL, a multiple of 1000 (etcd counts whole seconds): "
                  "renewed every third of it; a node killed without a clean exit leaves the "
                  "fleet this long after its last renewal, one cut off from etcd stops being a "
                  "member no later than that"),
      CITADEL_KEY(fleet, advertise_host, 0ull, 0ull, kAtStart,
                  "the address other nodes and clients use to reach this node's ports, written "
                  "in its fleet record; empty: `server.host`, or the host name when that is a "
                  "wildcard (`0.0.0.0`, `::`)"),
      CITADEL_KEY(fleet, drain_timeout_ms, 0ull, 3'600'000ull, kAtStart,
                  "a gateway or game node told to drain (SIGTERM, `POST /fleet/drain`) waits "
                  "at most this long for its clients to reconnect elsewhere (a gateway) or its "
                  "rooms to finish (a game node), then stops as on SIGTERM "
                  "(`shutdown.drain_timeout_ms`); 0: no wait"),
      CITADEL_KEY(auth, token_secret_file, 0ull, 0ull, kAtStart,
                  "32-byte HMAC key for session tokens; created with mode 0600 on first start. "
                  "Keep it across restarts, or tokens issued before become invalid. In a fleet "
                  "(`fleet.etcd`), every node must hold the same bytes: tokens resume on any "
                  "node"),
      CITADEL_KEY(auth, session_grace_ms, 0ull, 86400000ull, kAtStart,
                  "how long a dropped session waits for a Resume"),
      CITADEL_KEY(auth, hash_threads, 1ull, 64ull, kAtStart,
                  "argon2id workers; each hash takes ~0.1 s of a core and 64 MiB"),
      CITADEL_KEY(chat, max_message_bytes, 1ull, 60000ull, kLive,
                  "longest chat message (UTF-8 bytes)"),
      CITADEL_KEY(chat, messages_per_second, 1ull, 1000000ull, kLive,
                  "per-user token bucket refill (chat and private messages) ..."),
      CITADEL_KEY(chat, message_burst, 1ull, 1000000ull, kLive, "... and bucket size"),
      CITADEL_KEY(chat, max_channels_per_user, 0ull, 10000ull, kLive,
                  "named channels one user may be in"),
      CITADEL_KEY(chat, history_on_join, 0ull, 1000ull, kLive, "last messages sent with a join"),
      CITADEL_KEY(chat, presence_max_members, 0ull, 10000000ull, kLive,
                  "named channels with more members send no online/offline events"),
      CITADEL_KEY(storage, max_value_bytes, 2ull, 32'768ull, kAtStart,
                  "one storage object's JSON value (at most 32 KiB, so one object always fits a "
                  "reply)"),
      CITADEL_KEY(storage, max_objects_per_batch, 1ull, 1000ull, kAtStart,
                  "items in one storage read, write or delete"),
      CITADEL_KEY(leaderboards, submits_per_second, 1ull, 1'000'000ull, kAtStart,
                  "leaderboard submits per player and second: the token bucket's refill ..."),
      CITADEL_KEY(leaderboards, submit_burst, 1ull, 1'000'000ull, kAtStart,
                  "... and its size (past it: RateLimited)"),
      CITADEL_KEY(rooms, executor_threads, 0ull, 256ull, kAtStart,
                  "0: rooms run on the I/O loops (fastest: no thread hop per input); N: on N logic "
                  "threads"),
      CITADEL_KEY(rooms, tick_slot_us, 100ull, 1'000'000ull, kAtStart,
                  "rooms tick in slots this wide: rooms in one slot tick in the same loop turn "
                  "(one wake-up, one batched write of all their state); the slots spread rooms "
                  "over the tick period. Wider: fewer loop turns, with larger bursts, which at "
                  "thousands of players cost tail latency (docs/benchmarks.md); a slot as wide as "
                  "the period ticks every room at once"),
      CITADEL_KEY(rooms, arena_transfer_east, 0ull, 0ull, kAtStart,
                  "the player transfer demo: an arena avatar that walks into the east edge moves "
                  "to another arena room (in a fleet, on another game node when there is one) "
                  "and enters it at the west edge (docs/rooms.md); off by default, so bots that "
                  "walk east (benchmarks) stay in their room"),
      CITADEL_KEY(rooms, plugins, 0ull, 0ull, kLive,
                  "room types from plugin libraries (paths to .so files built with the room "
                  "SDK, docs/plugins.md); a reload loads each listed file and swaps its type to it "
                  "when its version differs (new rooms run it, open rooms finish on theirs); a new "
                  "type needs a restart"),
      CITADEL_KEY(rooms, plugin_rollback_window_ms, 1'000ull, 86'400'000ull, kAtStart,
                  "after a plugin swap, how long its rooms' faults are watched: more faults per "
                  "room (at least rooms.plugin_rollback_faults) or tick overruns per tick than the "
                  "previous version's roll the swap back"),
      CITADEL_KEY(rooms, plugin_rollback_faults, 1ull, 1'000'000ull, kAtStart,
                  "faults (rooms closed by an exception) a new plugin version needs within the "
                  "window before it can be rolled back automatically"),
      CITADEL_KEY(
          rooms, plugin_scratch_dir, 0ull, 0ull, kAtStart,
          "where plugin libraries are copied before loading (each load a private copy, so a "
          "file replaced in place never touches running code); empty: "
          "$TMPDIR/citadel-plugins"),
  };
  {
    Key boards;
    boards.path = "leaderboards.boards";
    boards.help =
        "boards made at start, each `{id, sort: desc|asc, operator: best|set|incr|decr, reset: "
        "cron or \"\", max_metadata_bytes, max_records}` (docs/leaderboards.md); more can be "
        "made with `POST /leaderboards`";
    boards.read_tree = [](const YAML::Node& node, const std::string& key, Config& c) {
      c.leaderboards.boards = read_leaderboard_boards(node, key);
    };
    boards.tree_text = [](const Config& c) {
      return leaderboard_boards_yaml(c.leaderboards.boards);
    };
    // After the rate keys: --print-config keeps a section's keys together.
    auto at = keys.begin();
    while (at != keys.end() && at->path != "leaderboards.submit_burst") ++at;
    keys.insert(at + 1, std::move(boards));
  }
  for (Key& k : keys) {
    // redis.url may hold a password: /config and logs show "(set)".
    if (k.path == "admin.token" || k.path == "store.postgres.url" || k.path == "redis.url") {
      k.secret = true;
    }
  }
  for (auto&& k : room_type_keys("arena", &RoomsConfig::arena)) keys.push_back(std::move(k));
  for (auto&& k : room_type_keys("lockstep", &RoomsConfig::lockstep)) keys.push_back(std::move(k));
  return keys;
}

#undef CITADEL_KEY

}  // namespace

const ConfigTable<Config>& config_keys() {
  static const ConfigTable<Config> table(all_keys());
  return table;
}

}  // namespace citadel::ops
