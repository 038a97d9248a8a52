// A reset schedule in standard cron syntax, evaluated in UTC: the five fields
//
//   minute (0-59)  hour (0-23)  day-of-month (1-31)  month (1-12)  day-of-week (0-7)
//
// each a comma-separated list of items; an item is `*`, a value `N`, a range
// `N-M` (N <= M), optionally followed by a step `/S` (S >= 1, at most the
// field's span). `N/S` means `N-max/S`. Months take JAN..DEC and days of week
// SUN..SAT (any case) wherever a number goes; day of week 0 and 7 are both
// Sunday. One of the macros @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) or @hourly may stand for the whole expression.
//
// Days follow Vixie cron: when day-of-month and day-of-week are both
// restricted (neither field starts with `*`), a day matches if EITHER
// matches ("0 0 1 * MON" fires on the 1st and on every Monday); when either
// field starts with `*`, a day must match both. Fire times are whole minutes.
//
// A schedule that can never fire ("0 0 30 2 *") is refused at parse, so
// next_after always finds a time within the supported range (years 1970 to
// 9999) unless the range itself ends first.
//
// Pure: no clock is read; every time is passed in (Unix seconds, UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace citadel::leaderboard {

struct CronParse;

class CronSchedule {
 public:
  static CronParse parse(std::string_view text);

  // The first fire time strictly after unix_seconds; nullopt when none falls
  // within 1970..9999.
  std::optional<int64_t> next_after(int64_t unix_seconds) const;
  // The last fire time at or before unix_seconds; nullopt likewise.
  std::optional<int64_t> last_at_or_before(int64_t unix_seconds) const;
  // Whether the schedule fires at this time (a whole minute).
  bool fires_at(int64_t unix_seconds) const;

  bool operator==(const CronSchedule&) const = default;

 private:
  friend class CronParser;
  CronSchedule() = default;

  bool day_matches(int year, unsigned month, unsigned day) const;

  uint64_t minutes_ = 0;        // bit m: minute m
  uint32_t hours_ = 0;          // bit h: hour h
  uint32_t days_of_month_ = 0;  // bit d: day d (1..31)
  uint16_t months_ = 0;         // bit m: month m (1..12)
  uint8_t days_of_week_ = 0;    // bit d: weekday d (0 = Sunday .. 6)
  bool day_of_month_star_ = false;
  bool day_of_week_star_ = false;
};

struct CronParse {
  std::optional<CronSchedule> schedule;  // set on success
  std::string_view error;                // a fixed English reason on failure
};

// The supported range of times, Unix seconds: 1970-01-01 to 9999-12-31 23:59:59 UTC.
inline constexpr int64_t kCronMinUnixSeconds = 0;
inline constexpr int64_t kCronMaxUnixSeconds = 253402300799;

}  // namespace citadel::leaderboard
