#include "json_line.h"

#include <gtest/gtest.h>

namespace citadel::bench {
namespace {

TEST(JsonLine, FieldsInOrderWithTheirTypes) {
  JsonLine json;
  json.add("scenario", "echo")
      .add("connections", uint32_t{64})
      .add("rps", 12345.67)
      .add("p99_us", 1.0 / 3, 3)
      .add("rss", std::optional<uint64_t>())
      .add("kb", std::optional<uint64_t>(7))
      .add_bool("interrupted", false)
      .add_null("nothing");
  EXPECT_EQ(json.str(), R"({"scenario":"echo","connections":64,"rps":12345.7,"p99_us":0.333,)"
                        R"("rss":null,"kb":7,"interrupted":false,"nothing":null})");
}

TEST(JsonLine, ServerTextCannotBreakTheLine) {
  EXPECT_EQ(json_quote("a\"b\\c\nd\x01"), R"("a\"b\\c\nd\u0001")");
}

TEST(JsonLine, NonFiniteNumbersBecomeNull) {
  JsonLine json;
  json.add("x", 0.0 / 0.0);
  EXPECT_EQ(json.str(), R"({"x":null})");
}

}  // namespace
}  // namespace citadel::bench
