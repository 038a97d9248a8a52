// Shared helpers for the engine's tests: a fixed cursor key, times, and a
// short way to make boards and submit.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "leaderboard/leaderboards.h"

namespace citadel::leaderboard::testing {

inline CursorKey test_cursor_key(uint8_t fill = 7) {
  CursorKey key;
  key.fill(fill);
  return key;
}

// Unix ms of a UTC date and time: tests never read the clock.
inline int64_t utc_ms(int year, unsigned month, unsigned day, unsigned hour = 0,
                      unsigned minute = 0, unsigned second = 0) {
  namespace chr = std::chrono;
  chr::sys_days date = chr::year{year} / chr::month{month} / chr::day{day};
  return (int64_t(date.time_since_epoch().count()) * 86'400 + hour * 3600 + minute * 60 + second) *
         1000;
}

inline constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01 00:00:00 UTC

inline BoardConfig board_config(std::string id, SortOrder order, ScoreOperator op,
                                std::string schedule = "") {
  BoardConfig config;
  config.id = std::move(id);
  config.order = order;
  config.op = op;
  config.reset_schedule = std::move(schedule);
  return config;
}

inline Submission score_of(uint64_t user_id, int64_t score, int64_t subscore = 0,
                           std::string_view username = "",
                           std::optional<std::string_view> metadata = std::nullopt) {
  return {user_id, username, score, subscore, metadata};
}

// The user ids of a page, in order.
inline std::vector<uint64_t> ids_of(const std::vector<Record>& records) {
  std::vector<uint64_t> ids;
  for (const Record& r : records) ids.push_back(r.user_id);
  return ids;
}

}  // namespace citadel::leaderboard::testing
