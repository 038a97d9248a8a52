// The fleet chat link (src/fleet/chat/fleet_chat_link.h) in process, against
// a real redis-server: two links (two nodes) on a real net::EventLoop thread,
// their counters read from the test's thread as the admin thread reads them
// for /metrics. Crosses threads on purpose: a TSan suite (scripts/test.sh).
// Every wait is bounded and waits for an event (a counter, a callback).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "fleet/chat/chat_event_codec.h"
#include "fleet/chat/fleet_chat_link.h"
#include "net/event_loop.h"
#include "redis/redis_server.h"
#include "support/deadline.h"

namespace citadel::fleet::chat {
namespace {

using namespace std::chrono_literals;
using services::ChatFleetEvent;

using citadel::test::eventually;

class FleetChatLinkTest : public ::testing::Test {
 protected:
  struct Node {
    std::unique_ptr<FleetChatLink> link;
    std::vector<ChatFleetEvent> events;  // loop thread
    std::vector<std::string> origins;    // loop thread
    std::atomic<bool> reading{false};
  };

  FleetChatLinkTest() : loop_(0, net::ConnectionOptions{}) { loop_.start(); }
  ~FleetChatLinkTest() override {
    // The links' clients belong to the loop: destroyed (a_, b_, declared
    // after loop_) only once it stopped.
    loop_.stop_and_join();
  }

  // Runs f on the loop thread and waits for it.
  void on_loop(std::function<void()> f) {
    std::promise<void> done;
    loop_.post([&] {
      f();
      done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  }

  void start(Node& n, const std::string& id) {
    on_loop([&] {
      FleetChatLink::Options o;
      o.url = *redis::parse_redis_url(redis_.url());
      o.node_id = id;
      o.stream_key = "t:chat";
      n.link = std::make_unique<FleetChatLink>(
          loop_, o, [&n](const std::string& origin, const ChatFleetEvent& e) -> std::size_t {
            n.origins.push_back(origin);
            n.events.push_back(e);
            return 3;  // as if three users here got it
          });
      n.link->start([&n] { n.reading = true; });
    });
    ASSERT_TRUE(eventually([&] { return n.reading.load(); }));
  }

  // Publishes on the loop; the outcome, once Redis answered.
  bool publish(Node& n, const ChatFleetEvent& e) {
    auto outcome = std::make_shared<std::promise<bool>>();
    auto f = outcome->get_future();
    loop_.post(
        [&n, e, outcome] { n.link->publish(e, [outcome](bool ok) { outcome->set_value(ok); }); });
    EXPECT_EQ(f.wait_for(5s), std::future_status::ready);
    return f.get();
  }

  static ChatFleetEvent message(const std::string& text) {
    ChatFleetEvent e;
    e.kind = ChatFleetEvent::Kind::kMessage;
    e.channel = "world";
    e.user_id = 1;
    e.username = "alice";
    e.text = text;
    e.sent_unix_ms = 123;
    return e;
  }

  test::RedisServer redis_;  // this suite's own: one test stops it
  net::EventLoop loop_;
  Node a_, b_;  // node-a and node-b
};

TEST_F(FleetChatLinkTest, EventsReachTheOtherNodeInOrderAndNotTheSender) {
  Node& a = a_;
  Node& b = b_;
  start(a, "node-a");
  start(b, "node-b");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(publish(a, message(std::to_string(i))));
  // Read here as /metrics reads them: atomics, from another thread.
  ASSERT_TRUE(eventually([&] { return b.link->counters().received.load() == 50; }));
  EXPECT_EQ(a.link->counters().published.load(), 50u);
  EXPECT_EQ(b.link->counters().delivered.load(), 150u);
  EXPECT_EQ(b.link->counters().malformed.load(), 0u);
  on_loop([&] {
    ASSERT_EQ(b.events.size(), 50u);
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(b.events[i].text, std::to_string(i));
      EXPECT_EQ(b.origins[i], "node-a");
    }
    // Its own entries were skipped when read back.
    EXPECT_TRUE(a.events.empty());
  });
  EXPECT_EQ(a.link->counters().received.load(), 0u);
}

TEST_F(FleetChatLinkTest, MalformedEntriesAreCountedAndSkipped) {
  Node& a = a_;
  Node& b = b_;
  start(a, "node-a");
  start(b, "node-b");
  redis_.command({"XADD", "t:chat", "*", "o", "x", "t", "chat", "p", "\xC7\x01\x63"});
  redis_.command({"XADD", "t:chat", "*", "o", "x", "t", "other", "p", "x"});
  redis_.command({"XADD", "t:chat", "*", "only", "junk"});
  ASSERT_TRUE(publish(a, message("after the junk")));
  ASSERT_TRUE(eventually([&] { return b.link->counters().received.load() == 1; }));
  EXPECT_EQ(b.link->counters().malformed.load(), 3u);
  on_loop([&] {
    ASSERT_EQ(b.events.size(), 1u);
    EXPECT_EQ(b.events[0].text, "after the junk");
  });
}

TEST_F(FleetChatLinkTest, RedisAwayPublishFailsThenWorksAgain) {
  Node& a = a_;
  Node& b = b_;
  start(a, "node-a");
  start(b, "node-b");
  redis_.stop();
  EXPECT_FALSE(publish(a, message("lost")));
  EXPECT_EQ(a.link->counters().publish_failures.load(), 1u);
  // An event too large for its length prefix is refused before Redis.
  ChatFleetEvent big = message(std::string(70'000, 'x'));
  EXPECT_FALSE(publish(a, big));
  EXPECT_EQ(a.link->counters().publish_failures.load(), 2u);

  redis_.start();
  // The writer reconnects by itself (backoff): publish until it is back.
  ASSERT_TRUE(eventually([&] { return publish(a, message("back")); }));
  ASSERT_TRUE(eventually([&] { return b.link->counters().received.load() >= 1; }));
  on_loop([&] {
    ASSERT_FALSE(b.events.empty());
    EXPECT_EQ(b.events.back().text, "back");
    for (const auto& e : b.events) EXPECT_NE(e.text, "lost");
  });
}

}  // namespace
}  // namespace citadel::fleet::chat
