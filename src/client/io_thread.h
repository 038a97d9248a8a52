// An io_context and the one thread that runs it, for callers that have no
// event loop of their own (citadel-cli, tests). A Client on io() then lives
// on that thread: reach it with post() or call().
#pragma once

#include <functional>
#include <future>
#include <thread>
#include <type_traits>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace citadel::client {

class IoThread {
 public:
  IoThread();
  // Stops the loop and joins the thread (see stop()).
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Runs f on the io thread. Safe to call from any thread.
  void post(std::function<void()> f) { boost::asio::post(io_, std::move(f)); }

  // Runs f on the io thread and waits for its result. Must not be called from
  // the io thread itself (it would wait for itself).
  template <class F>
  auto call(F&& f) -> std::invoke_result_t<F&> {
    using Result = std::invoke_result_t<F&>;
    std::packaged_task<Result()> task(std::forward<F>(f));
    std::future<Result> result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Lets the loop finish and joins the thread. Handlers still queued are not
  // run; they are destroyed with the io_context. Idempotent.
  void stop();

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace citadel::client
