// A callback that runs only while its owner lives: the owner holds `alive`
// (set to false in its destructor) and hands out guarded(alive, f) to the
// etcd client and its loop. Callbacks and the destructor run on the same
// thread (the owner's loop), so a plain bool is enough.
#pragma once

#include <memory>
#include <utility>

namespace citadel::fleet {

template <class F>
auto guarded(const std::shared_ptr<bool>& alive, F f) {
  return [alive, f = std::move(f)](auto&&... args) mutable {
    if (*alive) f(std::forward<decltype(args)>(args)...);
  };
}

}  // namespace citadel::fleet
