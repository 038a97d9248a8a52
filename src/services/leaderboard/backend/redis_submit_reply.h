// The submit script's answer for one accepted submission: one bulk string
// (a Lua table per record cost Redis about a third of a submit). Layout, big
// endian, as the script's struct.pack('>i8BI4i8i8I2') writes it:
//
//   rank i64 | flags u8 (1 created, 2 taken) | num_submissions u32 |
//   create ms i64 | update ms i64 | username length u16 |
//   member (32 bytes) | username | metadata (the rest)
//
// Parsed on the Redis client's loop; the views point into the reply.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace citadel::services {

struct SubmitReplyRecord {
  uint64_t rank = 0;
  bool created = false;
  bool taken = false;
  uint32_t num_submissions = 0;
  int64_t create_unix_ms = 0;
  int64_t update_unix_ms = 0;
  std::string_view member;  // 32 bytes: the sorted set's member
  std::string_view username;
  std::string_view metadata;
};

inline constexpr std::size_t kSubmitReplyHeaderBytes = 31;
inline constexpr std::size_t kSubmitReplyMemberBytes = 32;

// nullopt for anything shorter than its own lengths say, unknown flags, or a
// rank of 0 (the script's ranks start at 1).
std::optional<SubmitReplyRecord> parse_submit_reply(std::string_view bytes);

}  // namespace citadel::services
