// libFuzzer target: the application layer. Client messages of every command
// go through the real Router into live Services (sessions, auth, chat, the
// store, the password hasher, rooms and matchmaking), from several peers at
// once, with time moved by the fuzzer, so handler code, service-loop code and
// room code all run, in the orders a fuzzer can think of.
//
// How it runs (one fresh world per input, nothing kept between inputs):
//   * A real server::Server and services::Services, but the loops are not
//     started: this thread drives them (EventLoop::attach_for_testing, then
//     one turn at a time), and a fake net::LoopClock stands still until an
//     op advances it. Room ticks, matchmaking polls, the session grace, login
//     rate limits, chat token buckets, idle/login/linger deadlines and token
//     expiry therefore run exactly when the input says, never by sleeping.
//   * Peers are real net::Connections on AF_UNIX socketpairs adopted by the
//     loops; the fuzzer holds the other ends. (tests/support/fake_peer.h is
//     not enough here: services answer later through the Outbox and rooms
//     through it too, and it looks connections up in their loop by id, so
//     a peer has to be a connection the loop owns.) Every byte the server
//     writes is read back and checked.
//   * The password hasher (1 worker, libsodium's minimum cost) and the SQLite
//     store (":memory:") keep their own threads. After every op the fuzzer
//     "settles": it runs the loops until idle, waits until the store has no
//     request outstanding and a no-op job has passed through the hasher's
//     FIFO, and repeats until a round finds nothing to do. Each op thus sees
//     the complete effect of the ones before it, and a run is reproducible.
//     (So their queues are sized above what one op can fill: a bounded queue
//     that one thread fills while another drains it fills at a moment that
//     depends on timing. The ServerBusy replies of a full queue are the one
//     path of the services this target does not reach.)
//   * Two leaderboards ("points", best; "laps", incr, ascending, hourly
//     resets), whose cursors the fuzzer reuses, damages and forges.
//   * Besides arena and lockstep, a test-only room type ("chaos", cmd
//     0x0330) whose inputs make its code throw or close on request, so the
//     runtime's fault containment runs too.
//   * CITADEL_APP_FUZZ_TRACE=1 prints every op and every frame received.
//
// Input layout:
//   byte 0      world flags: bit 0 two I/O loops (peers alternate between
//               them; the fuzzer's thread drives both), bit 1 batched sends
//               off, bit 2 small server-side socket buffers (partial writes,
//               EPOLLOUT), bit 3 small output queue cap (slow consumers),
//               bit 4 peers keep their end open after the server's FIN
//               (linger timeouts)
//   then ops until the input ends; each op starts with a byte whose low 4
//   bits pick the op and high 4 bits the peer slot (modulo kPeers):
//     0-5  send one message, built valid from fuzz-chosen fields
//     6    send one message built valid, then 1-4 bytes overwritten
//     7    send one message with a raw payload (usually not a FlatBuffer)
//     8    send a burst: the same valid message 1-256 times in one write
//     9    connect the slot (closing what it held)
//     10   close the slot's end
//     11   half-close the slot's end (shutdown SHUT_WR)
//     12   advance time: step and count from the next byte
//     13   pause / resume reading the slot (output piles up server-side)
//     14   write raw bytes (bad magic, oversized headers, partial frames)
//     15   PING, ECHO, or any cmd (most have no handler) with raw bytes
//   A message op reads a command selector byte, then its fields: strings
//   come from small per-field dictionaries (tokens from the ones the server
//   issued) or raw bytes, numbers from the next bytes.
//   At the end every peer closes and time runs past every grace period.
//
// Invariants checked (abort on violation), besides ASan, UBSan and LSan:
//   * every byte the server sends parses as frames, each at most 64 KiB (the
//     client library's limit), each a server-to-client command whose payload
//     verifies against its schema (ERROR: a known code);
//   * per connection, replies carry request ids that were asked (never more
//     replies for an id than requests with it), and once a peer's output is
//     drained every request has its one answer (a reply or an ERROR);
//     unknown commands get ERROR 3, PINGs PONG, ECHOs ECHO;
//   * nothing follows an ERROR that closes the connection;
//   * push ids a connection sees only rise (within one login);
//   * arena positions are finite and inside the field;
//   * at the end, with every peer gone and time past the grace periods: no
//     connection, no session, no room and no seated player is left.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <flatbuffers/flatbuffers.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "net/event_loop.h"
#include "net/loop_clock.h"
#include "net/unique_fd.h"
#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/frame_reader.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"
#include "protocol/wire.h"
#include "rooms/room_logic.h"
#include "rooms/room_type.h"
#include "server/builtin_handlers.h"
#include "server/outbox.h"
#include "server/server.h"
#include "services/services.h"

namespace {

namespace wire = citadel::protocol;
namespace cmd = citadel::protocol::cmd;
namespace msg = citadel::msg;
namespace net = citadel::net;
namespace rooms = citadel::rooms;
using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

// CITADEL_APP_FUZZ_TRACE=1 prints every op and every frame received, to
// follow a crashing input: app_fuzz crash-<hash>.
bool g_trace = false;
#define TRACE(...)                                  \
  do {                                              \
    if (g_trace) std::fprintf(stderr, __VA_ARGS__); \
  } while (0)

constexpr std::size_t kPeers = 6;
// The chaos room type's input cmd: a test-only room type (below).
constexpr uint16_t kChaosInput = 0x0330;

// ---- the fuzz input, read front to back; zeros once it runs out ----------

class Input {
 public:
  Input(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  // Big-endian. (Two calls in one expression would be read in an
  // unspecified order.)
  uint16_t u16() {
    const uint16_t hi = u8();
    return static_cast<uint16_t>(hi << 8 | u8());
  }
  uint32_t u32() {
    const uint32_t hi = u16();
    return hi << 16 | u16();
  }
  float f32() {
    const uint32_t bits = u32();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  // Up to n bytes (fewer at the end of the input).
  std::span<const uint8_t> bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::span<const uint8_t> out(data_ + at_, n);
    at_ += n;
    return out;
  }
  std::string str(std::size_t n) {
    const auto b = bytes(n);
    return std::string(b.begin(), b.end());
  }

 private:
  const uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

// ---- a room type whose code misbehaves on request -------------------------
// Its inputs (LockstepInput tables, cmd kChaosInput) arm faults, so the
// runtime's fault containment (a throw from any callback closes that room
// alone), refusals and close requests are reached too.
class ChaosRoom final : public rooms::TypedRoomLogic<msg::LockstepInput> {
 public:
  std::string on_join(rooms::RoomContext&, const rooms::Player&) override {
    if (std::exchange(throw_on_join_, false)) throw std::runtime_error("chaos: on_join");
    return std::exchange(refuse_next_, false) ? "chaos refuses" : "";
  }
  void on_leave(rooms::RoomContext&, const rooms::Player&) override {
    if (std::exchange(throw_on_leave_, false)) throw std::runtime_error("chaos: on_leave");
  }
  void on_input(rooms::RoomContext& ctx, const rooms::Player& player,
                const msg::LockstepInput& input) override {
    const auto* data = input.data();
    if (data == nullptr || data->size() == 0) return;
    switch (data->Get(0) % 9) {
      case 0:
        ctx.broadcast(citadel::protocol::cmd::kLockstepFrame, frame(ctx));
        break;
      case 1:
        throw std::runtime_error("chaos: on_input");
      case 2:
        ctx.close("chaos: asked to close");
        break;
      case 3:
        throw_on_tick_ = true;
        break;
      case 4:
        refuse_next_ = true;
        break;
      case 5:
        throw_on_join_ = true;
        break;
      case 6:
        close_on_tick_ = true;
        break;
      case 7:
        ctx.send(player, citadel::protocol::cmd::kLockstepFrame, frame(ctx));
        break;
      case 8:
        throw_on_leave_ = true;
        break;
    }
  }
  void on_tick(rooms::RoomContext& ctx) override {
    if (std::exchange(throw_on_tick_, false)) throw 42;  // not even a std::exception
    if (std::exchange(close_on_tick_, false)) ctx.close("chaos: closing on tick");
  }
  void on_dispose(rooms::RoomContext&) override {
    if (throw_on_leave_) throw std::runtime_error("chaos: on_dispose");
  }

 private:
  std::span<const uint8_t> frame(rooms::RoomContext& ctx) {
    fbb_.Clear();
    fbb_.Finish(msg::CreateLockstepFrame(fbb_, static_cast<uint32_t>(ctx.tick())));
    return {fbb_.GetBufferPointer(), fbb_.GetSize()};
  }
  bool throw_on_join_ = false, refuse_next_ = false, throw_on_tick_ = false;
  bool close_on_tick_ = false, throw_on_leave_ = false;
  flatbuffers::FlatBufferBuilder fbb_;
};

// ---- the commands a client sends -------------------------------------------

enum class Kind : uint8_t {
  kRequest,  // answered by one reply carrying its request_id (or an ERROR)
  kInput,    // a room input: no reply; at most one ERROR (8, 9 or 12)
};

struct ClientCmd {
  uint16_t cmd;
  Kind kind;
  uint16_t reply_cmd;  // kRequest: the reply that carries the request id
  // Whether `payload` verifies as this command's table, and its request id.
  std::optional<uint32_t> (*request_id)(std::span<const uint8_t> payload);
  bool (*verifies)(std::span<const uint8_t> payload);
};

template <class T>
std::optional<uint32_t> rid_of(std::span<const uint8_t> payload) {
  const T* m = wire::verified_root<T>(payload);
  if (m == nullptr) return std::nullopt;
  return m->request_id();
}
template <class T>
bool verifies(std::span<const uint8_t> payload) {
  return wire::verified_root<T>(payload) != nullptr;
}
std::optional<uint32_t> no_rid(std::span<const uint8_t>) {
  return std::nullopt;
}

template <class T>
constexpr ClientCmd request(uint16_t c, uint16_t reply_cmd) {
  return {c, Kind::kRequest, reply_cmd, rid_of<T>, verifies<T>};
}
template <class T>
constexpr ClientCmd input(uint16_t c) {
  return {c, Kind::kInput, 0, no_rid, verifies<T>};
}

const std::array kClientCmds = {
    request<msg::GuestLogin>(cmd::kGuestLogin, cmd::kAuthReply),
    request<msg::Register>(cmd::kRegister, cmd::kAuthReply),
    request<msg::Login>(cmd::kLogin, cmd::kAuthReply),
    request<msg::Resume>(cmd::kResume, cmd::kAuthReply),
    request<msg::Logout>(cmd::kLogout, cmd::kAuthReply),
    request<msg::ChatCreate>(cmd::kChatCreate, cmd::kChatReply),
    request<msg::ChatJoin>(cmd::kChatJoin, cmd::kChatReply),
    request<msg::ChatLeave>(cmd::kChatLeave, cmd::kChatReply),
    request<msg::ChatSend>(cmd::kChatSend, cmd::kChatReply),
    request<msg::ChatPrivate>(cmd::kChatPrivate, cmd::kChatReply),
    request<msg::ChatMembers>(cmd::kChatMembers, cmd::kChatReply),
    request<msg::ChatOnlineCount>(cmd::kChatOnlineCount, cmd::kChatReply),
    request<msg::RoomJoin>(cmd::kRoomJoin, cmd::kRoomReply),
    request<msg::RoomLeave>(cmd::kRoomLeave, cmd::kRoomReply),
    request<msg::MatchFind>(cmd::kMatchFind, cmd::kRoomReply),
    request<msg::MatchCancel>(cmd::kMatchCancel, cmd::kRoomReply),
    input<msg::ArenaInput>(cmd::kArenaInput),
    input<msg::LockstepInput>(cmd::kLockstepInput),
    input<msg::LockstepInput>(kChaosInput),
    request<msg::LeaderboardSubmit>(cmd::kLeaderboardSubmit, cmd::kLeaderboardReply),
    request<msg::LeaderboardTop>(cmd::kLeaderboardTop, cmd::kLeaderboardReply),
    request<msg::LeaderboardAround>(cmd::kLeaderboardAround, cmd::kLeaderboardReply),
    request<msg::LeaderboardRecords>(cmd::kLeaderboardRecords, cmd::kLeaderboardReply),
    request<msg::LeaderboardMine>(cmd::kLeaderboardMine, cmd::kLeaderboardReply),
    request<msg::StorageRead>(cmd::kStorageRead, cmd::kStorageReply),
    request<msg::StorageWrite>(cmd::kStorageWrite, cmd::kStorageReply),
    request<msg::StorageDelete>(cmd::kStorageDelete, cmd::kStorageReply),
    request<msg::StorageList>(cmd::kStorageList, cmd::kStorageReply),
    // Last, so the seed corpus's command indices above stay as they were.
    request<msg::LeaderboardDelete>(cmd::kLeaderboardDelete, cmd::kLeaderboardReply),
};

const ClientCmd* find_client_cmd(uint16_t c) {
  for (const auto& cc : kClientCmds) {
    if (cc.cmd == c) return &cc;
  }
  return nullptr;
}

// ---- per-field dictionaries: meaningful values, so states are reached -----

const std::string kLong(129, 'x');
const std::array<std::string, 6> kDevices = {"device-0001", "device-0002", "device-0003",
                                             "device-0004", "dev",         kLong};
const std::array<std::string, 8> kUsernames = {"alice",   "bob",     "Alice", "carol.c",
                                               "guest-1", "guest-2", "ab",    "bad name"};
const std::array<std::string, 5> kPasswords = {"password1", "password2", "password3", "short",
                                               kLong};
const std::array<std::string, 8> kChannels = {
    "world", "c1", "c2", "c3", "c4", "", "bad name!", std::string(33, 'c'),
};
const std::array<std::string, 5> kRoomTypes = {"arena", "lockstep", "chaos", "nope", ""};
const std::array<std::string, 3> kModes = {"", "ranked", "casual"};
// Boards of the fuzz world (see World): "points" (best, desc), "laps"
// (incr, asc, resets hourly); the rest do not exist.
const std::array<std::string, 4> kBoards = {"points", "laps", "nope", ""};
const std::array<std::string, 5> kMetadata = {"", "{\"car\":1}", std::string(65, 'm'),
                                              "\xff\xfe bad utf-8", std::string("a\0b", 3)};
const std::array<std::string, 6> kCollections = {"saves", "inv",      "a:b.c",
                                                 "",      "bad name", std::string(129, 'c')};
const std::array<std::string, 6> kKeys = {"k1", "k2", "k3", "", "k\n", kLong};
// Objects, arrays, broken JSON, NaN, bad UTF-8, and one over 16 KiB.
const std::array<std::string, 8> kValues = {"{}",
                                            R"({"a":1,"b":[true,null,"x"]})",
                                            "[1,2]",
                                            "{\"a\":",
                                            R"({"n":NaN})",
                                            "\xff",
                                            "{\"s\":\"" + std::string(17000, 'v') + "\"}",
                                            "{\"s\":\"" + std::string(15000, 'v') + "\"}"};
const std::array<std::string, 4> kCursors = {"", "garbage", "s1.azE.AAAAAAAAAAAAAAAAAAAAAA",
                                             "s1.."};
const std::array<std::string, 6> kTexts = {
    "hi", "hello, world", std::string(512, 't'), std::string(513, 't'), "\xff\xfe bad utf-8", ""};

// ---- one peer: our end of a socketpair, and what it has seen ---------------

struct Peer {
  int fd = -1;
  bool paused = false;   // not reading: the server's output piles up
  bool eof = false;      // the server closed its end (or reset it)
  bool closing = false;  // a closing ERROR arrived: nothing may follow it
  bool tainted = false;  // raw bytes were written: frames no longer line up with ops
  bool half_closed = false;
  wire::FrameReader reader{UINT32_MAX};  // the server's frames, with no size limit of its own
  uint64_t last_push_id = 0;
  // Answer accounting: every request (kRequest, any payload) gets exactly
  // one answer (its reply, or ERROR 8/9); every input at most one ERROR.
  uint64_t requests = 0, inputs = 0, answers = 0;
  uint64_t unknown_sent = 0, unknown_errors = 0;
  uint64_t pings = 0, pongs = 0, echoes = 0, echoes_back = 0;
  std::map<std::pair<uint16_t, uint32_t>, int64_t> open_rids;  // (reply cmd, id) -> requests

  bool open() const { return fd >= 0; }
  // Whether the accounting applies now: connected, readable, in step.
  bool accountable() const {
    return fd >= 0 && !paused && !eof && !closing && !tainted && !half_closed;
  }
};

bool closes_connection(uint16_t code) {
  using E = wire::ErrorCode;
  switch (static_cast<E>(code)) {
    case E::kBadMagic:
    case E::kFrameTooLarge:
    case E::kServerFull:
    case E::kTooManyFromAddress:
    case E::kIdleTimeout:
    case E::kShuttingDown:
    case E::kLoginTimeout:
    case E::kLoggedInElsewhere:
      return true;
    default:
      return false;
  }
}

// ---- the world: server, services, peers, clock -----------------------------

net::LoopClock::Fake g_clock;
std::string g_secret_file;

struct Flags {
  bool two_loops, batched_sends, small_socket_buffers, small_output_queue, keep_after_eof;
};

class World {
 public:
  explicit World(Flags flags) : flags_(flags) {
    citadel::ops::Config config;
    config.server.threads = flags.two_loops ? 2 : 1;
    config.server.batched_sends = flags.batched_sends;
    config.limits.max_connections_per_ip = 0;
    // Peers speak raw frames, and garbage starting 'G' must stay garbage:
    // the WebSocket wire has its own target (websocket_fuzz).
    config.websocket.enabled = false;
    if (flags.small_output_queue) {
      config.limits.output_queue_bytes = config.limits.max_payload_bytes + 16;
    }
    config.log.level = "off";
    server_ = std::make_unique<citadel::server::Server>(config);
    citadel::server::register_builtin_handlers(server_->router());

    citadel::services::ServicesConfig sc;
    sc.store.sqlite.path = ":memory:";
    // No waiting for company: the fuzzer settles anyway.
    sc.store.sqlite.group_commit_window_us = 0;
    sc.store.sqlite.history_per_channel = 20;
    sc.token_secret_file = g_secret_file;
    sc.session.push_buffer_frames = 8;  // small: resumes that lost pushes (resync) are reachable
    sc.session.push_buffer_bytes = 4096;
    sc.hasher.threads = 1;  // one FIFO worker: a no-op job behind the queue is a barrier
    // Larger than one op can fill (a burst is at most 256 frames), like the
    // store's 65,536: see "(So their queues ..." at the top.
    sc.hasher.queue_capacity = 1024;
    sc.hasher.ops_limit = crypto_pwhash_OPSLIMIT_MIN;  // argon2id at its cheapest: ~0.1 ms
    sc.hasher.mem_limit_bytes = crypto_pwhash_MEMLIMIT_MIN;
    sc.chat.max_channels_per_user = 3;
    sc.chat.history_on_join = 5;
    sc.chat.presence_max_members = 3;
    sc.arena.max_players = 3;
    sc.arena.input_queue = 16;
    sc.extra_room_types.push_back(chaos_room_type());
    citadel::leaderboard::BoardConfig points;
    points.id = "points";
    points.max_metadata_bytes = 64;
    citadel::leaderboard::BoardConfig laps = points;
    laps.id = "laps";
    laps.order = citadel::leaderboard::SortOrder::kAscending;
    laps.op = citadel::leaderboard::ScoreOperator::kIncrement;
    laps.reset_schedule = "@hourly";  // time advances by the input's ops
    sc.leaderboards.boards = {points, laps};
    sc.leaderboards.submit_burst = 4;
    services_ = std::make_unique<citadel::services::Services>(*server_, sc);
    grace_ = sc.session.grace;
    for (net::EventLoop* loop : server_->io_loops()) {
      loop->attach_for_testing();
      loops_.push_back(loop);
    }
  }

  ~World() {
    for (Peer& p : peers_) close_fd(p);
    for (net::EventLoop* loop : loops_) loop->detach_for_testing();
    services_.reset();  // joins the store and hasher threads; their last posts are dropped
    server_.reset();
  }

  static rooms::RoomType chaos_room_type() {
    rooms::RoomTypeOptions o;
    o.tick_hz = 10;
    o.max_players = 4;
    o.empty_ttl = 1s;
    o.input_queue = 8;
    o.match_size = 3;
    o.match_timeout = 3s;
    return rooms::make_room_type<ChaosRoom>("chaos", kChaosInput, o);
  }

  // ---- ops ----

  void connect(std::size_t slot) {
    Peer& p = peers_[slot];
    close_fd(p);
    p = Peer{};
    int fds[2];
    FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    if (flags_.small_socket_buffers) {
      const int bytes = 4096;
      ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    }
    p.fd = fds[0];
    // Two addresses, so the per-address login limiter sees more than one.
    const auto address = boost::asio::ip::make_address(slot % 2 ? "127.0.0.2" : "127.0.0.1");
    net::EventLoop& loop = *loops_[slot % loops_.size()];
    // The acceptor's admission, which the connection gives back when it dies.
    FUZZ_CHECK(loop.options().limits->try_admit(address) == net::Admission::kAdmitted);
    loop.adopt_in_loop(net::UniqueFd(fds[1]), address);
  }

  void disconnect(std::size_t slot) { close_fd(peers_[slot]); }

  void half_close(std::size_t slot) {
    Peer& p = peers_[slot];
    if (!p.open()) return;
    ::shutdown(p.fd, SHUT_WR);
    p.half_closed = true;
  }

  void toggle_pause(std::size_t slot) { peers_[slot].paused = !peers_[slot].paused; }

  // Sends `count` copies of one frame in one write, and accounts for them.
  void send(std::size_t slot, uint16_t c, std::span<const uint8_t> payload, std::size_t count) {
    Peer& p = peers_[slot];
    if (!p.open() || p.half_closed) return;
    // Counted before writing: a long write pumps the server (write_all
    // drains what it answers), so replies to the first copies may arrive
    // before the last copy is written.
    expect_answers(p, c, payload, count);
    Bytes out;
    for (std::size_t i = 0; i < count; ++i) wire::append_frame(out, c, payload);
    write_all(p, out);
  }

  void expect_answers(Peer& p, uint16_t c, std::span<const uint8_t> payload, std::size_t count) {
    if (c == cmd::kPing) {
      if (payload.size() <= wire::kMaxPingPayloadBytes) {
        p.pings += count;
      } else {
        p.requests += count;  // ERROR 8
      }
    } else if (c == cmd::kEcho) {
      p.echoes += count;
    } else if (!server_->router().has(c)) {
      p.unknown_sent += count;
    } else if (const ClientCmd* cc = find_client_cmd(c)) {
      if (cc->kind == Kind::kRequest) {
        p.requests += count;
        if (auto rid = cc->request_id(payload)) {
          p.open_rids[{cc->reply_cmd, *rid}] += static_cast<int64_t>(count);
        }
      } else {
        p.inputs += count;
      }
      if (c == cmd::kRegister || c == cmd::kLogin) hasher_maybe_busy_ = true;
    } else {
      FUZZ_CHECK(false);  // a handler for a command this target does not know
    }
  }

  void send_raw_bytes(std::size_t slot, std::span<const uint8_t> bytes) {
    Peer& p = peers_[slot];
    if (!p.open() || p.half_closed) return;
    p.tainted = true;
    write_all(p, bytes);
  }

  void advance(std::chrono::nanoseconds step, int count) {
    TRACE(
        "  time +%lld ms x%d\n",
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(step).count()),
        count);
    for (int i = 0; i < count; ++i) {
      g_clock.steady += step;
      g_clock.system += std::chrono::duration_cast<std::chrono::system_clock::duration>(step);
      settle_and_drain();
    }
  }

  // Brings everything to rest and checks what every peer received.
  void settle_and_drain() {
    for (int round = 0;; ++round) {
      FUZZ_CHECK(round < 10'000);
      settle();
      bool got = false;
      for (Peer& p : peers_) got |= drain(p);
      if (!got) break;
    }
    for (Peer& p : peers_) check_accounts(p);
  }

  // Every peer leaves; once time has passed every grace period, nothing of
  // them may be left anywhere.
  void finish() {
    for (Peer& p : peers_) p.paused = false;
    settle_and_drain();
    for (Peer& p : peers_) close_fd(p);
    settle_and_drain();
    // Session grace, then the empty rooms' time to live, matchmaking
    // timeouts and lingering closes: each step lets the next deadline start.
    const auto step = std::max<std::chrono::nanoseconds>(grace_, 40s) + 1s;
    advance(step, 4);
    FUZZ_CHECK(server_->active_connections() == 0);
    const auto rooms = services_->rooms().stats();
    FUZZ_CHECK(rooms.rooms_open == 0);
    FUZZ_CHECK(rooms.players == 0);
    FUZZ_CHECK(services_->sessions().online_in_loop() == 0);
    // Account ids count from 1, and an input creates far fewer than this.
    for (uint64_t user = 1; user <= 4096; ++user) {
      FUZZ_CHECK(services_->sessions().find_in_loop(user) == nullptr);
    }
  }

  // What message fields may draw on: what the server handed out.
  const std::vector<std::string>& tokens() const { return tokens_; }
  const std::vector<uint64_t>& room_ids() const { return room_ids_; }
  const std::vector<std::string>& cursors() const { return cursors_; }
  uint64_t last_push_id() const { return last_push_id_; }

 private:
  void close_fd(Peer& p) {
    if (p.fd >= 0) ::close(p.fd);
    p.fd = -1;
  }

  // Writes everything, letting the server read when the socket is full.
  bool write_all(Peer& p, std::span<const uint8_t> bytes) {
    std::size_t at = 0;
    for (int spins = 0; at < bytes.size(); ++spins) {
      FUZZ_CHECK(spins < 100'000);
      const ssize_t n = ::send(p.fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n > 0) {
        at += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pump();
        drain(p);
        continue;
      }
      p.eof = true;  // the server is gone (EPIPE, ECONNRESET)
      return false;
    }
    return true;
  }

  // Runs the loops until a whole pass over them does nothing.
  std::size_t pump() {
    std::size_t total = 0;
    for (int pass = 0;; ++pass) {
      FUZZ_CHECK(pass < 1'000'000);  // endless work is a bug too
      std::size_t work = 0;
      for (net::EventLoop* loop : loops_) work += loop->run_turn_for_testing(0ns);
      if (work == 0) return total;
      total += work;
    }
  }

  // Waits for the store's thread: nothing accepted and not yet completed
  // (its count drops only after the completion's callback has run, which is
  // where the services post back to their loop).
  bool wait_store() {
    bool waited = false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (services_->store().stats().queue_outstanding > 0) {
      FUZZ_CHECK(std::chrono::steady_clock::now() < deadline);
      waited = true;
      std::this_thread::sleep_for(20us);
    }
    return waited;
  }

  // Waits for the hasher's one worker to finish everything queued before now:
  // verify() with an empty hash returns at once without hashing, behind the
  // jobs already in its FIFO.
  void hasher_barrier() {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!services_->hasher().verify("", "", [&](bool) {
      std::lock_guard lock(m);
      done = true;
      cv.notify_one();
    })) {
      FUZZ_CHECK(std::chrono::steady_clock::now() < deadline);  // queue full: let it drain
      std::this_thread::sleep_for(50us);
    }
    std::unique_lock lock(m);
    FUZZ_CHECK(cv.wait_until(lock, std::chrono::system_clock::now() + 30s, [&] { return done; }));
  }

  // The loops idle, the store idle, the hasher idle, and a round that found
  // nothing to do. Chains are at most store -> hasher -> loop (login) or
  // hasher -> store -> loop (register), so store, hasher, store covers them.
  void settle() {
    for (int round = 0;; ++round) {
      FUZZ_CHECK(round < 10'000);
      std::size_t work = pump();
      work += wait_store();
      if (hasher_maybe_busy_) {
        hasher_barrier();
        work += wait_store();
      }
      work += pump();
      if (work == 0) break;
    }
    hasher_maybe_busy_ = false;
  }

  // Reads what the server wrote to the peer; true if there was anything.
  bool drain(Peer& p) {
    if (!p.open() || p.paused || p.eof) return false;
    bool got = false;
    uint8_t buf[16 * 1024];
    for (;;) {
      const ssize_t n = ::recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        got = true;
        const auto r = p.reader.feed(std::span<const uint8_t>(buf, static_cast<std::size_t>(n)),
                                     [&](const wire::FrameView& f) {
                                       on_frame(p, f);
                                       return true;
                                     });
        FUZZ_CHECK(r.error == wire::DecodeError::kNone);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // EOF or reset: the server closed this connection. A frame cut short
      // is allowed only after a reset (a slow consumer loses its queue).
      p.eof = true;
      if (!flags_.keep_after_eof) close_fd(p);
      break;
    }
    return got;
  }

  void answered(Peer& p, uint16_t reply_cmd, uint32_t request_id) {
    auto it = p.open_rids.find({reply_cmd, request_id});
    // A reply for a request id this connection never sent (or one reply
    // too many for it).
    FUZZ_CHECK(it != p.open_rids.end() && it->second > 0);
    --it->second;
    ++p.answers;
  }

  void push_id(Peer& p, uint64_t id) {
    FUZZ_CHECK(id > p.last_push_id);
    p.last_push_id = id;
    last_push_id_ = std::max(last_push_id_, id);
  }

  void on_frame(Peer& p, const wire::FrameView& f) {
    if (g_trace) trace_frame(p, f);
    FUZZ_CHECK(!p.closing);  // nothing may follow a closing ERROR
    FUZZ_CHECK(f.payload.size() <= wire::kDefaultMaxPayloadBytes);
    switch (f.cmd) {
      case cmd::kPong:
        ++p.pongs;
        return;
      case cmd::kEcho:
        ++p.echoes_back;
        return;
      case cmd::kError: {
        uint16_t code = 0;
        std::string_view text;
        FUZZ_CHECK(wire::parse_error_payload(f.payload, code, text));
        FUZZ_CHECK(code >= 1 && code <= static_cast<uint16_t>(wire::ErrorCode::kNotInRoom));
        using E = wire::ErrorCode;
        const auto e = static_cast<E>(code);
        if (e == E::kUnknownCommand) {
          ++p.unknown_errors;
        } else if (e == E::kBadPayload || e == E::kNotAuthenticated || e == E::kNotInRoom) {
          ++p.answers;
        }
        if (closes_connection(code)) p.closing = true;
        return;
      }
      case cmd::kAuthReply: {
        const auto* m = wire::verified_root<msg::AuthReply>(f.payload);
        FUZZ_CHECK(m != nullptr);
        answered(p, f.cmd, m->request_id());
        if (m->result() == msg::AuthResult::Ok) {
          FUZZ_CHECK(m->user_id() != 0);
          // A new login (or a logout) starts a new sequence of pushes.
          p.last_push_id = 0;
          if (m->token() != nullptr && m->token()->size() > 0) {
            if (tokens_.size() == 8) tokens_.erase(tokens_.begin());
            tokens_.push_back(m->token()->str());
          }
        }
        return;
      }
      case cmd::kChatReply: {
        const auto* m = wire::verified_root<msg::ChatReply>(f.payload);
        FUZZ_CHECK(m != nullptr);
        answered(p, f.cmd, m->request_id());
        return;
      }
      case cmd::kStorageReply: {
        const auto* m = wire::verified_root<msg::StorageReply>(f.payload);
        FUZZ_CHECK(m != nullptr);
        answered(p, f.cmd, m->request_id());
        return;
      }
      case cmd::kChatMessage: {
        const auto* m = wire::verified_root<msg::ChatMessage>(f.payload);
        FUZZ_CHECK(m != nullptr);
        push_id(p, m->push_id());
        return;
      }
      case cmd::kPresence: {
        const auto* m = wire::verified_root<msg::Presence>(f.payload);
        FUZZ_CHECK(m != nullptr);
        push_id(p, m->push_id());
        return;
      }
      case cmd::kRoomReply: {
        const auto* m = wire::verified_root<msg::RoomReply>(f.payload);
        FUZZ_CHECK(m != nullptr);
        answered(p, f.cmd, m->request_id());
        if (m->room_id() != 0) remember_room(m->room_id());
        return;
      }
      case cmd::kRoomEvent: {
        const auto* m = wire::verified_root<msg::RoomEvent>(f.payload);
        FUZZ_CHECK(m != nullptr);
        FUZZ_CHECK(m->room_id() != 0);
        return;
      }
      case cmd::kMatchResult: {
        const auto* m = wire::verified_root<msg::MatchResult>(f.payload);
        FUZZ_CHECK(m != nullptr);
        if (m->room_id() != 0) remember_room(m->room_id());
        return;
      }
      case cmd::kArenaState: {
        const auto* m = wire::verified_root<msg::ArenaState>(f.payload);
        FUZZ_CHECK(m != nullptr);
        if (m->players() != nullptr) {
          for (const msg::ArenaPlayer* a : *m->players()) {
            FUZZ_CHECK(std::isfinite(a->x()) && std::isfinite(a->y()));
            FUZZ_CHECK(a->x() >= 0 && a->x() <= 1000 && a->y() >= 0 && a->y() <= 1000);
          }
        }
        return;
      }
      case cmd::kLockstepFrame:
        FUZZ_CHECK(wire::verified_root<msg::LockstepFrame>(f.payload) != nullptr);
        return;
      case cmd::kLeaderboardReply: {
        const auto* m = wire::verified_root<msg::LeaderboardReply>(f.payload);
        FUZZ_CHECK(m != nullptr);
        answered(p, f.cmd, m->request_id());
        if (m->records() != nullptr) {
          uint64_t last_rank = 0;
          for (const msg::LeaderboardRecord* r : *m->records()) {
            FUZZ_CHECK(r->rank() > last_rank);  // rank order, ranks from 1
            last_rank = r->rank();
          }
        }
        for (const auto* c : {m->next_cursor(), m->prev_cursor()}) {
          if (c != nullptr && c->size() > 0) remember_cursor(c->str());
        }
        return;
      }
      default:
        FUZZ_CHECK(false);  // not a server-to-client command
    }
  }

  void trace_frame(const Peer& p, const wire::FrameView& f) {
    const auto slot = static_cast<std::size_t>(&p - peers_.data());
    const auto* type = wire::find_message_type(f.cmd);
    std::string detail;
    uint16_t code = 0;
    std::string_view text;
    if (f.cmd == cmd::kError && wire::parse_error_payload(f.payload, code, text)) {
      detail = std::to_string(code) + " " + std::string(text);
    } else if (const auto* m = f.cmd == cmd::kAuthReply
                                   ? wire::verified_root<msg::AuthReply>(f.payload)
                                   : nullptr) {
      detail = "rid " + std::to_string(m->request_id()) + " result " +
               std::to_string(static_cast<int>(m->result())) + " user " +
               std::to_string(m->user_id());
    } else if (const auto* c = f.cmd == cmd::kChatReply
                                   ? wire::verified_root<msg::ChatReply>(f.payload)
                                   : nullptr) {
      detail = "rid " + std::to_string(c->request_id()) + " result " +
               std::to_string(static_cast<int>(c->result()));
    } else if (const auto* r = f.cmd == cmd::kRoomReply
                                   ? wire::verified_root<msg::RoomReply>(f.payload)
                                   : nullptr) {
      detail = "rid " + std::to_string(r->request_id()) + " result " +
               std::to_string(static_cast<int>(r->result())) + " room " +
               std::to_string(r->room_id());
    }
    std::fprintf(stderr, "  peer %zu <- %s (0x%04x, %zu bytes) %s\n", slot,
                 type ? std::string(type->table).c_str() : "", f.cmd, f.payload.size(),
                 detail.c_str());
  }

  void remember_cursor(std::string cursor) {
    if (cursors_.size() == 8) cursors_.erase(cursors_.begin());
    cursors_.push_back(std::move(cursor));
  }

  void remember_room(uint64_t id) {
    if (std::find(room_ids_.begin(), room_ids_.end(), id) != room_ids_.end()) return;
    if (room_ids_.size() == 8) room_ids_.erase(room_ids_.begin());
    room_ids_.push_back(id);
  }

  // Once a peer's output is drained, every request has had its one answer.
  void check_accounts(const Peer& p) {
    if (!p.accountable()) return;
    FUZZ_CHECK(p.answers >= p.requests);
    FUZZ_CHECK(p.answers <= p.requests + p.inputs);
    FUZZ_CHECK(p.unknown_errors == p.unknown_sent);
    FUZZ_CHECK(p.pongs == p.pings);
    FUZZ_CHECK(p.echoes_back == p.echoes);
  }

  const Flags flags_;
  std::unique_ptr<citadel::server::Server> server_;
  std::unique_ptr<citadel::services::Services> services_;
  std::vector<net::EventLoop*> loops_;
  std::array<Peer, kPeers> peers_;
  std::chrono::milliseconds grace_{};
  bool hasher_maybe_busy_ = false;
  std::vector<std::string> tokens_;
  std::vector<std::string> cursors_;  // from LeaderboardReplies
  std::vector<uint64_t> room_ids_;
  uint64_t last_push_id_ = 0;
};

// ---- building messages from fuzz-chosen fields -----------------------------

template <std::size_t N>
std::string pick(Input& in, const std::array<std::string, N>& dict) {
  const uint8_t sel = in.u8();
  if (sel < 0xE0) return dict[sel % N];
  return in.str(in.u8() % 48);  // raw
}

std::string pick_token(Input& in, const World& world) {
  const uint8_t sel = in.u8();
  const auto& tokens = world.tokens();
  if (sel < 0xC0 && !tokens.empty()) return tokens[sel % tokens.size()];
  if (sel < 0xE0 && !tokens.empty()) {
    std::string t = tokens[sel % tokens.size()];
    const std::size_t at = in.u8() % t.size();
    t[at] ^= static_cast<char>(in.u8() | 1);  // a forged or damaged token
    return t;
  }
  return in.str(in.u8() % 64);
}

// A cursor the server handed out, one damaged, or raw bytes.
std::string pick_cursor(Input& in, const World& world) {
  const uint8_t sel = in.u8();
  const auto& cursors = world.cursors();
  if (sel < 0x80 && !cursors.empty()) return cursors[sel % cursors.size()];
  if (sel < 0xC0 && !cursors.empty()) {
    std::string c = cursors[sel % cursors.size()];
    c[in.u8() % c.size()] ^= static_cast<char>(in.u8() | 1);
    return c;
  }
  if (sel < 0xE0) return {};  // from rank 1
  return in.str(in.u8() % 80);
}

uint64_t pick_room_id(Input& in, const World& world) {
  const uint8_t sel = in.u8();
  if (sel < 0x40) return 0;
  if (sel < 0xC0 && !world.room_ids().empty())
    return world.room_ids()[sel % world.room_ids().size()];
  return in.u8();
}

float pick_axis(Input& in) {
  static constexpr float kInf = std::numeric_limits<float>::infinity();
  static constexpr std::array<float, 9> kAxes = {
      -1.0f, 0.0f, 1.0f, 0.5f, -2.0f, 3.0f, std::numeric_limits<float>::quiet_NaN(), kInf, -kInf};
  const uint8_t sel = in.u8();
  if (sel < 0xC0) return kAxes[sel % kAxes.size()];
  return in.f32();  // any bit pattern: NaN, infinities, denormals
}

Bytes lockstep_data(Input& in) {
  const uint8_t sel = in.u8();
  const std::size_t n = sel >= 0xF0 ? 256 + (sel & 1) : sel % 16;  // the 256-byte cap and past it
  Bytes data(n, static_cast<uint8_t>(sel));
  const auto chosen = in.bytes(std::min<std::size_t>(n, 8));
  std::copy(chosen.begin(), chosen.end(), data.begin());
  return data;
}

Bytes finish(flatbuffers::FlatBufferBuilder& fbb) {
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// A valid FlatBuffer for the command, its fields drawn from the input.
Bytes build(uint16_t c, Input& in, const World& world) {
  flatbuffers::FlatBufferBuilder fbb(256);
  auto s = [&](const std::string& v) { return fbb.CreateString(v); };
  const uint32_t rid = in.u8();
  switch (c) {
    case cmd::kGuestLogin:
      fbb.Finish(msg::CreateGuestLogin(fbb, rid, s(pick(in, kDevices))));
      break;
    case cmd::kRegister: {
      const auto u = s(pick(in, kUsernames));
      fbb.Finish(msg::CreateRegister(fbb, rid, u, s(pick(in, kPasswords))));
      break;
    }
    case cmd::kLogin: {
      const auto u = s(pick(in, kUsernames));
      fbb.Finish(msg::CreateLogin(fbb, rid, u, s(pick(in, kPasswords))));
      break;
    }
    case cmd::kResume: {
      const auto t = s(pick_token(in, world));
      const uint8_t sel = in.u8();
      const uint64_t last =
          sel < 0x80 ? world.last_push_id() - std::min<uint64_t>(sel % 8, world.last_push_id())
                     : in.u8();
      fbb.Finish(msg::CreateResume(fbb, rid, t, last));
      break;
    }
    case cmd::kLogout:
      fbb.Finish(msg::CreateLogout(fbb, rid));
      break;
    case cmd::kChatCreate:
      fbb.Finish(msg::CreateChatCreate(fbb, rid, s(pick(in, kChannels))));
      break;
    case cmd::kChatJoin:
      fbb.Finish(msg::CreateChatJoin(fbb, rid, s(pick(in, kChannels))));
      break;
    case cmd::kChatLeave:
      fbb.Finish(msg::CreateChatLeave(fbb, rid, s(pick(in, kChannels))));
      break;
    case cmd::kChatSend: {
      const auto ch = s(pick(in, kChannels));
      fbb.Finish(msg::CreateChatSend(fbb, rid, ch, s(pick(in, kTexts))));
      break;
    }
    case cmd::kChatPrivate: {
      const uint8_t sel = in.u8();
      const uint64_t to_id = sel < 0x80 ? sel % 8 : 0;  // user ids are small; 0: by name
      const auto name = s(pick(in, kUsernames));
      fbb.Finish(msg::CreateChatPrivate(fbb, rid, to_id, name, s(pick(in, kTexts))));
      break;
    }
    case cmd::kChatMembers:
      fbb.Finish(msg::CreateChatMembers(fbb, rid, s(pick(in, kChannels))));
      break;
    case cmd::kChatOnlineCount:
      fbb.Finish(msg::CreateChatOnlineCount(fbb, rid));
      break;
    case cmd::kRoomJoin: {
      const auto type = s(pick(in, kRoomTypes));
      const uint64_t room = pick_room_id(in, world);
      const uint8_t bits = in.u8();
      fbb.Finish(msg::CreateRoomJoin(fbb, rid, type, room, bits & 1, bits & 2 ? in.u8() : 0));
      break;
    }
    case cmd::kRoomLeave:
      fbb.Finish(msg::CreateRoomLeave(fbb, rid));
      break;
    case cmd::kMatchFind: {
      const auto type = s(pick(in, kRoomTypes));
      const auto mode = s(pick(in, kModes));
      fbb.Finish(msg::CreateMatchFind(fbb, rid, type, mode, static_cast<int8_t>(in.u8()) * 10));
      break;
    }
    case cmd::kMatchCancel:
      fbb.Finish(msg::CreateMatchCancel(fbb, rid));
      break;
    case cmd::kArenaInput: {
      const float dx = pick_axis(in);
      fbb.Finish(msg::CreateArenaInput(fbb, rid, dx, pick_axis(in)));  // rid: the seq
      break;
    }
    case cmd::kLockstepInput:
    case kChaosInput:
      fbb.Finish(msg::CreateLockstepInput(fbb, fbb.CreateVector(lockstep_data(in))));
      break;
    case cmd::kLeaderboardSubmit: {
      const auto board = s(pick(in, kBoards));
      const uint8_t bits = in.u8();
      const auto metadata = bits & 1 ? s(pick(in, kMetadata)) : 0;
      // Small scores tie often; bit 1 takes the int64 extremes (incr overflow).
      const int64_t score =
          bits & 2 ? (bits & 4 ? INT64_MAX : INT64_MIN) : static_cast<int8_t>(in.u8());
      fbb.Finish(msg::CreateLeaderboardSubmit(fbb, rid, board, score,
                                              static_cast<int8_t>(in.u8()) % 3, metadata));
      break;
    }
    case cmd::kLeaderboardTop: {
      const auto board = s(pick(in, kBoards));
      const uint32_t limit = in.u8() % 104;  // 0 and past 100 are refused
      const auto cursor = s(pick_cursor(in, world));
      fbb.Finish(msg::CreateLeaderboardTop(fbb, rid, board, limit, cursor,
                                           static_cast<msg::LeaderboardPeriod>(in.u8() % 3)));
      break;
    }
    case cmd::kLeaderboardAround: {
      const auto board = s(pick(in, kBoards));
      const uint32_t limit = in.u8() % 104;
      fbb.Finish(msg::CreateLeaderboardAround(fbb, rid, board, limit,
                                              static_cast<msg::LeaderboardPeriod>(in.u8() % 3)));
      break;
    }
    case cmd::kLeaderboardRecords: {
      const auto board = s(pick(in, kBoards));
      const uint8_t n = in.u8();
      std::vector<uint64_t> ids(n < 0xF0 ? n % 8 : 101, 0);  // 101: over the cap
      for (uint64_t& id : ids) id = in.u8() % 8;             // user ids are small
      const auto list = fbb.CreateVector(ids);
      fbb.Finish(msg::CreateLeaderboardRecords(fbb, rid, board, list,
                                               static_cast<msg::LeaderboardPeriod>(in.u8() % 3)));
      break;
    }
    case cmd::kLeaderboardMine: {
      const auto board = s(pick(in, kBoards));
      fbb.Finish(msg::CreateLeaderboardMine(fbb, rid, board,
                                            static_cast<msg::LeaderboardPeriod>(in.u8() % 3)));
      break;
    }
    case cmd::kLeaderboardDelete:
      fbb.Finish(msg::CreateLeaderboardDelete(fbb, rid, s(pick(in, kBoards))));
      break;
    // Storage: 0-4 items (0 is refused; duplicates happen), owners among the
    // first few user ids, versions small enough to match.
    case cmd::kStorageRead: {
      std::vector<flatbuffers::Offset<msg::StorageObjectId>> items(in.u8() % 5);
      for (auto& item : items) {
        const auto c = s(pick(in, kCollections));
        const auto k = s(pick(in, kKeys));
        item = msg::CreateStorageObjectId(fbb, c, k, in.u8() % 6);
      }
      fbb.Finish(msg::CreateStorageRead(fbb, rid, fbb.CreateVector(items)));
      break;
    }
    case cmd::kStorageWrite: {
      // At most 3: four values of 17 KB would not fit one frame.
      std::vector<flatbuffers::Offset<msg::StorageWriteItem>> items(in.u8() % 4);
      for (auto& item : items) {
        const auto c = s(pick(in, kCollections));
        const auto k = s(pick(in, kKeys));
        const auto v = s(pick(in, kValues));
        const uint8_t bits = in.u8();
        item = msg::CreateStorageWriteItem(fbb, c, k, v, bits % 4, (bits & 4) != 0, (bits >> 3) % 4,
                                           (bits >> 5) % 3);
      }
      fbb.Finish(msg::CreateStorageWrite(fbb, rid, fbb.CreateVector(items)));
      break;
    }
    case cmd::kStorageDelete: {
      std::vector<flatbuffers::Offset<msg::StorageDeleteItem>> items(in.u8() % 5);
      for (auto& item : items) {
        const auto c = s(pick(in, kCollections));
        const auto k = s(pick(in, kKeys));
        item = msg::CreateStorageDeleteItem(fbb, c, k, in.u8() % 4);
      }
      fbb.Finish(msg::CreateStorageDelete(fbb, rid, fbb.CreateVector(items)));
      break;
    }
    case cmd::kStorageList: {
      const auto c = s(pick(in, kCollections));
      const uint64_t owner = in.u8() % 6;
      const uint32_t limit = in.u8();
      fbb.Finish(msg::CreateStorageList(fbb, rid, c, owner, limit, s(pick(in, kCursors))));
      break;
    }
    default:
      FUZZ_CHECK(false);
  }
  return finish(fbb);
}

// ---- the op loop -----------------------------------------------------------

constexpr std::array<std::chrono::nanoseconds, 16> kSteps = {
    1ms, 5ms, 20ms, 34ms, 50ms, 100ms, 500ms, 1s, 2s, 5s, 15s, 31s, 61s, 10min, 1h, 25h};

void run(Input& in) {
  const uint8_t f = in.u8();
  World world(Flags{(f & 1) != 0, (f & 2) == 0, (f & 4) != 0, (f & 8) != 0, (f & 16) != 0});
  // Slot 0 starts connected, so short inputs already talk to the server.
  world.connect(0);
  world.settle_and_drain();
  int ops = 0;
  while (!in.done() && ++ops <= 256) {
    const uint8_t op = in.u8();
    const std::size_t slot = (op >> 4) % kPeers;
    TRACE("op %d: kind %d, peer %zu\n", ops, op & 15, slot);
    switch (op & 15) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
      case 6:
      case 7:
      case 8: {
        const ClientCmd& cc = kClientCmds[in.u8() % kClientCmds.size()];
        Bytes payload;
        std::size_t count = 1;
        if ((op & 15) == 7) {
          const uint8_t sel = in.u8();
          const auto raw = in.bytes(sel < 0xF0 ? sel : in.u16() % 4096);
          payload.assign(raw.begin(), raw.end());
        } else {
          payload = build(cc.cmd, in, world);
          if ((op & 15) == 6) {
            for (int i = 0, n = 1 + in.u8() % 4; i < n; ++i) {
              const std::size_t at = in.u16() % payload.size();
              payload[at] ^= static_cast<uint8_t>(in.u8() | 1);
            }
          } else if ((op & 15) == 8) {
            count = std::size_t{1} + in.u8();
          }
        }
        if (g_trace) {
          const auto* type = wire::find_message_type(cc.cmd);
          const std::string name(type ? type->table : "ChaosInput");
          std::fprintf(stderr, "  peer %zu -> %s x%zu (%zu bytes%s)\n", slot, name.c_str(), count,
                       payload.size(), cc.verifies(payload) ? "" : ", does not verify");
        }
        world.send(slot, cc.cmd, payload, count);
        break;
      }
      case 9:
        world.connect(slot);
        break;
      case 10:
        world.disconnect(slot);
        break;
      case 11:
        world.half_close(slot);
        break;
      case 12: {
        const uint8_t b = in.u8();
        world.advance(kSteps[b & 15], 1 + (b >> 4) % 8);
        break;
      }
      case 13:
        world.toggle_pause(slot);
        break;
      case 14:
        world.send_raw_bytes(slot, in.bytes(in.u8()));
        break;
      case 15: {
        const uint8_t sel = in.u8();
        const auto payload = in.bytes(sel & 0x7f);
        // Any other cmd: one without a handler, or a known one with raw bytes.
        const uint16_t c = sel < 0x60 ? cmd::kPing : sel < 0xC0 ? cmd::kEcho : in.u16();
        world.send(slot, c, payload, 1);
        break;
      }
    }
    world.settle_and_drain();
  }
  world.finish();
}

// Every input starts at the same instant, so a run replays exactly.
const net::LoopClock::Fake kEpoch{
    net::LoopClock::time_point(std::chrono::hours(1000)),
    std::chrono::system_clock::time_point(std::chrono::milliseconds(1'750'000'000'000))};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_trace = std::getenv("CITADEL_APP_FUZZ_TRACE") != nullptr;
  spdlog::set_level(g_trace ? spdlog::level::debug : spdlog::level::off);
  if (sodium_init() < 0) std::abort();
  // A fixed token secret: the tokens of a run, like its times, are the same
  // every time it is replayed.
  const auto dir =
      std::filesystem::temp_directory_path() / ("citadel-app-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  g_secret_file = (dir / "secret").string();
  std::FILE* f = std::fopen(g_secret_file.c_str(), "wb");
  if (f == nullptr) std::abort();
  const std::array<uint8_t, citadel::services::TokenSigner::kSecretBytes> secret{'f', 'u', 'z',
                                                                                 'z'};
  if (std::fwrite(secret.data(), 1, secret.size(), f) != secret.size()) std::abort();
  std::fclose(f);
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(g_secret_file).parent_path(), ec);
  });
  g_clock = kEpoch;
  net::LoopClock::install_fake_for_testing(&g_clock);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  g_clock = kEpoch;
  Input in(data, size);
  run(in);
  return 0;
}
