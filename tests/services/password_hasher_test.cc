// PasswordHasher's shutdown: queued hashes are dropped, not run (each is
// ~0.1 s of argon2, and a full queue would keep a stopping server alive for
// ~25 s, running callbacks into services being torn down); the hashes in
// progress finish before shutdown() returns, and nothing runs after it.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>

#include "services/auth/password_hasher.h"

namespace citadel::services {
namespace {

TEST(PasswordHasher, ShutdownDropsQueuedJobsAndReturnsOnlyAfterTheOnesInProgress) {
  PasswordHasherConfig config;  // the real, interactive cost: ~0.1 s a hash
  config.threads = 1;
  config.queue_capacity = 64;
  PasswordHasher hasher(config);
  constexpr int kJobs = 12;
  std::atomic<int> done{0};
  for (int i = 0; i < kJobs; ++i) {
    ASSERT_TRUE(hasher.hash("correct horse battery staple", [&](std::string h) {
      EXPECT_FALSE(h.empty());
      ++done;
    }));
  }
  const std::size_t dropped = hasher.shutdown();
  const int ran = done.load();
  // Every job either ran to the end before shutdown() returned or was
  // dropped; with ~1.2 s of work queued, most were dropped.
  EXPECT_EQ(ran + static_cast<int>(dropped), kJobs);
  EXPECT_GE(dropped, static_cast<std::size_t>(kJobs / 2));
  EXPECT_EQ(hasher.queued(), 0u);
  // Refused from now on, and nothing more runs.
  EXPECT_FALSE(hasher.hash("another password", [&](std::string) { ++done; }));
  EXPECT_FALSE(hasher.verify("$argon2id$", "pw", [&](bool) { ++done; }));
  EXPECT_EQ(hasher.shutdown(), 0u);  // idempotent
  EXPECT_EQ(done.load(), ran);
}

TEST(PasswordHasher, HashesAndVerifiesBeforeShutdown) {
  PasswordHasherConfig config;
  config.ops_limit = 1;
  config.mem_limit_bytes = 8192;  // libsodium's minimum: fast
  PasswordHasher hasher(config);
  std::promise<std::string> hashed;
  ASSERT_TRUE(hasher.hash("s3cret-password", [&](std::string h) { hashed.set_value(h); }));
  const std::string h = hashed.get_future().get();
  ASSERT_TRUE(h.starts_with("$argon2id$"));
  std::promise<bool> good, bad;
  ASSERT_TRUE(hasher.verify(h, "s3cret-password", [&](bool ok) { good.set_value(ok); }));
  ASSERT_TRUE(hasher.verify(h, "wrong-password", [&](bool ok) { bad.set_value(ok); }));
  EXPECT_TRUE(good.get_future().get());
  EXPECT_FALSE(bad.get_future().get());
}

}  // namespace
}  // namespace citadel::services
