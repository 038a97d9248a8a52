// The application messages the session scenarios speak (schemas in
// src/protocol/schemas/auth.fbs and chat.fbs): encoders that reuse one
// FlatBufferBuilder (no allocation per message once it has grown), and
// decoders that verify a payload before reading it and keep only the fields
// the bench needs.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace citadel::bench {

// Per worker thread. Each span is valid until the next call.
class MessageEncoder {
 public:
  std::span<const uint8_t> guest_login(uint32_t request_id, std::string_view device_id);
  std::span<const uint8_t> logout(uint32_t request_id);
  std::span<const uint8_t> resume(uint32_t request_id, std::string_view token,
                                  uint64_t last_push_id);
  std::span<const uint8_t> chat_send(uint32_t request_id, std::string_view channel,
                                     std::string_view text);
  std::span<const uint8_t> leaderboard_submit(uint32_t request_id, std::string_view board_id,
                                              int64_t score);

 private:
  std::span<const uint8_t> finished();
  flatbuffers::FlatBufferBuilder fbb_{256};
};

// AuthResult / ChatResult / LeaderboardResult values span 0..12, 0..10 and
// 0..14; one counter array
// covers either, with the last slot for anything unknown.
inline constexpr std::size_t kResultSlots = 16;

inline constexpr uint16_t kAuthOk = 0;  // msg::AuthResult::Ok

struct AuthReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;  // msg::AuthResult
  uint64_t user_id = 0;
  std::string_view token;  // a view into the payload: copy it to keep it
  bool resumed = false;
};
struct ChatReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;  // msg::ChatResult
};

struct LeaderboardReplyFields {
  uint32_t request_id = 0;
  uint16_t result = 0;  // msg::LeaderboardResult
  bool taken = false;   // the score changed the record
};

// nullopt: the payload is not a valid table of that type.
std::optional<AuthReplyFields> decode_auth_reply(std::span<const uint8_t> payload);
std::optional<ChatReplyFields> decode_chat_reply(std::span<const uint8_t> payload);
std::optional<LeaderboardReplyFields> decode_leaderboard_reply(std::span<const uint8_t> payload);
// The text of a ChatMessage push (a view into the payload, or into this
// thread's alignment scratch: valid until the next decode on this thread).
std::optional<std::string_view> decode_chat_message_text(std::span<const uint8_t> payload);

// Names for reports: "Ok", "ServerBusy", ...; "result_<n>" if unknown.
std::string_view auth_result_name(uint16_t result);
std::string_view chat_result_name(uint16_t result);
std::string_view leaderboard_result_name(uint16_t result);

}  // namespace citadel::bench
