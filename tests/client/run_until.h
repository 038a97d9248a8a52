// Drives an io_context on the test's thread until a condition holds: the
// tests' one way to wait (poll a condition, bounded; never sleep and hope).
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

namespace citadel::client::test {

// Runs `io` until pred() holds or `timeout` passes; true if pred() held.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& pred,
               std::chrono::milliseconds timeout);

}  // namespace citadel::client::test
