// CITADEL_REQUIRE_IO_URING=1 says "this machine has io_uring": a test that
// finds io_uring refused must then fail, not skip, so a batched-send path that
// silently fell back to one sendmsg per socket cannot pass unnoticed.
// scripts/test.sh sets it where a probe of the kernel (independent of the code
// under test) could set up a ring; unset or any other value keeps the skip.
#pragma once

#include <cstdlib>
#include <string_view>

namespace citadel::test {

inline bool io_uring_required() {
  const char* v = std::getenv("CITADEL_REQUIRE_IO_URING");
  return v != nullptr && std::string_view(v) == "1";
}

}  // namespace citadel::test

// In a test body or SetUp: skip where io_uring is refused, or fail when it is required.
#define CITADEL_SKIP_OR_FAIL_WITHOUT_IO_URING(why)                                    \
  do {                                                                                \
    if (::citadel::test::io_uring_required())                                         \
      FAIL() << (why) << ", and CITADEL_REQUIRE_IO_URING=1 says this machine has it"; \
    GTEST_SKIP() << (why);                                                            \
  } while (0)
