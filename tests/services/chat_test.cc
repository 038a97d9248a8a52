// Chat end to end: channels, fan-out, private messages, presence, history and
// the limits, over real sockets against a real Server with its Services.
#include <set>

#include "chat_fixture.h"

namespace citadel {
namespace {

TEST_F(ChatTest, ChatBeforeLoginIsRefusedWithError9) {
  start();
  TestClient c = connect();
  ASSERT_TRUE(c.send_frame(cmd::kChatSend, say("world", "hi")));
  const auto r = c.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  EXPECT_EQ(r.frame.error_code(), static_cast<uint16_t>(protocol::ErrorCode::kNotAuthenticated));
  EXPECT_TRUE(c.ping()) << "the connection stays open";
}

TEST_F(ChatTest, WorldMessageReachesEveryoneOnlineOnce) {
  start();
  std::vector<User> users;
  for (int i = 0; i < 5; ++i) users.push_back(login("world-device-" + std::to_string(i)));
  // The sender is a member too: its copy arrives before its reply.
  ASSERT_TRUE(users[0].client.send_frame(cmd::kChatSend, say("world", "hello, world")));
  for (auto& u : users) {
    const auto f = read_until(u.client, cmd::kChatMessage);
    const auto* m = as<msg::ChatMessage>(f);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->text()->str(), "hello, world");
    EXPECT_EQ(m->from_user_id(), users[0].id);
    EXPECT_EQ(m->channel()->str(), "world");
    EXPECT_GT(m->push_id(), 0u);
  }
  EXPECT_EQ(result_of(read_until(users[0].client, cmd::kChatReply)), msg::ChatResult::Ok);
}

TEST_F(ChatTest, NamedChannelsCreateJoinSendLeaveWithPresence) {
  start();
  User a = login("named-device-a"), b = login("named-device-b"), c = login("named-device-c");
  EXPECT_EQ(request(a, cmd::kChatJoin, channel_op(cmd::kChatJoin, "guild")),
            msg::ChatResult::NoSuchChannel);
  EXPECT_EQ(request(a, cmd::kChatCreate, channel_op(cmd::kChatCreate, "guild")),
            msg::ChatResult::Ok);
  EXPECT_EQ(request(b, cmd::kChatCreate, channel_op(cmd::kChatCreate, "guild")),
            msg::ChatResult::ChannelExists);
  EXPECT_EQ(request(b, cmd::kChatJoin, channel_op(cmd::kChatJoin, "guild")), msg::ChatResult::Ok);
  // a hears that b came online in the channel.
  const auto online_frame = read_until(a.client, cmd::kPresence);
  const auto* online = as<msg::Presence>(online_frame);
  ASSERT_NE(online, nullptr);
  EXPECT_EQ(online->user_id(), b.id);
  EXPECT_TRUE(online->online());

  EXPECT_EQ(request(c, cmd::kChatSend, say("guild", "let me in")), msg::ChatResult::NotMember);
  EXPECT_EQ(request(b, cmd::kChatSend, say("guild", "for the guild")), msg::ChatResult::Ok);
  EXPECT_EQ(as<msg::ChatMessage>(read_until(a.client, cmd::kChatMessage))->text()->str(),
            "for the guild");

  ASSERT_TRUE(a.client.send_frame(cmd::kChatMembers, channel_op(cmd::kChatMembers, "guild")));
  const auto members_frame = read_until(a.client, cmd::kChatReply);
  const auto* members = as<msg::ChatReply>(members_frame);
  ASSERT_NE(members, nullptr);
  ASSERT_NE(members->members(), nullptr);
  EXPECT_EQ(members->members()->size(), 2u);

  EXPECT_EQ(request(b, cmd::kChatLeave, channel_op(cmd::kChatLeave, "guild")), msg::ChatResult::Ok);
  const auto offline_frame = read_until(a.client, cmd::kPresence);
  const auto* offline = as<msg::Presence>(offline_frame);
  ASSERT_NE(offline, nullptr);
  EXPECT_EQ(offline->user_id(), b.id);
  EXPECT_FALSE(offline->online());
}

TEST_F(ChatTest, ChannelsLargerThanThePresenceCapSendNoPresence) {
  chat_.presence_max_members = 2;
  start();
  User a = login("crowd-device-a"), b = login("crowd-device-b"), c = login("crowd-device-c");
  EXPECT_EQ(request(a, cmd::kChatCreate, channel_op(cmd::kChatCreate, "crowd")),
            msg::ChatResult::Ok);
  EXPECT_EQ(request(b, cmd::kChatJoin, channel_op(cmd::kChatJoin, "crowd")), msg::ChatResult::Ok);
  EXPECT_EQ(as<msg::Presence>(read_until(a.client, cmd::kPresence))->user_id(), b.id);
  // A third member passes the cap of 2: a hears c's message, not c's arrival.
  EXPECT_EQ(request(c, cmd::kChatJoin, channel_op(cmd::kChatJoin, "crowd")), msg::ChatResult::Ok);
  EXPECT_EQ(request(c, cmd::kChatSend, say("crowd", "hello crowd")), msg::ChatResult::Ok);
  const auto r = a.client.read_frame(5s);
  ASSERT_EQ(r.status, ReadStatus::kFrame);
  ASSERT_EQ(r.frame.cmd, cmd::kChatMessage);
  EXPECT_EQ(as<msg::ChatMessage>(r.frame)->text()->str(), "hello crowd");
}

TEST_F(ChatTest, JoinSendsTheChannelsRecentHistoryOldestFirst) {
  start();
  User a = login("history-device-a");
  ASSERT_EQ(request(a, cmd::kChatCreate, channel_op(cmd::kChatCreate, "lore")),
            msg::ChatResult::Ok);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(request(a, cmd::kChatSend, say("lore", "line " + std::to_string(i))),
              msg::ChatResult::Ok);
  }
  User b = login("history-device-b");
  ASSERT_TRUE(b.client.send_frame(cmd::kChatJoin, channel_op(cmd::kChatJoin, "lore")));
  const auto joined_frame = read_until(b.client, cmd::kChatReply);
  const auto* joined = as<msg::ChatReply>(joined_frame);
  ASSERT_NE(joined, nullptr);
  ASSERT_NE(joined->history(), nullptr);
  ASSERT_EQ(joined->history()->size(), 3u);
  EXPECT_EQ(joined->history()->Get(0)->text()->str(), "line 1");
  EXPECT_EQ(joined->history()->Get(2)->text()->str(), "line 3");
  EXPECT_EQ(joined->history()->Get(2)->from_user_id(), a.id);
}

TEST_F(ChatTest, JoinAndCreateRepliesListTheMembersUpToThePresenceCap) {
  chat_.presence_max_members = 2;
  start();
  User a = login("list-device-a"), b = login("list-device-b"), c = login("list-device-c");
  auto member_ids = [](const msg::ChatReply& r) {
    std::set<uint64_t> ids;
    if (r.members() != nullptr) {
      for (const auto* m : *r.members()) ids.insert(m->user_id());
    }
    return ids;
  };
  ASSERT_TRUE(a.client.send_frame(cmd::kChatCreate, channel_op(cmd::kChatCreate, "party")));
  const auto created_frame = read_until(a.client, cmd::kChatReply);
  const auto* created = as<msg::ChatReply>(created_frame);
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(member_ids(*created), (std::set<uint64_t>{a.id}));
  ASSERT_TRUE(b.client.send_frame(cmd::kChatJoin, channel_op(cmd::kChatJoin, "party")));
  const auto joined_frame = read_until(b.client, cmd::kChatReply);
  const auto* joined = as<msg::ChatReply>(joined_frame);
  ASSERT_NE(joined, nullptr);
  ASSERT_EQ(joined->result(), msg::ChatResult::Ok);
  EXPECT_EQ(member_ids(*joined), (std::set<uint64_t>{a.id, b.id}));
  ASSERT_NE(joined->members(), nullptr);
  for (const auto* m : *joined->members()) {
    EXPECT_TRUE(m->online());
    EXPECT_EQ(m->username()->str(), m->user_id() == a.id ? a.name : b.name);
  }
  // Past the cap (3 members > 2) the list is left out and the message says so.
  ASSERT_TRUE(c.client.send_frame(cmd::kChatJoin, channel_op(cmd::kChatJoin, "party")));
  const auto crowd_frame = read_until(c.client, cmd::kChatReply);
  const auto* crowd = as<msg::ChatReply>(crowd_frame);
  ASSERT_NE(crowd, nullptr);
  EXPECT_EQ(crowd->result(), msg::ChatResult::Ok);
  EXPECT_EQ(crowd->members(), nullptr);
  EXPECT_NE(crowd->message()->str().find("ChatMembers"), std::string::npos);
}

TEST_F(ChatTest, PrivateMessageByNameAndById) {
  start();
  User a = login("pm-device-a"), b = login("pm-device-b");
  flatbuffers::FlatBufferBuilder fbb;
  const auto to = fbb.CreateString(b.name);
  const auto text = fbb.CreateString("psst");
  fbb.Finish(msg::CreateChatPrivate(fbb, 1, 0, to, text));
  EXPECT_EQ(request(a, cmd::kChatPrivate, finish(fbb)), msg::ChatResult::Ok);
  const auto pm_frame = read_until(b.client, cmd::kChatMessage);
  const auto* m = as<msg::ChatMessage>(pm_frame);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->private_());
  EXPECT_EQ(m->from_user_id(), a.id);
  flatbuffers::FlatBufferBuilder fbb2;
  fbb2.Finish(msg::CreateChatPrivate(fbb2, 1, 999999, 0, fbb2.CreateString("anyone?")));
  EXPECT_EQ(request(a, cmd::kChatPrivate, finish(fbb2)), msg::ChatResult::NoSuchUser);
}

TEST_F(ChatTest, LimitsGiveSpecificErrors) {
  start();
  User a = login("limits-device-a");
  EXPECT_EQ(request(a, cmd::kChatSend, say("world", std::string(513, 'x'))),
            msg::ChatResult::MessageTooLong);
  EXPECT_EQ(request(a, cmd::kChatSend, say("world", "bad \xC0\xAF overlong")),
            msg::ChatResult::InvalidUtf8);
  EXPECT_EQ(request(a, cmd::kChatSend, say("world", "\xED\xA0\x80 surrogate")),
            msg::ChatResult::InvalidUtf8);
  using namespace std::string_view_literals;
  EXPECT_EQ(request(a, cmd::kChatSend, say("world", "a NUL \0 inside"sv)),
            msg::ChatResult::InvalidUtf8);
  EXPECT_EQ(request(a, cmd::kChatCreate, channel_op(cmd::kChatCreate, "no spaces")),
            msg::ChatResult::InvalidChannelName);
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(request(a, cmd::kChatCreate, channel_op(cmd::kChatCreate, "ch" + std::to_string(i))),
              msg::ChatResult::Ok);
  }
  EXPECT_EQ(request(a, cmd::kChatCreate, channel_op(cmd::kChatCreate, "one-too-many")),
            msg::ChatResult::TooManyChannels);
  // Rate: a burst of 10 goes through, then the bucket is empty.
  int limited = 0;
  for (int i = 0; i < 15; ++i) {
    if (request(a, cmd::kChatSend, say("ch0", "spam")) == msg::ChatResult::RateLimited) ++limited;
  }
  EXPECT_GE(limited, 4);
  EXPECT_TRUE(a.client.ping()) << "limits never close the connection";
}

TEST_F(ChatTest, OnlineCountCountsConnectedUsers) {
  start();
  User a = login("count-device-a"), b = login("count-device-b");
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(msg::CreateChatOnlineCount(fbb, 5));
  ASSERT_TRUE(a.client.send_frame(cmd::kChatOnlineCount, finish(fbb)));
  const auto count_frame = read_until(a.client, cmd::kChatReply);
  const auto* count = as<msg::ChatReply>(count_frame);
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(count->online_count(), 2u);
}

}  // namespace
}  // namespace citadel
