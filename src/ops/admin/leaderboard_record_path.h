// The admin path of one leaderboard record,
// /leaderboards/{board_id}/records/{user_id}: a board id may hold any
// printable ASCII, '/' included, so it is what lies between the prefix and
// the last "/records/", percent-decoded; the user id is a decimal number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::ops::admin {

struct LeaderboardRecordPath {
  std::string board_id;
  uint64_t user_id = 0;

  bool operator==(const LeaderboardRecordPath&) const = default;
};

// True for any path under /leaderboards/ (so a malformed one gets a 400
// that says what is wrong, not a 404).
bool is_leaderboard_record_path(std::string_view path);
// nullopt with `error` set for a path under /leaderboards/ that is not a
// record's path (no board id, a bad escape, a user id that is not 1..2^63-1).
std::optional<LeaderboardRecordPath> parse_leaderboard_record_path(std::string_view path,
                                                                   std::string& error);

}  // namespace citadel::ops::admin
