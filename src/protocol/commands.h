// Application command ids (0x0100 and up) and the FlatBuffers table each one
// carries. docs/protocol.md documents each; numbers are never reused.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace citadel::protocol {

namespace cmd {
// Accounts and sessions (schemas/auth.fbs)
inline constexpr uint16_t kGuestLogin = 0x0100;
inline constexpr uint16_t kRegister = 0x0101;
inline constexpr uint16_t kLogin = 0x0102;
inline constexpr uint16_t kResume = 0x0103;
inline constexpr uint16_t kAuthReply = 0x0104;
inline constexpr uint16_t kLogout = 0x0105;
inline constexpr uint16_t kReconnect = 0x0106;  // a push: move to another node
// Chat (schemas/chat.fbs)
inline constexpr uint16_t kChatCreate = 0x0200;
inline constexpr uint16_t kChatJoin = 0x0201;
inline constexpr uint16_t kChatLeave = 0x0202;
inline constexpr uint16_t kChatSend = 0x0203;
inline constexpr uint16_t kChatPrivate = 0x0204;
inline constexpr uint16_t kChatMembers = 0x0205;
inline constexpr uint16_t kChatOnlineCount = 0x0206;
inline constexpr uint16_t kChatReply = 0x0207;
inline constexpr uint16_t kChatMessage = 0x0210;
inline constexpr uint16_t kPresence = 0x0211;
// Rooms and matchmaking (schemas/rooms.fbs)
inline constexpr uint16_t kRoomJoin = 0x0300;
inline constexpr uint16_t kRoomLeave = 0x0301;
inline constexpr uint16_t kRoomReply = 0x0302;
inline constexpr uint16_t kRoomEvent = 0x0303;
inline constexpr uint16_t kMatchFind = 0x0304;
inline constexpr uint16_t kMatchCancel = 0x0305;
inline constexpr uint16_t kMatchResult = 0x0306;
// The arena demo room (schemas/arena.fbs)
inline constexpr uint16_t kArenaInput = 0x0310;
inline constexpr uint16_t kArenaState = 0x0311;
// Lockstep rooms (schemas/lockstep.fbs)
inline constexpr uint16_t kLockstepInput = 0x0320;
inline constexpr uint16_t kLockstepFrame = 0x0321;
// Player storage (schemas/storage.fbs)
inline constexpr uint16_t kStorageRead = 0x0400;
inline constexpr uint16_t kStorageWrite = 0x0401;
inline constexpr uint16_t kStorageDelete = 0x0402;
inline constexpr uint16_t kStorageList = 0x0403;
inline constexpr uint16_t kStorageReply = 0x0404;
// Leaderboards (schemas/leaderboard.fbs)
inline constexpr uint16_t kLeaderboardSubmit = 0x0500;
inline constexpr uint16_t kLeaderboardTop = 0x0501;
inline constexpr uint16_t kLeaderboardAround = 0x0502;
inline constexpr uint16_t kLeaderboardRecords = 0x0503;
inline constexpr uint16_t kLeaderboardMine = 0x0504;
inline constexpr uint16_t kLeaderboardReply = 0x0505;
inline constexpr uint16_t kLeaderboardDelete = 0x0506;
}  // namespace cmd

enum class Direction : uint8_t { kClientToServer, kServerToClient };

struct MessageType {
  uint16_t cmd;
  std::string_view table;  // FlatBuffers root table (namespace citadel.msg)
  Direction direction;
};

// Every application message, in cmd order.
std::span<const MessageType> message_types();
// The entry for cmd, or nullptr.
const MessageType* find_message_type(uint16_t cmd);
// The entry whose table is `table` (e.g. "GuestLogin"), or nullptr.
const MessageType* find_message_type(std::string_view table);

}  // namespace citadel::protocol
