// The seed of a randomised test: CITADEL_TEST_SEED when set (to replay a
// failure), else a fresh one. Printed on every run and recorded in the
// test's XML properties, as tests/integration/protocol_errors_test.cc does.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace citadel::leaderboard::testing {

inline uint64_t test_seed(const char* what) {
  uint64_t seed = std::random_device{}();
  if (const char* text = std::getenv("CITADEL_TEST_SEED")) seed = std::strtoull(text, nullptr, 10);
  std::cout << what << " seed: " << seed << " (CITADEL_TEST_SEED=" << seed << " to replay)\n";
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

}  // namespace citadel::leaderboard::testing
