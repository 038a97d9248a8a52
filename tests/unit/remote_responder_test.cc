// Remote connections on a loop (net/event_loop.h): an id whose node slot is
// not zero names a player whose socket is in another process; a Responder
// registered on a loop answers for it, and the Outbox (LocalOutbox), which
// services and rooms use, reaches it by id exactly as it reaches a socket:
// send, send_many and with_connection. Once removed, a frame for it is
// dropped and counted, and with_connection runs on_gone.
#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "fake_peer.h"
#include "net/event_loop.h"
#include "server/local_outbox.h"
#include "server/outbox.h"

namespace citadel {
namespace {

class RecordingPeer final : public testing::FakePeer {
 public:
  void send(uint16_t cmd, std::span<const uint8_t>) override { cmds.push_back(cmd); }
  void send_error(protocol::ErrorCode, std::string_view) override { cmds.push_back(0x00FF); }
  std::vector<uint16_t> cmds;
};

template <class F>
auto run_on(net::EventLoop& loop, F f) {
  std::packaged_task<decltype(f())()> task(std::move(f));
  auto done = task.get_future();
  loop.post([&task] { task(); });
  return done.get();
}

// [slot][loop][sequence]
uint64_t remote_id(uint32_t slot, uint32_t loop, uint64_t seq) {
  return (uint64_t{slot} << 56) | (uint64_t{loop} << 48) | seq;
}

TEST(RemoteResponder, IdsCarryTheNodeSlotAndTheLoop) {
  const uint64_t id = remote_id(3, 1, 77);
  EXPECT_EQ(net::EventLoop::node_slot_of(id), 3u);
  EXPECT_EQ(net::EventLoop::loop_of(id), 1u);
  const uint64_t local = (uint64_t{255} << 48) | 5;
  EXPECT_EQ(net::EventLoop::node_slot_of(local), 0u);
  EXPECT_EQ(net::EventLoop::loop_of(local), 255u);
}

TEST(RemoteResponder, TheOutboxReachesARegisteredRemotePlayerAndDropsAGoneOne) {
  net::EventLoop loop0(0, net::ConnectionOptions{});
  net::EventLoop loop1(1, net::ConnectionOptions{});
  loop0.start();
  loop1.start();
  server::LocalOutbox outbox({&loop0, &loop1});
  RecordingPeer a, b;
  const uint64_t id_a = remote_id(1, 1, 10);
  const uint64_t id_b = remote_id(2, 1, 11);
  a.connection_id_ = id_a;
  b.connection_id_ = id_b;
  run_on(loop1, [&] {
    loop1.add_remote_responder_in_loop(id_a, &a);
    loop1.add_remote_responder_in_loop(id_b, &b);
  });

  std::vector<uint8_t> payload{1};
  const auto frame = server::make_shared_frame(0x0311, payload);
  outbox.send(id_a, frame);  // from no loop: posted to loop 1
  const std::vector<uint64_t> both{id_a, id_b};
  outbox.send_many(both, server::make_shared_frame(0x0303, payload));
  std::promise<uint64_t> seen;
  outbox.with_connection(id_b, [&](net::Responder& r) { seen.set_value(r.connection_id()); });
  EXPECT_EQ(seen.get_future().get(), id_b);
  run_on(loop1, [] { return 0; });  // everything posted before has run
  EXPECT_EQ(run_on(loop1, [&] { return a.cmds; }), (std::vector<uint16_t>{0x0311, 0x0303}));
  EXPECT_EQ(run_on(loop1, [&] { return b.cmds; }), (std::vector<uint16_t>{0x0303}));

  // From loop 1 itself the frame is queued at once (no post).
  run_on(loop1, [&] {
    outbox.send_from(&loop1, id_a, frame);
    EXPECT_EQ(a.cmds.size(), 3u);
  });

  run_on(loop1, [&] { loop1.remove_remote_responder_in_loop(id_a); });
  const uint64_t dropped_before = loop1.stats().deliveries_dropped.get();
  outbox.send(id_a, frame);
  std::promise<bool> gone;
  outbox.with_connection(
      id_a, [&](net::Responder&) { gone.set_value(false); }, [&] { gone.set_value(true); });
  EXPECT_TRUE(gone.get_future().get());
  run_on(loop1, [] { return 0; });
  EXPECT_EQ(loop1.stats().deliveries_dropped.get(), dropped_before + 2);
  EXPECT_EQ(run_on(loop1, [&] { return a.cmds.size(); }), 3u);
  loop0.stop_and_join();
  loop1.stop_and_join();
}

}  // namespace
}  // namespace citadel
