#include "bench_messages.h"

#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/leaderboard_generated.h"
#include "protocol/verified_payload.h"

namespace citadel::bench {
namespace {

flatbuffers::Offset<flatbuffers::String> str(flatbuffers::FlatBufferBuilder& fbb,
                                             std::string_view s) {
  return fbb.CreateString(s.data(), s.size());
}

}  // namespace

std::span<const uint8_t> MessageEncoder::finished() {
  return {fbb_.GetBufferPointer(), fbb_.GetSize()};
}

std::span<const uint8_t> MessageEncoder::guest_login(uint32_t request_id,
                                                     std::string_view device_id) {
  fbb_.Clear();
  const auto d = str(fbb_, device_id);
  fbb_.Finish(msg::CreateGuestLogin(fbb_, request_id, d));
  return finished();
}

std::span<const uint8_t> MessageEncoder::resume(uint32_t request_id, std::string_view token,
                                                uint64_t last_push_id) {
  fbb_.Clear();
  const auto t = str(fbb_, token);
  fbb_.Finish(msg::CreateResume(fbb_, request_id, t, last_push_id));
  return finished();
}

std::span<const uint8_t> MessageEncoder::logout(uint32_t request_id) {
  fbb_.Clear();
  fbb_.Finish(msg::CreateLogout(fbb_, request_id));
  return finished();
}

std::span<const uint8_t> MessageEncoder::chat_send(uint32_t request_id, std::string_view channel,
                                                   std::string_view text) {
  fbb_.Clear();
  const auto c = str(fbb_, channel), t = str(fbb_, text);
  fbb_.Finish(msg::CreateChatSend(fbb_, request_id, c, t));
  return finished();
}

std::span<const uint8_t> MessageEncoder::leaderboard_submit(uint32_t request_id,
                                                            std::string_view board_id,
                                                            int64_t score) {
  fbb_.Clear();
  const auto b = str(fbb_, board_id);
  // No metadata: the record keeps its own (none), as a game's plain submit would.
  fbb_.Finish(msg::CreateLeaderboardSubmit(fbb_, request_id, b, score));
  return finished();
}

std::optional<AuthReplyFields> decode_auth_reply(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::AuthReply>(payload);
  if (m == nullptr) return std::nullopt;
  AuthReplyFields f;
  f.request_id = m->request_id();
  f.result = static_cast<uint16_t>(m->result());
  f.user_id = m->user_id();
  if (const auto* token = m->token()) f.token = std::string_view(token->c_str(), token->size());
  f.resumed = m->resumed();
  return f;
}

std::optional<ChatReplyFields> decode_chat_reply(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::ChatReply>(payload);
  if (m == nullptr) return std::nullopt;
  return ChatReplyFields{m->request_id(), static_cast<uint16_t>(m->result())};
}

std::optional<LeaderboardReplyFields> decode_leaderboard_reply(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::LeaderboardReply>(payload);
  if (m == nullptr) return std::nullopt;
  return LeaderboardReplyFields{m->request_id(), static_cast<uint16_t>(m->result()), m->taken()};
}

std::optional<std::string_view> decode_chat_message_text(std::span<const uint8_t> payload) {
  const auto* m = protocol::verified_root<msg::ChatMessage>(payload);
  if (m == nullptr || m->text() == nullptr) return std::nullopt;
  return std::string_view(m->text()->c_str(), m->text()->size());
}

std::string_view auth_result_name(uint16_t result) {
  const char* name = msg::EnumNameAuthResult(static_cast<msg::AuthResult>(result));
  return *name != '\0' ? std::string_view(name) : std::string_view("unknown");
}

std::string_view chat_result_name(uint16_t result) {
  const char* name = msg::EnumNameChatResult(static_cast<msg::ChatResult>(result));
  return *name != '\0' ? std::string_view(name) : std::string_view("unknown");
}

std::string_view leaderboard_result_name(uint16_t result) {
  const char* name = msg::EnumNameLeaderboardResult(static_cast<msg::LeaderboardResult>(result));
  return *name != '\0' ? std::string_view(name) : std::string_view("unknown");
}

}  // namespace citadel::bench
