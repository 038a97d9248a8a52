// ops::LoopLiveness: the systemd watchdog pings only when every loop ran the
// task posted to it one round earlier. The loops here are queues the test
// runs by hand, so "a loop is hung" is simply "its queue is not run".
#include "ops/loop_liveness.h"

#include <gtest/gtest.h>

#include <deque>
#include <thread>

#include "net/event_loop.h"

namespace citadel::ops {
namespace {

struct FakeLoops {
  explicit FakeLoops(std::size_t n) : queues(n) {}
  std::vector<LoopLiveness::Post> posts() {
    std::vector<LoopLiveness::Post> out;
    for (auto& q : queues) out.push_back([&q](LoopLiveness::Task t) { q.push_back(std::move(t)); });
    return out;
  }
  void run(std::size_t i) {
    while (!queues[i].empty()) {
      auto task = std::move(queues[i].front());
      queues[i].pop_front();
      task();
    }
  }
  void run_all() {
    for (std::size_t i = 0; i < queues.size(); ++i) run(i);
  }
  std::vector<std::deque<LoopLiveness::Task>> queues;
};

TEST(LoopLivenessTest, FirstRoundPassesAndPostsOneTaskPerLoop) {
  FakeLoops loops(3);
  LoopLiveness liveness(loops.posts());
  EXPECT_TRUE(liveness.check_and_probe());
  for (const auto& q : loops.queues) EXPECT_EQ(q.size(), 1u);
}

TEST(LoopLivenessTest, PassesWhileEveryLoopRunsItsTask) {
  FakeLoops loops(3);
  LoopLiveness liveness(loops.posts());
  ASSERT_TRUE(liveness.check_and_probe());
  for (int round = 0; round < 5; ++round) {
    loops.run_all();
    EXPECT_TRUE(liveness.check_and_probe()) << "round " << round;
    EXPECT_TRUE(liveness.missed().empty());
  }
}

TEST(LoopLivenessTest, OneHungLoopFailsTheRoundAndIsNamed) {
  FakeLoops loops(3);
  LoopLiveness liveness(loops.posts());
  ASSERT_TRUE(liveness.check_and_probe());
  loops.run(0);
  loops.run(2);  // loop 1 is hung
  EXPECT_FALSE(liveness.check_and_probe());
  EXPECT_EQ(liveness.missed(), std::vector<std::size_t>{1});
  // Still hung a round later: the others answering does not hide it.
  loops.run(0);
  loops.run(2);
  EXPECT_FALSE(liveness.check_and_probe());
  EXPECT_EQ(liveness.missed(), std::vector<std::size_t>{1});
}

TEST(LoopLivenessTest, AnsweringAnOlderRoundIsNotEnough) {
  FakeLoops loops(2);
  LoopLiveness liveness(loops.posts());
  ASSERT_TRUE(liveness.check_and_probe());
  loops.run_all();
  ASSERT_TRUE(liveness.check_and_probe());  // round 2 posted
  loops.run(0);
  // Loop 1 last ran round 1's task: round 2 is missing.
  EXPECT_FALSE(liveness.check_and_probe());
  EXPECT_EQ(liveness.missed(), std::vector<std::size_t>{1});
}

TEST(LoopLivenessTest, ALoopThatRecoversPassesAgain) {
  FakeLoops loops(2);
  LoopLiveness liveness(loops.posts());
  ASSERT_TRUE(liveness.check_and_probe());
  EXPECT_FALSE(liveness.check_and_probe());  // nobody ran anything
  EXPECT_EQ(liveness.missed().size(), 2u);
  loops.run_all();  // runs the backlog, the latest round last
  EXPECT_TRUE(liveness.check_and_probe());
}

TEST(LoopLivenessTest, TasksQueuedAfterTheProbeIsGoneAreSafe) {
  FakeLoops loops(1);
  {
    LoopLiveness liveness(loops.posts());
    liveness.check_and_probe();
  }
  loops.run_all();  // writes to the shared answers, not to freed memory (ASan checks)
  SUCCEED();
}

// The real thing: net::EventLoop threads. A loop blocked in a task fails the
// round; once it is released it passes again.
TEST(LoopLivenessTest, RealEventLoopBlockedInATaskFailsTheRound) {
  net::ConnectionOptions options;
  net::EventLoop a(0, options);
  net::EventLoop b(1, options);
  a.start();
  b.start();
  std::vector<LoopLiveness::Post> posts;
  for (net::EventLoop* loop : {&a, &b}) {
    posts.push_back([loop](LoopLiveness::Task t) { loop->post(std::move(t)); });
  }
  LoopLiveness liveness(std::move(posts));
  ASSERT_TRUE(liveness.check_and_probe());

  // Waits (bounded) until a round passes: the loops run posted tasks promptly.
  auto passes_within = [&](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (liveness.check_and_probe()) return true;
    }
    return false;
  };
  EXPECT_TRUE(passes_within(std::chrono::seconds(5)));

  std::atomic<bool> release{false};
  std::atomic<bool> blocked{false};
  b.post([&] {
    blocked = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (!blocked) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  liveness.check_and_probe();  // posts a task loop b cannot run
  // Loop a runs tasks in order: once this one ran, so did a's probe.
  std::atomic<bool> a_caught_up{false};
  a.post([&] { a_caught_up = true; });
  while (!a_caught_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(liveness.check_and_probe());
  EXPECT_EQ(liveness.missed(), std::vector<std::size_t>{1});

  release = true;
  EXPECT_TRUE(passes_within(std::chrono::seconds(5)));
  a.stop_and_join();
  b.stop_and_join();
}

}  // namespace
}  // namespace citadel::ops
