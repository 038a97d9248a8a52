// CITADEL_ASSERT_IN_LOOP: an *_in_loop method called from a thread other
// than its loop's aborts, naming the loop, in the builds that check (Debug,
// and the sanitizer builds with CITADEL_THREAD_CHECKS); Release compiles the
// check away.
#include <gtest/gtest.h>

#include <future>

#include "net/event_loop.h"

namespace citadel::net {
namespace {

TEST(ThreadChecks, AnInLoopMethodFromAForeignThreadAbortsNamingTheLoop) {
  if (!kThreadChecks) GTEST_SKIP() << "thread checks are compiled out of this (Release) build";
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the loop runs a thread
  EventLoop loop(7, ConnectionOptions{});
  loop.start();
  // On its own thread the same call is fine.
  std::promise<bool> ran;
  loop.post([&] {
    loop.run_at_in_loop(EventLoop::Clock::now(), [] {});
    ran.set_value(true);
  });
  EXPECT_TRUE(ran.get_future().get());
  EXPECT_DEATH(loop.run_at_in_loop(EventLoop::Clock::now(), [] {}),
               "loop 7: called from a foreign thread");
  EXPECT_DEATH(loop.find_in_loop(1), "foreign thread");
  loop.stop_and_join();
}

}  // namespace
}  // namespace citadel::net
