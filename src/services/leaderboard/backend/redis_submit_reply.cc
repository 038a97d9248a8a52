#include "services/leaderboard/backend/redis_submit_reply.h"

namespace citadel::services {
namespace {

uint64_t get_be(std::string_view in, std::size_t at, std::size_t bytes) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<uint8_t>(in[at + i]);
  return value;
}

}  // namespace

std::optional<SubmitReplyRecord> parse_submit_reply(std::string_view bytes) {
  constexpr std::size_t kFixed = kSubmitReplyHeaderBytes + kSubmitReplyMemberBytes;
  if (bytes.size() < kFixed) return std::nullopt;
  SubmitReplyRecord r;
  r.rank = get_be(bytes, 0, 8);
  const uint64_t flags = get_be(bytes, 8, 1);
  if (r.rank == 0 || (flags & ~uint64_t{3}) != 0) return std::nullopt;
  r.created = (flags & 1) != 0;
  r.taken = (flags & 2) != 0;
  r.num_submissions = static_cast<uint32_t>(get_be(bytes, 9, 4));
  r.create_unix_ms = static_cast<int64_t>(get_be(bytes, 13, 8));
  r.update_unix_ms = static_cast<int64_t>(get_be(bytes, 21, 8));
  const std::size_t name_bytes = get_be(bytes, 29, 2);
  if (bytes.size() - kFixed < name_bytes) return std::nullopt;
  r.member = bytes.substr(kSubmitReplyHeaderBytes, kSubmitReplyMemberBytes);
  r.username = bytes.substr(kFixed, name_bytes);
  r.metadata = bytes.substr(kFixed + name_bytes);
  return r;
}

}  // namespace citadel::services
