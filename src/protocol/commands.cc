#include "protocol/commands.h"

#include <array>

namespace citadel::protocol {

namespace {
using D = Direction;
constexpr std::array kMessageTypes = {
    MessageType{cmd::kGuestLogin, "GuestLogin", D::kClientToServer},
    MessageType{cmd::kRegister, "Register", D::kClientToServer},
    MessageType{cmd::kLogin, "Login", D::kClientToServer},
    MessageType{cmd::kResume, "Resume", D::kClientToServer},
    MessageType{cmd::kAuthReply, "AuthReply", D::kServerToClient},
    MessageType{cmd::kLogout, "Logout", D::kClientToServer},
    MessageType{cmd::kReconnect, "Reconnect", D::kServerToClient},
    MessageType{cmd::kChatCreate, "ChatCreate", D::kClientToServer},
    MessageType{cmd::kChatJoin, "ChatJoin", D::kClientToServer},
    MessageType{cmd::kChatLeave, "ChatLeave", D::kClientToServer},
    MessageType{cmd::kChatSend, "ChatSend", D::kClientToServer},
    MessageType{cmd::kChatPrivate, "ChatPrivate", D::kClientToServer},
    MessageType{cmd::kChatMembers, "ChatMembers", D::kClientToServer},
    MessageType{cmd::kChatOnlineCount, "ChatOnlineCount", D::kClientToServer},
    MessageType{cmd::kChatReply, "ChatReply", D::kServerToClient},
    MessageType{cmd::kChatMessage, "ChatMessage", D::kServerToClient},
    MessageType{cmd::kPresence, "Presence", D::kServerToClient},
    MessageType{cmd::kRoomJoin, "RoomJoin", D::kClientToServer},
    MessageType{cmd::kRoomLeave, "RoomLeave", D::kClientToServer},
    MessageType{cmd::kRoomReply, "RoomReply", D::kServerToClient},
    MessageType{cmd::kRoomEvent, "RoomEvent", D::kServerToClient},
    MessageType{cmd::kMatchFind, "MatchFind", D::kClientToServer},
    MessageType{cmd::kMatchCancel, "MatchCancel", D::kClientToServer},
    MessageType{cmd::kMatchResult, "MatchResult", D::kServerToClient},
    MessageType{cmd::kArenaInput, "ArenaInput", D::kClientToServer},
    MessageType{cmd::kArenaState, "ArenaState", D::kServerToClient},
    MessageType{cmd::kLockstepInput, "LockstepInput", D::kClientToServer},
    MessageType{cmd::kLockstepFrame, "LockstepFrame", D::kServerToClient},
    MessageType{cmd::kStorageRead, "StorageRead", D::kClientToServer},
    MessageType{cmd::kStorageWrite, "StorageWrite", D::kClientToServer},
    MessageType{cmd::kStorageDelete, "StorageDelete", D::kClientToServer},
    MessageType{cmd::kStorageList, "StorageList", D::kClientToServer},
    MessageType{cmd::kStorageReply, "StorageReply", D::kServerToClient},
    MessageType{cmd::kLeaderboardSubmit, "LeaderboardSubmit", D::kClientToServer},
    MessageType{cmd::kLeaderboardTop, "LeaderboardTop", D::kClientToServer},
    MessageType{cmd::kLeaderboardAround, "LeaderboardAround", D::kClientToServer},
    MessageType{cmd::kLeaderboardRecords, "LeaderboardRecords", D::kClientToServer},
    MessageType{cmd::kLeaderboardMine, "LeaderboardMine", D::kClientToServer},
    MessageType{cmd::kLeaderboardReply, "LeaderboardReply", D::kServerToClient},
    MessageType{cmd::kLeaderboardDelete, "LeaderboardDelete", D::kClientToServer},
};
}  // namespace

std::span<const MessageType> message_types() {
  return kMessageTypes;
}

const MessageType* find_message_type(uint16_t c) {
  for (const auto& m : kMessageTypes) {
    if (m.cmd == c) return &m;
  }
  return nullptr;
}

const MessageType* find_message_type(std::string_view table) {
  for (const auto& m : kMessageTypes) {
    if (m.table == table) return &m;
  }
  return nullptr;
}

}  // namespace citadel::protocol
