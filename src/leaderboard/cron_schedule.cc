#include "leaderboard/cron_schedule.h"

#include <array>
#include <bit>
#include <cctype>
#include <chrono>

namespace citadel::leaderboard {
namespace {

namespace chr = std::chrono;

constexpr int64_t kSecondsPerDay = 86'400;
constexpr int kFirstYear = 1970;
constexpr int kLastYear = 9999;

// A minute of the proleptic Gregorian calendar, UTC.
struct CivilMinute {
  int year;
  unsigned month;   // 1..12
  unsigned day;     // 1..31
  unsigned hour;    // 0..23
  unsigned minute;  // 0..59
};

CivilMinute to_civil(int64_t unix_seconds) {
  int64_t days = unix_seconds / kSecondsPerDay;
  int64_t second_of_day = unix_seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  chr::year_month_day date{chr::sys_days{chr::days{days}}};
  return {int(date.year()), unsigned(date.month()), unsigned(date.day()),
          unsigned(second_of_day / 3600), unsigned(second_of_day % 3600 / 60)};
}

int64_t to_unix(const CivilMinute& t) {
  chr::sys_days date = chr::year{t.year} / chr::month{t.month} / chr::day{t.day};
  return int64_t(date.time_since_epoch().count()) * kSecondsPerDay + t.hour * 3600 + t.minute * 60;
}

unsigned days_in_month(int year, unsigned month) {
  return unsigned((chr::year{year} / chr::month{month} / chr::last).day());
}

unsigned weekday_of(int year, unsigned month, unsigned day) {
  return chr::weekday{chr::sys_days{chr::year{year} / chr::month{month} / chr::day{day}}}
      .c_encoding();
}

// The lowest set bit at or above `from`, or -1.
int next_bit(uint64_t bits, unsigned from) {
  if (from >= 64) return -1;
  uint64_t rest = bits & (~uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

// The highest set bit at or below `from`, or -1.
int prev_bit(uint64_t bits, unsigned from) {
  uint64_t rest = from >= 63 ? bits : bits & ((uint64_t{1} << (from + 1)) - 1);
  return rest == 0 ? -1 : 63 - std::countl_zero(rest);
}

// Steps a CivilMinute to the start of the next unit (the other fields reset
// to their first value) or the end of the previous one (reset to their last).
void to_next_month(CivilMinute& t) {
  t = {t.month == 12 ? t.year + 1 : t.year, t.month == 12 ? 1 : t.month + 1, 1, 0, 0};
}
void to_next_day(CivilMinute& t) {
  if (t.day == days_in_month(t.year, t.month)) return to_next_month(t);
  t = {t.year, t.month, t.day + 1, 0, 0};
}
void to_next_hour(CivilMinute& t) {
  if (t.hour == 23) return to_next_day(t);
  t.hour += 1;
  t.minute = 0;
}
void to_prev_month(CivilMinute& t) {
  int year = t.month == 1 ? t.year - 1 : t.year;
  unsigned month = t.month == 1 ? 12 : t.month - 1;
  t = {year, month, days_in_month(year, month), 23, 59};
}
void to_prev_day(CivilMinute& t) {
  if (t.day == 1) return to_prev_month(t);
  t = {t.year, t.month, t.day - 1, 23, 59};
}
void to_prev_hour(CivilMinute& t) {
  if (t.hour == 0) return to_prev_day(t);
  t.hour -= 1;
  t.minute = 59;
}

bool in_range(int64_t unix_seconds) {
  return unix_seconds >= kCronMinUnixSeconds && unix_seconds <= kCronMaxUnixSeconds;
}

}  // namespace

// ---------------------------------------------------------------- parsing --

class CronParser {
 public:
  static CronParse parse(std::string_view text);

 private:
  struct Field {
    unsigned min;
    unsigned max;
    const std::array<std::string_view, 12>* names;  // names[i] stands for min + i; or null
    std::size_t name_count;
  };

  static bool parse_field(std::string_view text, const Field& field, uint64_t& bits,
                          std::string_view& error);
  static bool parse_value(std::string_view text, const Field& field, unsigned& value);
};

namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kWeekdayNames = {"sun", "mon", "tue", "wed",
                                                            "thu", "fri", "sat"};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

}  // namespace

bool CronParser::parse_value(std::string_view text, const Field& field, unsigned& value) {
  if (text.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(text.front()))) {
    if (text.size() > 4) return false;  // bounds the number long before it could overflow
    unsigned number = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      number = number * 10 + unsigned(c - '0');
    }
    if (number < field.min || number > field.max) return false;
    value = number;
    return true;
  }
  if (field.names == nullptr) return false;
  for (std::size_t i = 0; i < field.name_count; ++i) {
    if (equals_ignoring_case(text, (*field.names)[i])) {
      value = field.min + unsigned(i);
      return true;
    }
  }
  return false;
}

bool CronParser::parse_field(std::string_view text, const Field& field, uint64_t& bits,
                             std::string_view& error) {
  bits = 0;
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (item.empty()) {
      error = "empty list item";
      return false;
    }
    std::string_view range = item;
    unsigned step = 1;
    bool has_step = false;
    if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      Field step_field{1, field.max - field.min + 1, nullptr, 0};
      if (!parse_value(item.substr(slash + 1), step_field, step)) {
        error = "step must be a number from 1 to the field's span";
        return false;
      }
      has_step = true;
    }
    unsigned low = field.min;
    unsigned high = field.max;
    if (range != "*") {
      std::size_t dash = range.find('-');
      if (!parse_value(range.substr(0, dash), field, low)) {
        error = "value out of range or not a number or name";
        return false;
      }
      if (dash != std::string_view::npos) {
        if (!parse_value(range.substr(dash + 1), field, high)) {
          error = "value out of range or not a number or name";
          return false;
        }
        if (low > high) {
          error = "range start after its end";
          return false;
        }
      } else if (!has_step) {
        high = low;  // a single value; "N/S" keeps high = max
      }
    }
    for (unsigned v = low; v <= high; v += step) bits |= uint64_t{1} << v;
    if (comma == std::string_view::npos) return true;
    text.remove_prefix(comma + 1);
  }
}

CronParse CronParser::parse(std::string_view text) {
  text = trim(text);
  for (const Macro& macro : kMacros) {
    if (equals_ignoring_case(text, macro.name)) return parse(macro.expansion);
  }
  std::array<std::string_view, 5> fields;
  std::size_t count = 0;
  while (!text.empty()) {
    std::size_t end = 0;
    while (end < text.size() && !is_blank(text[end])) ++end;
    if (count == fields.size()) return {std::nullopt, "more than 5 fields"};
    fields[count++] = text.substr(0, end);
    text = trim(text.substr(end));
  }
  if (count != fields.size()) return {std::nullopt, "fewer than 5 fields"};

  static constexpr std::array<Field, 5> kFields = {{
      {0, 59, nullptr, 0},
      {0, 23, nullptr, 0},
      {1, 31, nullptr, 0},
      {1, 12, &kMonthNames, 12},
      {0, 7, &kWeekdayNames, 7},
  }};
  std::array<uint64_t, 5> bits{};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::string_view error;
    if (!parse_field(fields[i], kFields[i], bits[i], error)) return {std::nullopt, error};
  }

  CronSchedule schedule;
  schedule.minutes_ = bits[0];
  schedule.hours_ = uint32_t(bits[1]);
  schedule.days_of_month_ = uint32_t(bits[2]);
  schedule.months_ = uint16_t(bits[3]);
  // Day of week 7 is Sunday, like 0.
  schedule.days_of_week_ = uint8_t((bits[4] & 0x7f) | (bits[4] >> 7 & 1));
  schedule.day_of_month_star_ = fields[2].front() == '*';
  schedule.day_of_week_star_ = fields[4].front() == '*';

  // Refuse a schedule that never fires. With OR semantics any weekday
  // restriction fires weekly. Otherwise some listed day must exist in some
  // listed month (February counted with 29 days); each such date falls on
  // every weekday over the 400-year Gregorian cycle.
  if (schedule.day_of_month_star_ || schedule.day_of_week_star_) {
    bool some_date = false;
    for (unsigned month = 1; month <= 12; ++month) {
      if (!(schedule.months_ >> month & 1)) continue;
      unsigned longest = month == 2 ? 29 : days_in_month(2001, month);
      uint32_t days_that_exist = uint32_t((uint64_t{1} << (longest + 1)) - 2);
      if (schedule.days_of_month_ & days_that_exist) some_date = true;
    }
    if (!some_date) return {std::nullopt, "no listed day of month exists in a listed month"};
  }
  return {schedule, {}};
}

CronParse CronSchedule::parse(std::string_view text) {
  return CronParser::parse(text);
}

// ------------------------------------------------------------- evaluation --

bool CronSchedule::day_matches(int year, unsigned month, unsigned day) const {
  bool dom = days_of_month_ >> day & 1;
  bool dow = days_of_week_ >> weekday_of(year, month, day) & 1;
  return (day_of_month_star_ || day_of_week_star_) ? (dom && dow) : (dom || dow);
}

bool CronSchedule::fires_at(int64_t unix_seconds) const {
  if (!in_range(unix_seconds) || unix_seconds % 60 != 0) return false;
  CivilMinute t = to_civil(unix_seconds);
  return (months_ >> t.month & 1) && day_matches(t.year, t.month, t.day) &&
         (hours_ >> t.hour & 1) && (minutes_ >> t.minute & 1);
}

// Each step moves t to the first candidate at or after it that the largest
// mismatched field allows, so the loop visits at most a few times per month
// and day of the span searched, never minute by minute.
std::optional<int64_t> CronSchedule::next_after(int64_t unix_seconds) const {
  if (unix_seconds < kCronMinUnixSeconds) unix_seconds = kCronMinUnixSeconds - 1;
  if (unix_seconds >= kCronMaxUnixSeconds) return std::nullopt;
  int64_t start = unix_seconds + 1;
  start += (60 - start % 60) % 60;  // round up to a whole minute
  CivilMinute t = to_civil(start);
  while (t.year <= kLastYear) {
    if (!(months_ >> t.month & 1)) {
      to_next_month(t);
    } else if (!day_matches(t.year, t.month, t.day)) {
      to_next_day(t);
    } else if (!(hours_ >> t.hour & 1)) {
      int hour = next_bit(hours_, t.hour);
      if (hour < 0) {
        to_next_day(t);
      } else {
        t.hour = unsigned(hour);
        t.minute = 0;
      }
    } else if (int minute = next_bit(minutes_, t.minute); minute < 0) {
      to_next_hour(t);
    } else {
      t.minute = unsigned(minute);
      return to_unix(t);
    }
  }
  return std::nullopt;
}

std::optional<int64_t> CronSchedule::last_at_or_before(int64_t unix_seconds) const {
  if (unix_seconds < kCronMinUnixSeconds) return std::nullopt;
  if (unix_seconds > kCronMaxUnixSeconds) unix_seconds = kCronMaxUnixSeconds;
  CivilMinute t = to_civil(unix_seconds - unix_seconds % 60);
  while (t.year >= kFirstYear) {
    if (!(months_ >> t.month & 1)) {
      to_prev_month(t);
    } else if (!day_matches(t.year, t.month, t.day)) {
      to_prev_day(t);
    } else if (!(hours_ >> t.hour & 1)) {
      int hour = prev_bit(hours_, t.hour);
      if (hour < 0) {
        to_prev_day(t);
      } else {
        t.hour = unsigned(hour);
        t.minute = 59;
      }
    } else if (int minute = prev_bit(minutes_, t.minute); minute < 0) {
      to_prev_hour(t);
    } else {
      t.minute = unsigned(minute);
      return to_unix(t);
    }
  }
  return std::nullopt;
}

}  // namespace citadel::leaderboard
