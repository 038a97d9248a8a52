#include "ops/admin/leaderboard_record_path.h"

#include <charconv>
#include <limits>

#include "ops/percent_decode.h"

namespace citadel::ops::admin {
namespace {

constexpr std::string_view kPrefix = "/leaderboards/";
constexpr std::string_view kRecords = "/records/";

}  // namespace

bool is_leaderboard_record_path(std::string_view path) {
  return path.starts_with(kPrefix);
}

std::optional<LeaderboardRecordPath> parse_leaderboard_record_path(std::string_view path,
                                                                   std::string& error) {
  const std::string_view usage = "expected /leaderboards/{board_id}/records/{user_id}";
  if (!path.starts_with(kPrefix)) {
    error = usage;
    return std::nullopt;
  }
  const std::string_view rest = path.substr(kPrefix.size());
  const std::size_t records = rest.rfind(kRecords);
  if (records == std::string_view::npos || records == 0) {
    error = usage;
    return std::nullopt;
  }
  auto board = percent_decode(rest.substr(0, records));
  if (!board) {
    error = "the board id has a '%' not followed by two hex digits";
    return std::nullopt;
  }
  const std::string_view user = rest.substr(records + kRecords.size());
  uint64_t user_id = 0;
  const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), user_id);
  // User ids are positive int64 values (the store's keys).
  if (user.empty() || ec != std::errc() || end != user.data() + user.size() || user_id == 0 ||
      user_id > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    error = "the user id must be a number from 1 to 9223372036854775807";
    return std::nullopt;
  }
  return LeaderboardRecordPath{std::move(*board), user_id};
}

}  // namespace citadel::ops::admin
