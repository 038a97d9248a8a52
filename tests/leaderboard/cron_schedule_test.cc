// CronSchedule: the grammar (what is accepted, what is refused and why),
// fixed cases worked out by hand, and next_after / last_at_or_before against
// a minute-by-minute scan over random expressions.
#include "leaderboard/cron_schedule.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>

#include "test_seed.h"

namespace citadel::leaderboard {
namespace {

namespace chr = std::chrono;

// Unix seconds of a UTC date and time.
int64_t utc(int year, unsigned month, unsigned day, unsigned hour = 0, unsigned minute = 0) {
  chr::sys_days date = chr::year{year} / chr::month{month} / chr::day{day};
  return int64_t(date.time_since_epoch().count()) * 86'400 + hour * 3600 + minute * 60;
}

CronSchedule must_parse(std::string_view text) {
  CronParse parsed = CronSchedule::parse(text);
  EXPECT_TRUE(parsed.schedule.has_value()) << "'" << text << "': " << parsed.error;
  return parsed.schedule.value_or(CronSchedule::parse("* * * * *").schedule.value());
}

TEST(CronSchedule, RefusesMalformedExpressions) {
  for (const char* text : {
           "",             // no fields
           "* * * *",      // four fields
           "* * * * * *",  // six (a seconds field is not standard)
           "60 * * * *",   // minute out of range
           "* 24 * * *",   // hour out of range
           "* * 0 * *",    // day of month starts at 1
           "* * 32 * *",
           "* * * 0 *",  // month starts at 1
           "* * * 13 *",
           "* * * * 8",     // day of week 0-7
           "5-1 * * * *",   // range backwards
           "*/0 * * * *",   // zero step
           "*/61 * * * *",  // step beyond the span
           "1,,2 * * * *",  // empty list item
           ",1 * * * *",
           "1, * * * *",
           "a * * * *",  // names only for month and weekday
           "* * * FOO *",
           "* * * * MONDAY",
           "1-2-3 * * * *",
           "-1 * * * *",
           "1/ * * * *",
           "/5 * * * *",
           "00000 * * * *",  // too many digits
           "@reboot",        // not a schedule
           "@every 5m",
           "0 0 30 2 *",  // February never has a 30th: never fires
           "0 0 31 4,6,9,11 *",
       }) {
    CronParse parsed = CronSchedule::parse(text);
    EXPECT_FALSE(parsed.schedule.has_value()) << "'" << text << "' was accepted";
    EXPECT_FALSE(parsed.error.empty()) << "'" << text << "' refused without a reason";
  }
}

TEST(CronSchedule, AcceptsTheStandardForms) {
  for (const char* text : {"* * * * *",
                           "0 0 * * *",
                           "  0\t0  * * *  ",
                           "*/15 * * * *",
                           "0-30/10 8-18 * * 1-5",
                           "5/20 * * * *",
                           "0 12 1,15 * *",
                           "0 0 * JAN,jul *",
                           "0 0 * * mon-FRI",
                           "0 0 * * 7",
                           "0 0 29 2 *",
                           "@yearly",
                           "@annually",
                           "@monthly",
                           "@weekly",
                           "@daily",
                           "@midnight",
                           "@hourly",
                           "@DAILY",
                           "59 23 31 12 SUN"}) {
    EXPECT_TRUE(CronSchedule::parse(text).schedule.has_value()) << "'" << text << "' refused";
  }
}

TEST(CronSchedule, MacrosEqualTheirExpansions) {
  EXPECT_EQ(must_parse("@yearly"), must_parse("0 0 1 1 *"));
  EXPECT_EQ(must_parse("@annually"), must_parse("0 0 1 1 *"));
  EXPECT_EQ(must_parse("@monthly"), must_parse("0 0 1 * *"));
  EXPECT_EQ(must_parse("@weekly"), must_parse("0 0 * * 0"));
  EXPECT_EQ(must_parse("@daily"), must_parse("0 0 * * *"));
  EXPECT_EQ(must_parse("@midnight"), must_parse("0 0 * * *"));
  EXPECT_EQ(must_parse("@hourly"), must_parse("0 * * * *"));
  EXPECT_EQ(must_parse("0 0 * * 7"), must_parse("0 0 * * 0"));
  EXPECT_EQ(must_parse("0 0 * * SUN"), must_parse("0 0 * * 0"));
  EXPECT_EQ(must_parse("0 0 * DEC *"), must_parse("0 0 * 12 *"));
  EXPECT_EQ(must_parse("5/20 * * * *"), must_parse("5,25,45 * * * *"));
  EXPECT_EQ(must_parse("0-30/10 * * * *"), must_parse("0,10,20,30 * * * *"));
}

TEST(CronSchedule, NextAfterIsStrictlyAfter) {
  CronSchedule daily = must_parse("0 0 * * *");
  EXPECT_EQ(daily.next_after(utc(2026, 3, 1)), utc(2026, 3, 2));
  EXPECT_EQ(daily.next_after(utc(2026, 3, 1) - 1), utc(2026, 3, 1));
  EXPECT_EQ(daily.last_at_or_before(utc(2026, 3, 1)), utc(2026, 3, 1));
  EXPECT_EQ(daily.last_at_or_before(utc(2026, 3, 1) - 1), utc(2026, 2, 28));
  EXPECT_TRUE(daily.fires_at(utc(2026, 3, 1)));
  EXPECT_FALSE(daily.fires_at(utc(2026, 3, 1) + 1));  // not a whole minute
}

TEST(CronSchedule, HandWorkedCases) {
  // Weekly on Monday 04:00; 2026-03-04 is a Wednesday.
  CronSchedule weekly = must_parse("0 4 * * MON");
  EXPECT_EQ(weekly.next_after(utc(2026, 3, 4, 12)), utc(2026, 3, 9, 4));
  EXPECT_EQ(weekly.last_at_or_before(utc(2026, 3, 4, 12)), utc(2026, 3, 2, 4));
  // Month ends and the turn of the year.
  CronSchedule monthly = must_parse("@monthly");
  EXPECT_EQ(monthly.next_after(utc(2026, 12, 15)), utc(2027, 1, 1));
  EXPECT_EQ(monthly.last_at_or_before(utc(2027, 1, 1) - 60), utc(2026, 12, 1));
  // The 31st skips short months.
  CronSchedule thirty_first = must_parse("30 12 31 * *");
  EXPECT_EQ(thirty_first.next_after(utc(2026, 4, 1)), utc(2026, 5, 31, 12, 30));
  EXPECT_EQ(thirty_first.last_at_or_before(utc(2026, 5, 1)), utc(2026, 3, 31, 12, 30));
  // February 29th: leap years only, and 2100 is not one.
  CronSchedule leap = must_parse("0 0 29 2 *");
  EXPECT_EQ(leap.next_after(utc(2026, 1, 1)), utc(2028, 2, 29));
  EXPECT_EQ(leap.next_after(utc(2096, 3, 1)), utc(2104, 2, 29));
  EXPECT_EQ(leap.last_at_or_before(utc(2103, 1, 1)), utc(2096, 2, 29));
  // Vixie's OR: both day fields restricted -> the 13th OR any Friday.
  CronSchedule either = must_parse("0 0 13 * 5");
  EXPECT_EQ(either.next_after(utc(2026, 3, 1)), utc(2026, 3, 6));    // a Friday
  EXPECT_EQ(either.next_after(utc(2026, 3, 10)), utc(2026, 3, 13));  // the 13th, a Friday too
  EXPECT_EQ(either.next_after(utc(2026, 4, 11)), utc(2026, 4, 13));  // a Monday the 13th
  // A field starting with '*' makes it AND: the 13th that is a Friday.
  CronSchedule both = must_parse("0 0 13 * */5");                 // */5 on 0-7: Sunday and Friday
  EXPECT_EQ(both.next_after(utc(2026, 1, 1)), utc(2026, 2, 13));  // Friday 13 Feb 2026
  // Hours and minutes lists.
  CronSchedule twice = must_parse("15,45 9,17 * * *");
  EXPECT_EQ(twice.next_after(utc(2026, 3, 1, 9, 15)), utc(2026, 3, 1, 9, 45));
  EXPECT_EQ(twice.next_after(utc(2026, 3, 1, 9, 45)), utc(2026, 3, 1, 17, 15));
  EXPECT_EQ(twice.next_after(utc(2026, 3, 1, 17, 45)), utc(2026, 3, 2, 9, 15));
  EXPECT_EQ(twice.last_at_or_before(utc(2026, 3, 2, 9, 14)), utc(2026, 3, 1, 17, 45));
}

TEST(CronSchedule, EndsOfTheSupportedRange) {
  CronSchedule every_minute = must_parse("* * * * *");
  EXPECT_EQ(every_minute.next_after(-100), 0);
  EXPECT_EQ(every_minute.last_at_or_before(-1), std::nullopt);
  EXPECT_EQ(every_minute.next_after(kCronMaxUnixSeconds), std::nullopt);
  EXPECT_EQ(every_minute.last_at_or_before(INT64_MAX), kCronMaxUnixSeconds - 59);
  CronSchedule yearly = must_parse("@yearly");
  EXPECT_EQ(yearly.next_after(utc(9999, 1, 1)), std::nullopt);
  EXPECT_EQ(yearly.last_at_or_before(utc(1970, 6, 1)), utc(1970, 1, 1));
  EXPECT_EQ(yearly.last_at_or_before(utc(1970, 1, 1) - 1), std::nullopt);
}

// A random expression: each field a list of one to three items of every form.
std::string random_field(std::mt19937_64& rng, unsigned low, unsigned high) {
  std::string field;
  int items = 1 + int(rng() % 3);
  for (int i = 0; i < items; ++i) {
    if (i > 0) field += ',';
    unsigned a = low + unsigned(rng() % (high - low + 1));
    unsigned b = low + unsigned(rng() % (high - low + 1));
    if (a > b) std::swap(a, b);
    unsigned step = 1 + unsigned(rng() % 4);
    switch (rng() % 6) {
      case 0:
        field += "*";
        break;
      case 1:
        field += "*/" + std::to_string(step);
        break;
      case 2:
        field += std::to_string(a);
        break;
      case 3:
        field += std::to_string(a) + "-" + std::to_string(b);
        break;
      case 4:
        field += std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(step);
        break;
      default:
        field += std::to_string(a) + "/" + std::to_string(step);
        break;
    }
  }
  return field;
}

TEST(CronSchedule, RandomExpressionsMatchAMinuteByMinuteScan) {
  uint64_t seed = testing::test_seed("CronSchedule random");
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (int round = 0; round < 400; ++round) {
    // Days of month up to 28 and any month keep every expression valid and
    // firing within a year (the scan's horizon).
    std::string text = random_field(rng, 0, 59) + " " + random_field(rng, 0, 23) + " " +
                       random_field(rng, 1, 28) + " " + random_field(rng, 1, 12) + " " +
                       random_field(rng, 0, 7);
    SCOPED_TRACE("seed " + std::to_string(seed) + " expression '" + text + "'");
    CronParse parsed = CronSchedule::parse(text);
    ASSERT_TRUE(parsed.schedule.has_value()) << parsed.error;
    const CronSchedule& schedule = *parsed.schedule;
    int64_t t = utc(2020, 1, 1) + int64_t(rng() % (10ull * 365 * 86'400));
    std::optional<int64_t> next = schedule.next_after(t);
    std::optional<int64_t> last = schedule.last_at_or_before(t);
    ASSERT_TRUE(next.has_value());
    ASSERT_TRUE(last.has_value());
    ASSERT_GT(*next, t);
    ASSERT_LE(*last, t);
    ASSERT_TRUE(schedule.fires_at(*next));
    ASSERT_TRUE(schedule.fires_at(*last));
    // Nothing fires strictly between them, which pins both down.
    for (int64_t m = *last + 60; m < *next; m += 60) {
      ASSERT_FALSE(schedule.fires_at(m))
          << "fires at " << m << " between " << *last << " and " << *next << " (t " << t << ")";
    }
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

// fires_at is the scan's oracle, so it is checked field by field on its own.
TEST(CronSchedule, FiresAtReadsEachField) {
  CronSchedule s = must_parse("10-20/5 3 * 6 *");
  EXPECT_TRUE(s.fires_at(utc(2026, 6, 7, 3, 15)));
  EXPECT_FALSE(s.fires_at(utc(2026, 6, 7, 3, 16)));  // minute
  EXPECT_FALSE(s.fires_at(utc(2026, 6, 7, 4, 15)));  // hour
  EXPECT_FALSE(s.fires_at(utc(2026, 7, 7, 3, 15)));  // month
  CronSchedule days = must_parse("0 0 1 * 2");       // the 1st or Tuesdays
  EXPECT_TRUE(days.fires_at(utc(2026, 3, 1)));       // a Sunday, the 1st
  EXPECT_TRUE(days.fires_at(utc(2026, 3, 3)));       // a Tuesday
  EXPECT_FALSE(days.fires_at(utc(2026, 3, 4)));
}

}  // namespace
}  // namespace citadel::leaderboard
