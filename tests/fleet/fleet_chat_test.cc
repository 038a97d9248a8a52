// Chat across the fleet, black box (docs/fleet.md "Chat across the fleet"):
// two real `citadel` processes on one real etcd (membership), one real
// redis-server (the chat stream) and one real PostgreSQL database (shared
// accounts and history), clients on each node speaking frames.
//
// Synchronisation: on events (a push, a reply, a counter on /metrics, the
// live node table), each wait bounded; where a node must first learn of
// something the other did (a channel, a user online), the test asks again
// until it has, within a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "admin_process.h"
#include "etcd/etcd_server.h"
#include "frame_helpers.h"
#include "http_client.h"
#include "postgres/postgres_server.h"
#include "protocol/auth_generated.h"
#include "protocol/chat_generated.h"
#include "protocol/commands.h"
#include "redis/redis_server.h"
#include "server_process.h"
#include "support/deadline.h"

namespace citadel::test {
namespace {

namespace msg = citadel::msg;
namespace cmd = citadel::protocol::cmd;
using Clock = std::chrono::steady_clock;

// Polls `done` every 20 ms until it holds or `limit` passes.
// A client on one node. Pushes read while waiting for a reply are kept for
// the next_* helpers, so none is lost to a reply that came after it.
struct User {
  TestClient conn;
  uint64_t id = 0;
  std::string name;
  std::deque<Frame> pushes;

  // The next frame with cmd `want`: from the kept pushes first, then from
  // the socket, keeping every other push on the way.
  std::optional<Frame> next(uint16_t want, std::chrono::milliseconds wait = 5s) {
    for (auto it = pushes.begin(); it != pushes.end(); ++it) {
      if (it->cmd == want) {
        Frame f = std::move(*it);
        pushes.erase(it);
        return f;
      }
    }
    const auto deadline = Clock::now() + wait;
    while (Clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      ReadResult r = conn.read_frame(std::max(left, std::chrono::milliseconds(1)));
      if (r.status != ReadStatus::kFrame) return std::nullopt;
      if (r.frame.cmd == want) return std::move(r.frame);
      if (r.frame.cmd == cmd::kChatMessage || r.frame.cmd == cmd::kPresence) {
        pushes.push_back(std::move(r.frame));
      }
    }
    return std::nullopt;
  }
};

struct Pushed {
  std::string channel;
  uint64_t from = 0;
  std::string text;
  bool is_private = false;
};

struct Presence {
  std::string channel;
  uint64_t user_id = 0;
  bool online = false;
};

struct Reply {
  msg::ChatResult result = msg::ChatResult::InternalError;
  std::set<uint64_t> members;
  std::vector<std::string> history;
  uint64_t online_count = 0;
};

class FleetChat : public testing::Test {
 protected:
  void SetUp() override { db_url_ = PostgresServer::shared().create_database(); }
  // Nodes still running stop cleanly (SIGTERM: exit 0), and said nothing
  // of a sanitizer in an ASan build.
  void TearDown() override {
    for (AdminServerProcess* n : {&n1_, &n2_}) {
      if (!n->server || !n->server->running()) continue;
      const auto exit = n->server->stop(SIGTERM, 15s);
      EXPECT_TRUE(exit && exit->exited && exit->code == 0)
          << (exit ? exit->describe() : "still running") << n->server->output();
      EXPECT_EQ(n->server->output().find("Sanitizer"), std::string::npos) << n->server->output();
      EXPECT_EQ(n->server->output().find("runtime error:"), std::string::npos)
          << n->server->output();
    }
  }

  std::string node_yaml(const std::string& id) const {
    return "fleet:\n  etcd: " + etcd_.client_url() + "\n  node_id: " + id +
           "\n  lease_ttl_ms: 2000\nredis:\n  url: " + redis_.url() +
           "\nstore:\n  backend: postgres\n  postgres: {url: '" + db_url_ +
           "'}\nrecovery:\n  enabled: false\ncrash:\n  enabled: false\n";
  }

  AdminServerProcess start_node(const std::string& id) {
    ServerOptions o;
    o.config_yaml = node_yaml(id);
    AdminServerProcess node;
    std::string why;
    EXPECT_TRUE(start_with_admin(o, node, &why)) << why;
    return node;
  }

  // Two nodes that see each other, each reading the other's chat events:
  // node 2's hello reached node 1, and node 1's answer reached node 2.
  void start_two() {
    n1_ = start_node("chat-1");
    ASSERT_TRUE(n1_.server);
    n2_ = start_node("chat-2");
    ASSERT_TRUE(n2_.server);
    ASSERT_TRUE(eventually(
        [&] {
          return metric(n1_.admin_port, "citadel_fleet_chat_received_total") >= 1 &&
                 metric(n2_.admin_port, "citadel_fleet_chat_received_total") >= 1;
        },
        10s))
        << n1_.server->output() << n2_.server->output();
  }

  static User login(AdminServerProcess& node, const std::string& device) {
    User u;
    EXPECT_TRUE(u.conn.connect(node.server->port()));
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateGuestLoginDirect(fbb, 1, device.c_str()));
    EXPECT_TRUE(u.conn.send_frame(cmd::kGuestLogin, bytes_of(fbb)));
    const auto f = u.next(cmd::kAuthReply);
    if (!f) {
      ADD_FAILURE() << "no AuthReply";
      return u;
    }
    const auto* r = flatbuffers::GetRoot<msg::AuthReply>(f->payload.data());
    EXPECT_EQ(r->result(), msg::AuthResult::Ok);
    u.id = r->user_id();
    u.name = r->username() ? r->username()->str() : "";
    return u;
  }

  // Sends one chat request and reads its ChatReply (pushes before it are skipped).
  static Reply request(User& u, uint16_t command, const flatbuffers::FlatBufferBuilder& fbb) {
    EXPECT_TRUE(u.conn.send_frame(command, bytes_of(fbb)));
    Reply out;
    const auto f = u.next(cmd::kChatReply);
    if (!f) {
      ADD_FAILURE() << "no ChatReply";
      return out;
    }
    const auto* r = flatbuffers::GetRoot<msg::ChatReply>(f->payload.data());
    out.result = r->result();
    out.online_count = r->online_count();
    if (r->members()) {
      for (const auto* m : *r->members()) out.members.insert(m->user_id());
    }
    if (r->history()) {
      for (const auto* m : *r->history()) out.history.push_back(m->text() ? m->text()->str() : "");
    }
    return out;
  }
  static Reply channel_op(User& u, uint16_t command, const std::string& channel) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto c = fbb.CreateString(channel);
    if (command == cmd::kChatCreate) fbb.Finish(msg::CreateChatCreate(fbb, 2, c));
    if (command == cmd::kChatJoin) fbb.Finish(msg::CreateChatJoin(fbb, 2, c));
    if (command == cmd::kChatLeave) fbb.Finish(msg::CreateChatLeave(fbb, 2, c));
    if (command == cmd::kChatMembers) fbb.Finish(msg::CreateChatMembers(fbb, 2, c));
    return request(u, command, fbb);
  }
  static Reply say(User& u, const std::string& channel, const std::string& text) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateChatSendDirect(fbb, 3, channel.c_str(), text.c_str()));
    return request(u, cmd::kChatSend, fbb);
  }
  static Reply tell(User& u, uint64_t to_id, const std::string& to_name, const std::string& text) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateChatPrivateDirect(
        fbb, 4, to_id, to_name.empty() ? nullptr : to_name.c_str(), text.c_str()));
    return request(u, cmd::kChatPrivate, fbb);
  }
  static uint64_t online_count(User& u) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateChatOnlineCount(fbb, 5));
    return request(u, cmd::kChatOnlineCount, fbb).online_count;
  }
  // The next ChatMessage push (other frames skipped).
  static std::optional<Pushed> next_message(User& u, std::chrono::milliseconds wait = 5s) {
    const auto f = u.next(cmd::kChatMessage, wait);
    if (!f) return std::nullopt;
    const auto* m = flatbuffers::GetRoot<msg::ChatMessage>(f->payload.data());
    return Pushed{m->channel() ? m->channel()->str() : "", m->from_user_id(),
                  m->text() ? m->text()->str() : "", m->private_()};
  }
  static std::optional<Presence> next_presence(User& u, std::chrono::milliseconds wait = 5s) {
    const auto f = u.next(cmd::kPresence, wait);
    if (!f) return std::nullopt;
    const auto* p = flatbuffers::GetRoot<msg::Presence>(f->payload.data());
    return Presence{p->channel() ? p->channel()->str() : "", p->user_id(), p->online()};
  }
  // Joins `channel` once the node has heard that it exists elsewhere.
  static Reply join_when_known(User& u, const std::string& channel) {
    Reply r;
    eventually(
        [&] {
          r = channel_op(u, cmd::kChatJoin, channel);
          return r.result != msg::ChatResult::NoSuchChannel;
        },
        5s);
    return r;
  }

  EtcdServer etcd_;
  RedisServer redis_;  // this test's own: some tests stop it
  std::string db_url_;
  AdminServerProcess n1_, n2_;
};

TEST_F(FleetChat, WorldMessagesCrossBothWaysOnceEachInOrder) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User bob = login(n2_, "device-bob-2");
  ASSERT_NE(alice.id, bob.id) << "one account store: distinct ids";

  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(say(alice, "world", "from n1 #" + std::to_string(i)).result, msg::ChatResult::Ok);
  }
  ASSERT_EQ(say(bob, "world", "from n2").result, msg::ChatResult::Ok);
  // Bob: alice's five in her order, then his own (local, straight from n2).
  for (int i = 0; i < 5; ++i) {
    const auto m = next_message(bob);
    ASSERT_TRUE(m) << n2_.server->output();
    EXPECT_EQ(m->channel, "world");
    EXPECT_EQ(m->from, alice.id);
    EXPECT_EQ(m->text, "from n1 #" + std::to_string(i));
  }
  // Alice: her own five (local), then bob's, each once.
  std::vector<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    const auto m = next_message(alice);
    ASSERT_TRUE(m) << n1_.server->output();
    seen.push_back(m->text);
  }
  EXPECT_EQ(seen.back(), "from n2");
  const auto own = next_message(bob);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->text, "from n2");
  // Nothing twice: the next message each sees is a new one.
  ASSERT_EQ(say(alice, "world", "marker").result, msg::ChatResult::Ok);
  const auto a = next_message(alice), b = next_message(bob);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->text, "marker");
  EXPECT_EQ(b->text, "marker");

  EXPECT_GE(metric(n1_.admin_port, "citadel_fleet_chat_published_total"), 6);
  EXPECT_GE(metric(n2_.admin_port, "citadel_fleet_chat_delivered_total"), 6);
  EXPECT_EQ(metric(n1_.admin_port, "citadel_fleet_chat_malformed_total"), 0);
  EXPECT_EQ(metric(n1_.admin_port, "citadel_fleet_chat_publish_failures_total"), 0);
}

TEST_F(FleetChat, NamedChannelAcrossNodesPresenceMembersAndHistory) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User bob = login(n2_, "device-bob-2");
  ASSERT_EQ(channel_op(alice, cmd::kChatCreate, "crew").result, msg::ChatResult::Ok);

  // Bob's node learns that crew exists on node 1; his join lists both.
  const Reply joined = join_when_known(bob, "crew");
  ASSERT_EQ(joined.result, msg::ChatResult::Ok) << n2_.server->output();
  EXPECT_EQ(joined.members, (std::set<uint64_t>{alice.id, bob.id}));
  // Creating it again from node 2 is refused: it exists in the fleet.
  User carol = login(n2_, "device-carol-2");
  EXPECT_EQ(channel_op(carol, cmd::kChatCreate, "crew").result, msg::ChatResult::ChannelExists);

  // Alice is told bob joined (presence from node 2).
  const auto online = next_presence(alice);
  ASSERT_TRUE(online) << n1_.server->output();
  EXPECT_EQ(online->channel, "crew");
  EXPECT_EQ(online->user_id, bob.id);
  EXPECT_TRUE(online->online);
  // Members from node 1 list bob too.
  EXPECT_EQ(channel_op(alice, cmd::kChatMembers, "crew").members,
            (std::set<uint64_t>{alice.id, bob.id}));

  // A message in crew reaches bob on node 2, not carol (not a member).
  ASSERT_EQ(say(alice, "crew", "hi crew").result, msg::ChatResult::Ok);
  auto m = next_message(bob);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel, "crew");
  EXPECT_EQ(m->text, "hi crew");
  EXPECT_EQ(m->from, alice.id);
  // ... and one from bob reaches alice.
  ASSERT_EQ(say(bob, "crew", "hi from n2").result, msg::ChatResult::Ok);
  bool got = false;
  for (int i = 0; i < 3 && !got; ++i) {
    const auto a = next_message(alice);
    ASSERT_TRUE(a);
    got = a->text == "hi from n2";
  }
  EXPECT_TRUE(got);

  // History is the shared store's: carol, on node 2, joins and reads what
  // alice sent on node 1 (its Ok came once it was stored).
  const Reply carol_join = channel_op(carol, cmd::kChatJoin, "crew");
  ASSERT_EQ(carol_join.result, msg::ChatResult::Ok);
  EXPECT_EQ(carol_join.history, (std::vector<std::string>{"hi crew", "hi from n2"}));
  EXPECT_EQ(carol_join.members, (std::set<uint64_t>{alice.id, bob.id, carol.id}));
  const auto carol_online = next_presence(alice);
  ASSERT_TRUE(carol_online);
  EXPECT_EQ(carol_online->user_id, carol.id);

  // Bob leaves: alice is told on node 1.
  ASSERT_EQ(channel_op(bob, cmd::kChatLeave, "crew").result, msg::ChatResult::Ok);
  const auto offline = next_presence(alice);
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->user_id, bob.id);
  EXPECT_FALSE(offline->online);
  EXPECT_EQ(channel_op(alice, cmd::kChatMembers, "crew").members,
            (std::set<uint64_t>{alice.id, carol.id}));
}

TEST_F(FleetChat, PrivateMessagesReachAUserOnTheOtherNode) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User bob = login(n2_, "device-bob-2");
  // Node 1 knows bob is online (on node 2) once its online count says so.
  ASSERT_TRUE(eventually([&] { return online_count(alice) == 2; }, 5s));

  ASSERT_EQ(tell(alice, bob.id, "", "psst by id").result, msg::ChatResult::Ok);
  auto m = next_message(bob);
  ASSERT_TRUE(m) << n2_.server->output();
  EXPECT_TRUE(m->is_private);
  EXPECT_EQ(m->from, alice.id);
  EXPECT_EQ(m->text, "psst by id");
  ASSERT_EQ(tell(alice, 0, bob.name, "psst by name").result, msg::ChatResult::Ok);
  m = next_message(bob);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "psst by name");
  // And back.
  ASSERT_EQ(tell(bob, alice.id, "", "hello back").result, msg::ChatResult::Ok);
  m = next_message(alice);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "hello back");
  EXPECT_TRUE(m->is_private);

  // Offline fleet-wide: the usual answer.
  EXPECT_EQ(tell(alice, 987654321, "", "anyone?").result, msg::ChatResult::NoSuchUser);
  EXPECT_EQ(tell(alice, 0, "nobody-here", "anyone?").result, msg::ChatResult::NoSuchUser);
}

TEST_F(FleetChat, AKilledNodesUsersGoOfflineOnTheOtherNode) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User bob = login(n2_, "device-bob-2");
  ASSERT_EQ(channel_op(alice, cmd::kChatCreate, "crew").result, msg::ChatResult::Ok);
  ASSERT_EQ(join_when_known(bob, "crew").result, msg::ChatResult::Ok);
  const auto online = next_presence(alice);
  ASSERT_TRUE(online && online->online && online->user_id == bob.id);
  ASSERT_EQ(online_count(alice), 2u);

  // kill -9: node 2 says nothing; its lease (2 s) runs out, etcd drops its
  // record, and node 1 drops its users, telling crew's members.
  ASSERT_TRUE(n2_.server->stop(SIGKILL, 5s));
  const auto killed_at = Clock::now();
  const auto offline = next_presence(alice, 10s);
  ASSERT_TRUE(offline) << n1_.server->output();
  EXPECT_EQ(offline->user_id, bob.id);
  EXPECT_FALSE(offline->online);
  EXPECT_LT(Clock::now() - killed_at, 6s) << "TTL 2 s plus a grace of one TTL";
  EXPECT_EQ(channel_op(alice, cmd::kChatMembers, "crew").members, (std::set<uint64_t>{alice.id}));
  EXPECT_EQ(online_count(alice), 1u);
  EXPECT_EQ(tell(alice, bob.id, "", "still there?").result, msg::ChatResult::NoSuchUser);
}

TEST_F(FleetChat, ANodeRefusedForADuplicateIdLeavesTheOthersListsAlone) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User bob = login(n2_, "device-bob-2");
  ASSERT_EQ(channel_op(alice, cmd::kChatCreate, "crew").result, msg::ChatResult::Ok);
  ASSERT_EQ(join_when_known(bob, "crew").result, msg::ChatResult::Ok);

  // A second chat-2 is refused at start, before it says anything on the
  // chat stream (its empty state would erase bob from node 1's lists).
  const TempFile config(node_yaml("chat-2"));
  const RunResult twin = run_server_to_completion(
      {"--config", config.path(), "--host", "127.0.0.1", "--port", "0"}, 10s);
  ASSERT_TRUE(twin.status);
  EXPECT_TRUE(twin.status->exited && twin.status->code == 1) << twin.status->describe();
  EXPECT_EQ(channel_op(alice, cmd::kChatMembers, "crew").members,
            (std::set<uint64_t>{alice.id, bob.id}));
  EXPECT_EQ(online_count(alice), 2u);
}

TEST_F(FleetChat, MalformedEntriesAreCountedAndSkipped) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User bob = login(n2_, "device-bob-2");
  // Garbage on the stream: a payload that is no event, a wrong version, a
  // topic nobody speaks, an entry without its fields.
  redis_.command({"XADD", "citadel:chat", "*", "o", "evil", "t", "chat", "p", "garbage"});
  redis_.command(
      {"XADD", "citadel:chat", "*", "o", "evil", "t", "chat", "p", std::string("\xC7\x09\x08", 3)});
  redis_.command({"XADD", "citadel:chat", "*", "o", "evil", "t", "other", "p", "x"});
  redis_.command({"XADD", "citadel:chat", "*", "x", "y"});
  // The entry without fields is counted once a later entry arrives.
  ASSERT_EQ(say(alice, "world", "still fine").result, msg::ChatResult::Ok);
  const auto m = next_message(bob);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->text, "still fine");
  EXPECT_EQ(metric(n2_.admin_port, "citadel_fleet_chat_malformed_total"), 4);
  ASSERT_TRUE(eventually(
      [&] { return metric(n1_.admin_port, "citadel_fleet_chat_malformed_total") >= 3; }, 5s));
}

TEST_F(FleetChat, RedisAwayChatStaysLocalThenCrossesAgain) {
  start_two();
  User alice = login(n1_, "device-alice-1");
  User dave = login(n1_, "device-dave-1");
  User bob = login(n2_, "device-bob-2");

  redis_.stop();
  // Local chat goes on: alice and dave, both on node 1, get it.
  ASSERT_EQ(say(alice, "world", "while away").result, msg::ChatResult::Ok);
  for (User* u : {&alice, &dave}) {
    const auto m = next_message(*u);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->text, "while away");
  }
  EXPECT_GE(metric(n1_.admin_port, "citadel_fleet_chat_publish_failures_total"), 1);

  // Redis back (empty: no persistence in tests): node 1 resends its state
  // once its writer reconnects, and node 2 reads it once its reader does.
  const double received = metric(n2_.admin_port, "citadel_fleet_chat_received_total");
  redis_.start();
  ASSERT_TRUE(eventually(
      [&] { return metric(n2_.admin_port, "citadel_fleet_chat_received_total") > received; }, 10s))
      << n1_.server->output() << n2_.server->output();
  ASSERT_EQ(say(alice, "world", "after").result, msg::ChatResult::Ok);
  // Bob never gets what was sent while Redis was away; he gets what follows.
  const auto m = next_message(bob);
  ASSERT_TRUE(m) << n2_.server->output();
  EXPECT_EQ(m->text, "after");
}

}  // namespace
}  // namespace citadel::test
