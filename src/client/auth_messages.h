// The few application messages the library itself speaks (schemas/auth.fbs,
// and the push ids of schemas/chat.fbs): encoding the login requests,
// decoding AuthReply, and reading the ids the library tracks out of server
// frames. Every read goes through the FlatBuffers verifier first: these are
// bytes from the network. The storage and leaderboard messages have their
// own files (storage_messages.h, leaderboard_messages.h); everything else an
// application sends stays opaque to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::client {

// AuthReply result codes the library acts on (the AuthResult enum in
// schemas/auth.fbs; the numbers are part of the protocol and never change).
namespace auth_result {
inline constexpr uint16_t kOk = 0;
inline constexpr uint16_t kRateLimited = 5;
inline constexpr uint16_t kTokenInvalid = 6;
inline constexpr uint16_t kTokenExpired = 7;
inline constexpr uint16_t kSessionGone = 8;
inline constexpr uint16_t kServerBusy = 9;
inline constexpr uint16_t kInternalError = 10;
inline constexpr uint16_t kAlreadyLoggedIn = 12;
}  // namespace auth_result
// The enum's name for a result code ("SessionGone"), or "" if unknown.
std::string_view auth_result_name(uint16_t result);

// A decoded AuthReply (cmd 0x0104), copied out of the frame.
struct AuthReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;
  std::string message;
  uint64_t user_id = 0;
  std::string username;
  std::string token;
  uint64_t token_expires_unix_ms = 0;
  bool resumed = false;
  bool resync_required = false;

  bool ok() const { return result == auth_result::kOk; }
};
// nullopt if the payload is not a valid AuthReply.
std::optional<AuthReplyFields> decode_auth_reply(std::span<const uint8_t> payload);

// A decoded Reconnect push (cmd 0x0106): the server asks the client to
// reconnect elsewhere (a fleet's gateway draining).
struct ReconnectNotice {
  uint16_t reason = 0;  // ReconnectReason: 0 Draining
  std::string address;  // "host:port" of another gateway; "" when none is known
  std::string message;
  uint32_t deadline_ms = 0;  // the server closes the connection within this long
};
// nullopt if the payload is not a valid Reconnect.
std::optional<ReconnectNotice> decode_reconnect(std::span<const uint8_t> payload);

std::vector<uint8_t> encode_guest_login(uint32_t request_id, std::string_view device_id);
std::vector<uint8_t> encode_register(uint32_t request_id, std::string_view username,
                                     std::string_view password);
std::vector<uint8_t> encode_login(uint32_t request_id, std::string_view username,
                                  std::string_view password);
std::vector<uint8_t> encode_resume(uint32_t request_id, std::string_view token,
                                   uint64_t last_push_id);
std::vector<uint8_t> encode_logout(uint32_t request_id);

// The push_id of a push that carries one (ChatMessage 0x0210, Presence
// 0x0211); nullopt for other cmds or a payload that does not verify.
std::optional<uint64_t> read_push_id(uint16_t cmd, std::span<const uint8_t> payload);

// The request_id a reply echoes (AuthReply, ChatReply, RoomReply,
// StorageReply, LeaderboardReply); nullopt for other cmds or a payload that
// does not verify. Used as the Client's reply-key reader for those cmds.
std::optional<uint64_t> read_reply_request_id(uint16_t cmd, std::span<const uint8_t> payload);
// The cmds read_reply_request_id knows.
std::span<const uint16_t> keyed_reply_cmds();

}  // namespace citadel::client
