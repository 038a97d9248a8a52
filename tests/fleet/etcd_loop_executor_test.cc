// How a node will use the etcd client: completions posted to its
// net::EventLoop (fleet/etcd/loop_executor.h), so they run on the loop's
// thread, never on the client's "citadel-etcd" thread. Against a real etcd.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "etcd/etcd_server.h"
#include "fleet/etcd/etcd_client.h"
#include "fleet/etcd/loop_executor.h"
#include "net/event_loop.h"

namespace citadel::fleet::etcd {
namespace {

using namespace std::chrono_literals;

TEST(EtcdLoopExecutor, CompletionsRunOnTheCallersLoop) {
  test::EtcdServer server;
  net::EventLoop loop(0, net::ConnectionOptions{});
  loop.start();
  {
    EtcdClient::Options options;
    options.endpoint.port = server.client_port();
    EtcdClient client(options, on_loop(loop));
    std::promise<std::pair<bool, int64_t>> done;
    client.put("/loop/key", "v", 0, [&](Result<PutResult> r) {
      done.set_value({loop.is_in_loop_thread(), r ? r->revision : -1});
    });
    auto result = done.get_future();
    ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
    const auto [on_loop_thread, revision] = result.get();
    EXPECT_TRUE(on_loop_thread);
    EXPECT_GT(revision, 0);
  }
  loop.stop_and_join();
}

}  // namespace
}  // namespace citadel::fleet::etcd
