#include "store/bounded_batch_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace citadel::store {
namespace {

using namespace std::chrono_literals;
using Queue = BoundedBatchQueue<std::unique_ptr<int>>;

TEST(BoundedBatchQueue, RefusesWhenFullAndLeavesTheItemWithTheCaller) {
  Queue q(2);
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int>(2);
  auto c = std::make_unique<int>(3);
  EXPECT_EQ(q.try_push(a), Queue::Push::kAccepted);
  EXPECT_EQ(q.try_push(b), Queue::Push::kAccepted);
  EXPECT_EQ(q.try_push(c), Queue::Push::kFull);
  ASSERT_NE(c, nullptr);  // not moved from: the caller can still complete it
  EXPECT_EQ(*c, 3);
  EXPECT_EQ(q.outstanding(), 2u);
}

TEST(BoundedBatchQueue, TakenItemsKeepTheirPlaceUntilReleased) {
  Queue q(2);
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int>(2);
  ASSERT_EQ(q.try_push(a), Queue::Push::kAccepted);
  ASSERT_EQ(q.try_push(b), Queue::Push::kAccepted);
  std::vector<std::unique_ptr<int>> taken;
  ASSERT_TRUE(q.wait_take_all(taken));
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(*taken[0], 1);  // FIFO
  EXPECT_EQ(*taken[1], 2);
  // In the consumer's hands but not finished: still counted against the bound.
  auto c = std::make_unique<int>(3);
  EXPECT_EQ(q.try_push(c), Queue::Push::kFull);
  q.release(2);
  EXPECT_EQ(q.try_push(c), Queue::Push::kAccepted);
}

TEST(BoundedBatchQueue, CloseRefusesNewItemsButHandsOverQueuedOnes) {
  Queue q(4);
  auto a = std::make_unique<int>(1);
  ASSERT_EQ(q.try_push(a), Queue::Push::kAccepted);
  q.close();
  auto b = std::make_unique<int>(2);
  EXPECT_EQ(q.try_push(b), Queue::Push::kClosed);
  std::vector<std::unique_ptr<int>> taken;
  ASSERT_TRUE(q.wait_take_all(taken));
  EXPECT_EQ(taken.size(), 1u);
  EXPECT_FALSE(q.wait_take_all(taken));
  EXPECT_TRUE(taken.empty());
}

TEST(BoundedBatchQueue, SleepingConsumerIsWokenByPushAndByClose) {
  Queue q(1000);
  std::atomic<int> received{0};
  std::thread consumer([&] {
    std::vector<std::unique_ptr<int>> taken;
    while (q.wait_take_all(taken)) {
      received += static_cast<int>(taken.size());
      q.release(taken.size());
    }
  });
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        auto item = std::make_unique<int>(i);
        while (q.try_push(item) != Queue::Push::kAccepted) std::this_thread::yield();
      }
    });
  }
  for (auto& p : producers) p.join();
  q.close();
  consumer.join();  // hangs (and the test times out) if a wake-up were lost
  EXPECT_EQ(received.load(), 900);
}

TEST(BoundedBatchQueue, FillWindowWaitsForMoreUntilTheDeadline) {
  using Clock = std::chrono::steady_clock;
  Queue q(100);
  auto a = std::make_unique<int>(1);
  ASSERT_EQ(q.try_push(a), Queue::Push::kAccepted);
  std::vector<std::unique_ptr<int>> taken;
  const auto start = Clock::now();
  ASSERT_TRUE(q.wait_take_all(taken, 10, start + 50ms));
  EXPECT_GE(Clock::now() - start, 50ms);  // only one pending: it waited the window out
  EXPECT_EQ(taken.size(), 1u);
  q.release(1);
}

TEST(BoundedBatchQueue, FillWindowEndsAsSoonAsEnoughArePending) {
  using Clock = std::chrono::steady_clock;
  Queue q(100);
  auto first = std::make_unique<int>(0);
  ASSERT_EQ(q.try_push(first), Queue::Push::kAccepted);
  std::thread producer([&] {
    for (int i = 1; i < 3; ++i) {
      auto item = std::make_unique<int>(i);
      ASSERT_EQ(q.try_push(item), Queue::Push::kAccepted);
    }
  });
  std::vector<std::unique_ptr<int>> taken;
  const auto start = Clock::now();
  // A 60 s window: returning at all (well inside the test timeout) proves
  // the third push woke the consumer.
  ASSERT_TRUE(q.wait_take_all(taken, 3, start + 60s));
  producer.join();
  EXPECT_LT(Clock::now() - start, 30s);
  EXPECT_EQ(taken.size(), 3u);
}

TEST(BoundedBatchQueue, CloseEndsAFillWindow) {
  Queue q(100);
  auto a = std::make_unique<int>(1);
  ASSERT_EQ(q.try_push(a), Queue::Push::kAccepted);
  std::thread closer([&] { q.close(); });
  std::vector<std::unique_ptr<int>> taken;
  ASSERT_TRUE(q.wait_take_all(taken, 10, std::chrono::steady_clock::now() + 60s));
  closer.join();
  EXPECT_EQ(taken.size(), 1u);
}

}  // namespace
}  // namespace citadel::store
