// The EtcdClient::Executor of a component that lives on a net::EventLoop:
// completions are posted to the loop, so they run on its thread with no
// lock. Header only, so citadel_etcd itself needs nothing of net; a target
// that uses it links citadel_core (which it does anyway: it has a loop).
#pragma once

#include "fleet/etcd/etcd_client.h"
#include "net/event_loop.h"

namespace citadel::fleet::etcd {

// `loop` must outlive the client (and every task it posts).
inline EtcdClient::Executor on_loop(net::EventLoop& loop) {
  return [&loop](std::function<void()> task) { loop.post(std::move(task)); };
}

}  // namespace citadel::fleet::etcd
