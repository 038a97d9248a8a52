// The completion token of every Asio coroutine here (the admin HTTP server,
// the etcd client): `auto [ec, n] = co_await op(..., kNoThrow)` hands back the
// error code instead of throwing, so a peer's reset or a timeout is an
// ordinary branch, not an exception unwinding through the coroutine.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace citadel::ops {

inline constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);

}  // namespace citadel::ops
