// One etcd watch (EtcdClient::watch): a POST /v3/watch whose answer is a
// chunked stream of JSON messages, one a line, read by a coroutine on the
// client's "citadel-etcd" thread. When the stream breaks (etcd restarted,
// the connection dropped) it reconnects after a backoff and asks for the
// revision after the last event it delivered, so a caller sees each event
// once, in order, across reconnects.
//
// Executor thread (the one the client's Executor runs tasks on): cancel()
// and the destructor. After cancel() returns there, the callback is never
// run again: a batch already posted checks the flag before it runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "fleet/etcd/etcd_client.h"

namespace citadel::fleet::etcd {

class Watch {
 public:
  // Use EtcdClient::watch.
  Watch(EtcdClient& client, std::string key, std::string range_end, int64_t start_revision,
        EtcdClient::WatchCallback callback);
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  void cancel();
  // The revision the watch resumes from after a reconnect (0: "now", before
  // etcd confirmed the watch). Any thread.
  int64_t next_revision() const;
  // Streams set up so far: 1 once connected, +1 per reconnect. Any thread.
  uint64_t streams() const;

  struct State;  // shared with the coroutine (etcd_watch.cc)

 private:
  EtcdClient& client_;
  std::shared_ptr<State> state_;
};

}  // namespace citadel::fleet::etcd
