#include "protocol/json_codec.h"

#include <flatbuffers/idl.h>

#include <stdexcept>

#include "protocol/arena_generated.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/embedded_schemas.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/lockstep_generated.h"
#include "protocol/rooms_generated.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::protocol {

namespace {

// Verification needs the concrete table type; JSON only needs its name.
// (messages_test checks that every cmd in commands.cc has a case here.)
bool verify(uint16_t c, std::span<const uint8_t> payload) {
  switch (c) {
    case cmd::kGuestLogin:
      return verified_root<msg::GuestLogin>(payload) != nullptr;
    case cmd::kRegister:
      return verified_root<msg::Register>(payload) != nullptr;
    case cmd::kLogin:
      return verified_root<msg::Login>(payload) != nullptr;
    case cmd::kResume:
      return verified_root<msg::Resume>(payload) != nullptr;
    case cmd::kAuthReply:
      return verified_root<msg::AuthReply>(payload) != nullptr;
    case cmd::kLogout:
      return verified_root<msg::Logout>(payload) != nullptr;
    case cmd::kReconnect:
      return verified_root<msg::Reconnect>(payload) != nullptr;
    case cmd::kChatCreate:
      return verified_root<msg::ChatCreate>(payload) != nullptr;
    case cmd::kChatJoin:
      return verified_root<msg::ChatJoin>(payload) != nullptr;
    case cmd::kChatLeave:
      return verified_root<msg::ChatLeave>(payload) != nullptr;
    case cmd::kChatSend:
      return verified_root<msg::ChatSend>(payload) != nullptr;
    case cmd::kChatPrivate:
      return verified_root<msg::ChatPrivate>(payload) != nullptr;
    case cmd::kChatMembers:
      return verified_root<msg::ChatMembers>(payload) != nullptr;
    case cmd::kChatOnlineCount:
      return verified_root<msg::ChatOnlineCount>(payload) != nullptr;
    case cmd::kChatReply:
      return verified_root<msg::ChatReply>(payload) != nullptr;
    case cmd::kChatMessage:
      return verified_root<msg::ChatMessage>(payload) != nullptr;
    case cmd::kPresence:
      return verified_root<msg::Presence>(payload) != nullptr;
    case cmd::kRoomJoin:
      return verified_root<msg::RoomJoin>(payload) != nullptr;
    case cmd::kRoomLeave:
      return verified_root<msg::RoomLeave>(payload) != nullptr;
    case cmd::kRoomReply:
      return verified_root<msg::RoomReply>(payload) != nullptr;
    case cmd::kRoomEvent:
      return verified_root<msg::RoomEvent>(payload) != nullptr;
    case cmd::kMatchFind:
      return verified_root<msg::MatchFind>(payload) != nullptr;
    case cmd::kMatchCancel:
      return verified_root<msg::MatchCancel>(payload) != nullptr;
    case cmd::kMatchResult:
      return verified_root<msg::MatchResult>(payload) != nullptr;
    case cmd::kArenaInput:
      return verified_root<msg::ArenaInput>(payload) != nullptr;
    case cmd::kArenaState:
      return verified_root<msg::ArenaState>(payload) != nullptr;
    case cmd::kLockstepInput:
      return verified_root<msg::LockstepInput>(payload) != nullptr;
    case cmd::kLockstepFrame:
      return verified_root<msg::LockstepFrame>(payload) != nullptr;
    case cmd::kStorageRead:
      return verified_root<msg::StorageRead>(payload) != nullptr;
    case cmd::kStorageWrite:
      return verified_root<msg::StorageWrite>(payload) != nullptr;
    case cmd::kStorageDelete:
      return verified_root<msg::StorageDelete>(payload) != nullptr;
    case cmd::kStorageList:
      return verified_root<msg::StorageList>(payload) != nullptr;
    case cmd::kStorageReply:
      return verified_root<msg::StorageReply>(payload) != nullptr;
    case cmd::kLeaderboardSubmit:
      return verified_root<msg::LeaderboardSubmit>(payload) != nullptr;
    case cmd::kLeaderboardTop:
      return verified_root<msg::LeaderboardTop>(payload) != nullptr;
    case cmd::kLeaderboardAround:
      return verified_root<msg::LeaderboardAround>(payload) != nullptr;
    case cmd::kLeaderboardRecords:
      return verified_root<msg::LeaderboardRecords>(payload) != nullptr;
    case cmd::kLeaderboardMine:
      return verified_root<msg::LeaderboardMine>(payload) != nullptr;
    case cmd::kLeaderboardReply:
      return verified_root<msg::LeaderboardReply>(payload) != nullptr;
    case cmd::kLeaderboardDelete:
      return verified_root<msg::LeaderboardDelete>(payload) != nullptr;
  }
  return false;
}

}  // namespace

JsonCodec::JsonCodec() {
  flatbuffers::IDLOptions options;
  options.strict_json = true;
  options.output_default_scalars_in_json = false;
  options.indent_step = -1;  // one line
  parser_ = std::make_unique<flatbuffers::Parser>(options);
  const std::string schemas(kEmbeddedSchemas);
  if (!parser_->Parse(schemas.c_str())) {
    throw std::runtime_error("embedded schemas do not parse: " + parser_->error_);
  }
}

JsonCodec::~JsonCodec() = default;

bool JsonCodec::to_binary(uint16_t c, std::string_view json, std::vector<uint8_t>& out,
                          std::string& error) {
  const MessageType* type = find_message_type(c);
  if (type == nullptr) {
    error = "no message type for this cmd";
    return false;
  }
  const std::string root = "citadel.msg." + std::string(type->table);
  if (!parser_->SetRootType(root.c_str())) {
    error = "unknown table " + root;
    return false;
  }
  const std::string text(json);
  if (!parser_->ParseJson(text.c_str())) {
    error = parser_->error_;
    return false;
  }
  out.assign(parser_->builder_.GetBufferPointer(),
             parser_->builder_.GetBufferPointer() + parser_->builder_.GetSize());
  return true;
}

bool JsonCodec::to_json(uint16_t c, std::span<const uint8_t> payload, std::string& out,
                        std::string& error) {
  const MessageType* type = find_message_type(c);
  if (type == nullptr) {
    error = "no message type for this cmd";
    return false;
  }
  if (!verify(c, payload)) {
    error = std::string(type->table) + " payload failed FlatBuffers verification";
    return false;
  }
  const std::string root = "citadel.msg." + std::string(type->table);
  parser_->SetRootType(root.c_str());
  out.clear();
  const auto bytes = aligned_payload(payload);
  if (!flatbuffers::GenerateText(*parser_, bytes.data(), &out)) {
    error = "could not render " + std::string(type->table);
    return false;
  }
  return true;
}

}  // namespace citadel::protocol
