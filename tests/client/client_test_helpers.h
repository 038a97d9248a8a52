// What the Client suites against a scripted server (fake_server.h) share:
// options that keep a client's own timers out of a test's way, and the typed
// view of a frame the client sent.
#pragma once

#include <chrono>

#include "client/client.h"
#include "fake_server.h"
#include "protocol/verified_payload.h"
#include "recorder.h"

namespace citadel::client::test {

// No heartbeat and no dead-peer timer (a test that wants them turns them on),
// short connect and request timeouts, and a fast reconnect backoff.
inline ClientOptions quiet_options(
    std::chrono::milliseconds request_timeout = std::chrono::seconds(2)) {
  ClientOptions o;
  o.heartbeat_interval = std::chrono::milliseconds(0);
  o.dead_after = std::chrono::milliseconds(0);
  o.connect_timeout = std::chrono::seconds(2);
  o.request_timeout = request_timeout;
  o.backoff.base = std::chrono::milliseconds(20);
  o.backoff.cap = std::chrono::milliseconds(100);
  return o;
}

// The frame's payload as its FlatBuffers table, or null if it does not verify.
template <class Table>
const Table* table_of(const Frame& f) {
  return protocol::verified_root<Table>(bytes(f.payload));
}

}  // namespace citadel::client::test
