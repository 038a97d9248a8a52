#include "run_until.h"

#include <boost/asio/executor_work_guard.hpp>

namespace citadel::client::test {

bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds timeout) {
  // The guard keeps run_one_for waiting for handlers instead of returning at
  // once when nothing is queued.
  auto work = boost::asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.restart();
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace citadel::client::test
