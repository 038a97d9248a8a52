#include "client/auth_messages.h"

#include <array>

#include <flatbuffers/flatbuffers.h>

#include "client/flatbuffers_io.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/rooms_generated.h"
#include "protocol/storage_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::client {

namespace proto = citadel::protocol;
namespace msg = citadel::msg;

namespace {

using fb_io::copy;
using fb_io::finish;
using fb_io::string;

constexpr std::array kKeyedReplyCmds = {proto::cmd::kAuthReply, proto::cmd::kChatReply,
                                        proto::cmd::kRoomReply, proto::cmd::kStorageReply,
                                        proto::cmd::kLeaderboardReply};

}  // namespace

std::string_view auth_result_name(uint16_t result) {
  if (result > static_cast<uint16_t>(msg::AuthResult::MAX)) return {};
  return msg::EnumNameAuthResult(static_cast<msg::AuthResult>(result));
}

std::optional<AuthReplyFields> decode_auth_reply(std::span<const uint8_t> payload) {
  const msg::AuthReply* r = proto::verified_root<msg::AuthReply>(payload);
  if (r == nullptr) return std::nullopt;
  AuthReplyFields f;
  f.request_id = r->request_id();
  f.result = static_cast<uint16_t>(r->result());
  f.message = copy(r->message());
  f.user_id = r->user_id();
  f.username = copy(r->username());
  f.token = copy(r->token());
  f.token_expires_unix_ms = r->token_expires_unix_ms();
  f.resumed = r->resumed();
  f.resync_required = r->resync_required();
  return f;
}

std::optional<ReconnectNotice> decode_reconnect(std::span<const uint8_t> payload) {
  const msg::Reconnect* r = proto::verified_root<msg::Reconnect>(payload);
  if (r == nullptr) return std::nullopt;
  ReconnectNotice n;
  n.reason = static_cast<uint16_t>(r->reason());
  n.address = copy(r->address());
  n.message = copy(r->message());
  n.deadline_ms = r->deadline_ms();
  return n;
}

std::vector<uint8_t> encode_guest_login(uint32_t request_id, std::string_view device_id) {
  flatbuffers::FlatBufferBuilder b(64 + device_id.size());
  b.Finish(msg::CreateGuestLogin(b, request_id, string(b, device_id)));
  return finish(b);
}

std::vector<uint8_t> encode_register(uint32_t request_id, std::string_view username,
                                     std::string_view password) {
  flatbuffers::FlatBufferBuilder b(64 + username.size() + password.size());
  const auto u = string(b, username);
  const auto p = string(b, password);
  b.Finish(msg::CreateRegister(b, request_id, u, p));
  return finish(b);
}

std::vector<uint8_t> encode_login(uint32_t request_id, std::string_view username,
                                  std::string_view password) {
  flatbuffers::FlatBufferBuilder b(64 + username.size() + password.size());
  const auto u = string(b, username);
  const auto p = string(b, password);
  b.Finish(msg::CreateLogin(b, request_id, u, p));
  return finish(b);
}

std::vector<uint8_t> encode_resume(uint32_t request_id, std::string_view token,
                                   uint64_t last_push_id) {
  flatbuffers::FlatBufferBuilder b(64 + token.size());
  b.Finish(msg::CreateResume(b, request_id, string(b, token), last_push_id));
  return finish(b);
}

std::vector<uint8_t> encode_logout(uint32_t request_id) {
  flatbuffers::FlatBufferBuilder b(32);
  b.Finish(msg::CreateLogout(b, request_id));
  return finish(b);
}

std::optional<uint64_t> read_push_id(uint16_t cmd, std::span<const uint8_t> payload) {
  if (cmd == proto::cmd::kChatMessage) {
    if (const auto* m = proto::verified_root<msg::ChatMessage>(payload)) return m->push_id();
  } else if (cmd == proto::cmd::kPresence) {
    if (const auto* m = proto::verified_root<msg::Presence>(payload)) return m->push_id();
  }
  return std::nullopt;
}

std::optional<uint64_t> read_reply_request_id(uint16_t cmd, std::span<const uint8_t> payload) {
  switch (cmd) {
    case proto::cmd::kAuthReply:
      if (const auto* r = proto::verified_root<msg::AuthReply>(payload)) return r->request_id();
      break;
    case proto::cmd::kChatReply:
      if (const auto* r = proto::verified_root<msg::ChatReply>(payload)) return r->request_id();
      break;
    case proto::cmd::kRoomReply:
      if (const auto* r = proto::verified_root<msg::RoomReply>(payload)) return r->request_id();
      break;
    case proto::cmd::kStorageReply:
      // A storage refusal decided on arrival may overtake earlier storage
      // replies (protocol.md, "Reply order"): only the id matches safely.
      if (const auto* r = proto::verified_root<msg::StorageReply>(payload)) return r->request_id();
      break;
    case proto::cmd::kLeaderboardReply:
      // In order among leaderboard requests, but a PONG may overtake one.
      if (const auto* r = proto::verified_root<msg::LeaderboardReply>(payload)) {
        return r->request_id();
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::span<const uint16_t> keyed_reply_cmds() {
  return kKeyedReplyCmds;
}

}  // namespace citadel::client
