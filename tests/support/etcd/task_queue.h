// A queue of tasks the test thread drains: the executor the fleet's etcd
// tests give their clients (EtcdClient::Executor), so completions run on the
// test thread and a test waits on events (a callback ran, a watch saw a
// delete), bounded by deadlines, never on a fixed sleep.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace citadel::test {

class TaskQueue {
 public:
  void post(std::function<void()> task) {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
    cv_.notify_one();
  }
  // Runs queued tasks until `done()` holds or `timeout` passes. `done` is
  // also checked every 5 ms, for conditions the etcd thread changes without
  // posting a task (Watch::next_revision, LeaseKeeper::renewals).
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::unique_lock lock(mu_);
      if (!cv_.wait_until(
              lock,
              std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(5)),
              [&] { return !tasks_.empty(); })) {
        continue;
      }
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
    }
    return true;
  }
  // Waits until a task is queued, without running it (a test holding a
  // completion back while it changes etcd underneath).
  bool wait_for_task(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return !tasks_.empty(); });
  }
  std::function<void(std::function<void()>)> executor() {
    return [this](std::function<void()> task) { post(std::move(task)); };
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
};

}  // namespace citadel::test
