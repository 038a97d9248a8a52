// What a gateway and a game node say to each other over a node link (issue
// 18, docs/fleet.md "Node links"): Citadel's own framing (the 8-byte header
// of protocol/wire.h: magic, cmd, length) with link commands of their own,
// each payload a fixed layout of big-endian integers and u16-length-prefixed
// strings. Many players share one link, so every player message names the
// gateway's connection id ("conn" below): the link is multiplexed by player.
//
// Every decoder takes the payload as untrusted bytes: a short, long or
// otherwise malformed payload is refused (nullopt), never read past.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::fleet::link {

// 2: player transfer (TransferOut, TransferMarker, Returned,
// TransferDrained, TransferIn). Nodes of another version refuse each other's
// links: a version-1 node would close the link at the first transfer.
inline constexpr uint16_t kLinkVersion = 2;
// A link frame's payload limit: a Deliver carries one client frame (at most
// the client limit, 64 KiB by default, up to 16 MiB configured) plus the ids.
inline constexpr uint32_t kMaxLinkPayloadBytes = 17u << 20;
// Ids one Deliver names at most (a room's broadcast to its members).
inline constexpr uint16_t kMaxDeliverIds = 4096;
// A transfer's hand-off, at most (rooms::kMaxHandoffBytes; a longer one is
// a malformed message).
inline constexpr std::size_t kMaxHandoffBytes = 4096;

namespace lcmd {
// Gateway -> game, first: u16 version, str cluster, str node id.
inline constexpr uint16_t kHello = 0x0001;
// Game -> gateway, the answer: u16 version, str node id.
inline constexpr uint16_t kWelcome = 0x0002;
// Game -> gateway instead of Welcome, then closes: str reason.
inline constexpr uint16_t kRefused = 0x0003;
// Either way, u64 nonce; answered by HeartbeatAck with the same nonce.
inline constexpr uint16_t kHeartbeat = 0x0004;
inline constexpr uint16_t kHeartbeatAck = 0x0005;

// Gateway -> game. A player the gateway will forward frames of: u64 conn,
// u64 user, str username. Sent once per link before its first frame.
inline constexpr uint16_t kPlayerOpen = 0x0010;
// One client frame of that player: u64 conn, u16 cmd, then the payload.
inline constexpr uint16_t kPlayerFrame = 0x0011;
// The player's connection closed: u64 conn, u64 user (0: it had none).
inline constexpr uint16_t kPlayerClosed = 0x0012;
// The user's session moved to connection conn (a resume): u64 user, u64 conn.
inline constexpr uint16_t kSessionAttached = 0x0013;
// The user's session ended (logout, grace over): u64 user.
inline constexpr uint16_t kSessionEnded = 0x0014;
// Player transfer (docs/fleet.md "Player transfer"). After the node's
// TransferOut, the gateway forwards the player nothing more and sends this
// marker: u64 conn. The node answers TransferDrained once it has returned
// every input it still held or received for the player (the link is FIFO:
// each input the gateway sent before the marker is back before the answer).
inline constexpr uint16_t kTransferMarker = 0x0015;
// Seat the player in the room named (a Transfer, below): the node answers
// with SeatChanged (the room, or 0: refused, the player told why).
inline constexpr uint16_t kTransferIn = 0x0016;

// Game -> gateway. Whole client frames for one or more of the gateway's
// connections: u16 count (1..kMaxDeliverIds), u64 conn x count, then the
// frames' bytes, shared by every id named.
inline constexpr uint16_t kDeliver = 0x0020;
// Close a player's connection with ERROR(code, text): u64 conn, u16 code,
// str text.
inline constexpr uint16_t kClosePlayer = 0x0021;
// The user of one of the gateway's connections now holds a seat in room
// (0: none any more): the gateway sends that player's room commands here
// while it does. u64 conn, u64 user, u64 room.
inline constexpr uint16_t kSeatChanged = 0x0022;
// A room here let the player go to another room (a Transfer, below; the
// username empty): the gateway places it and holds its inputs meanwhile.
inline constexpr uint16_t kTransferOut = 0x0023;
// One input of the player that the node did not apply (it left by
// transfer): back to the gateway, in order. u64 conn, u16 cmd, the payload.
inline constexpr uint16_t kReturned = 0x0024;
// The answer to TransferMarker: u64 conn.
inline constexpr uint16_t kTransferDrained = 0x0025;
}  // namespace lcmd

std::string_view link_cmd_name(uint16_t cmd);

struct Hello {
  uint16_t version = 0;
  std::string_view cluster;
  std::string_view node_id;
};
struct Welcome {
  uint16_t version = 0;
  std::string_view node_id;
};
struct PlayerOpen {
  uint64_t conn = 0;
  uint64_t user = 0;
  std::string_view username;
};
struct PlayerFrame {
  uint64_t conn = 0;
  uint16_t cmd = 0;
  std::span<const uint8_t> payload;
};
struct PlayerClosed {
  uint64_t conn = 0;
  uint64_t user = 0;
};
struct SessionAttached {
  uint64_t user = 0;
  uint64_t conn = 0;
};
struct Deliver {
  uint16_t count = 0;
  std::span<const uint8_t> ids;  // count x u64, big-endian: id(i) reads one
  std::span<const uint8_t> frames;
  uint64_t id(std::size_t i) const;
};
struct SeatChanged {
  uint64_t conn = 0;
  uint64_t user = 0;
  uint64_t room = 0;
};
// TransferOut and TransferIn: u64 conn, u64 user, str username, u64
// from_room, str from_type, str room_type, u64 room_id, u16 flags (bit 0:
// elsewhere; the others zero), u16 hand-off length (at most
// kMaxHandoffBytes), the hand-off.
struct Transfer {
  uint64_t conn = 0;
  uint64_t user = 0;
  std::string_view username;
  uint64_t from_room = 0;
  std::string_view from_type;
  std::string_view room_type;
  uint64_t room_id = 0;  // 0: any room of room_type
  bool elsewhere = false;
  std::span<const uint8_t> handoff;
};
struct ClosePlayer {
  uint64_t conn = 0;
  uint16_t code = 0;
  std::string_view text;
};

// Decoders: nullopt for a payload that is not exactly such a message.
std::optional<Hello> decode_hello(std::span<const uint8_t> p);
std::optional<Welcome> decode_welcome(std::span<const uint8_t> p);
std::optional<std::string_view> decode_refused(std::span<const uint8_t> p);
std::optional<uint64_t> decode_heartbeat(std::span<const uint8_t> p);  // and HeartbeatAck
std::optional<PlayerOpen> decode_player_open(std::span<const uint8_t> p);
std::optional<PlayerFrame> decode_player_frame(std::span<const uint8_t> p);
std::optional<PlayerClosed> decode_player_closed(std::span<const uint8_t> p);
std::optional<SessionAttached> decode_session_attached(std::span<const uint8_t> p);
std::optional<uint64_t> decode_session_ended(std::span<const uint8_t> p);
// Frames must be at least one client frame header long.
std::optional<Deliver> decode_deliver(std::span<const uint8_t> p);
std::optional<ClosePlayer> decode_close_player(std::span<const uint8_t> p);
std::optional<SeatChanged> decode_seat_changed(std::span<const uint8_t> p);
std::optional<Transfer> decode_transfer(std::span<const uint8_t> p);  // TransferOut, TransferIn
// TransferMarker, TransferDrained: one u64 conn.
std::optional<uint64_t> decode_conn(std::span<const uint8_t> p);
// Returned has PlayerFrame's layout: decode_player_frame.

// Encoders: each appends one whole link frame (header and payload) to out.
// Strings longer than a u16 length are cut (names and reasons are short).
void append_hello(std::vector<uint8_t>& out, std::string_view cluster, std::string_view node_id);
void append_welcome(std::vector<uint8_t>& out, std::string_view node_id);
void append_refused(std::vector<uint8_t>& out, std::string_view reason);
void append_heartbeat(std::vector<uint8_t>& out, uint16_t cmd, uint64_t nonce);
void append_player_open(std::vector<uint8_t>& out, uint64_t conn, uint64_t user,
                        std::string_view username);
void append_player_frame(std::vector<uint8_t>& out, uint64_t conn, uint16_t cmd,
                         std::span<const uint8_t> payload);
void append_player_closed(std::vector<uint8_t>& out, uint64_t conn, uint64_t user);
void append_session_attached(std::vector<uint8_t>& out, uint64_t user, uint64_t conn);
void append_session_ended(std::vector<uint8_t>& out, uint64_t user);
void append_close_player(std::vector<uint8_t>& out, uint64_t conn, uint16_t code,
                         std::string_view text);
void append_seat_changed(std::vector<uint8_t>& out, uint64_t conn, uint64_t user, uint64_t room);
// cmd: kTransferOut or kTransferIn. A hand-off over kMaxHandoffBytes is
// the caller's error (rooms cap it): it is cut.
void append_transfer(std::vector<uint8_t>& out, uint16_t cmd, const Transfer& t);
// cmd: kTransferMarker or kTransferDrained.
void append_conn(std::vector<uint8_t>& out, uint16_t cmd, uint64_t conn);
void append_returned(std::vector<uint8_t>& out, uint64_t conn, uint16_t cmd,
                     std::span<const uint8_t> payload);
// A Deliver's header and ids; the frames' bytes (frames_bytes of them)
// follow, appended by the caller (shared, not copied).
void append_deliver_head(std::vector<uint8_t>& out, std::span<const uint64_t> ids,
                         std::size_t frames_bytes);

}  // namespace citadel::fleet::link
