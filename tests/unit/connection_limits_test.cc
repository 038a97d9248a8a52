#include "net/connection_limits.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace citadel::net {
namespace {

const auto kA = boost::asio::ip::make_address("10.0.0.1");
const auto kB = boost::asio::ip::make_address("10.0.0.2");

TEST(ConnectionLimits, GlobalCapRefusesOnceFullAndAdmitsAfterRelease) {
  ConnectionLimits limits(2, 0);
  EXPECT_EQ(limits.try_admit(kA), Admission::kAdmitted);
  EXPECT_EQ(limits.try_admit(kB), Admission::kAdmitted);
  EXPECT_EQ(limits.try_admit(kB), Admission::kServerFull);
  EXPECT_EQ(limits.active(), 2u);
  limits.release(kA);
  EXPECT_EQ(limits.try_admit(kB), Admission::kAdmitted);
}

TEST(ConnectionLimits, PerAddressCapCountsEachAddressSeparately) {
  ConnectionLimits limits(100, 2);
  EXPECT_EQ(limits.try_admit(kA), Admission::kAdmitted);
  EXPECT_EQ(limits.try_admit(kA), Admission::kAdmitted);
  EXPECT_EQ(limits.try_admit(kA), Admission::kTooManyFromAddress);
  EXPECT_EQ(limits.try_admit(kB), Admission::kAdmitted);
  EXPECT_EQ(limits.active(), 3u) << "a refused admission must not hold a global slot";
  limits.release(kA);
  EXPECT_EQ(limits.try_admit(kA), Admission::kAdmitted);
}

TEST(ConnectionLimits, ConcurrentAdmissionsNeverOvershootTheCap) {
  ConnectionLimits limits(1000, 0);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limits.try_admit(kA) == Admission::kAdmitted) admitted.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 1000);
  EXPECT_EQ(limits.active(), 1000u);
}

}  // namespace
}  // namespace citadel::net
