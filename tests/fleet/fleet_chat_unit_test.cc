// Chat across the fleet, the pure parts: the codec of chat events between
// nodes (fleet/chat/chat_event_codec.h) and the directory of what the other
// nodes hold (services/chat/fleet_directory.h). No Redis, no etcd.
#include <gtest/gtest.h>

#include <string>

#include "fleet/chat/chat_event_codec.h"
#include "services/chat/fleet_directory.h"

namespace citadel {
namespace {

using fleet::chat::decode_chat_event;
using fleet::chat::encode_chat_event;
using services::ChatFleetEvent;
using services::FleetChatDirectory;
using Kind = ChatFleetEvent::Kind;

ChatFleetEvent message() {
  ChatFleetEvent e;
  e.kind = Kind::kMessage;
  e.channel = "crew";
  e.user_id = 42;
  e.username = "alice";
  e.text = "hello, wörld";
  e.sent_unix_ms = 1'795'453'769'024;
  return e;
}

ChatFleetEvent round_trip(const ChatFleetEvent& e) {
  std::string bytes;
  EXPECT_TRUE(encode_chat_event(e, bytes));
  ChatFleetEvent back;
  EXPECT_TRUE(decode_chat_event(bytes, back));
  return back;
}

TEST(FleetChatCodec, EveryKindRoundTrips) {
  const ChatFleetEvent m = round_trip(message());
  EXPECT_EQ(m.kind, Kind::kMessage);
  EXPECT_EQ(m.channel, "crew");
  EXPECT_EQ(m.user_id, 42u);
  EXPECT_EQ(m.username, "alice");
  EXPECT_EQ(m.text, "hello, wörld");
  EXPECT_EQ(m.sent_unix_ms, 1'795'453'769'024);

  ChatFleetEvent p = message();
  p.kind = Kind::kPrivate;
  p.channel.clear();
  p.to_node = "node-b";
  p.to_user_id = 7;
  const ChatFleetEvent pb = round_trip(p);
  EXPECT_EQ(pb.kind, Kind::kPrivate);
  EXPECT_EQ(pb.to_node, "node-b");
  EXPECT_EQ(pb.to_user_id, 7u);
  EXPECT_EQ(pb.user_id, 42u);
  EXPECT_EQ(pb.text, p.text);

  for (Kind k : {Kind::kJoin, Kind::kLeave}) {
    ChatFleetEvent j;
    j.kind = k;
    j.channel = "a.b-c_9";
    j.user_id = 3;
    j.username = "guest-3";
    const ChatFleetEvent jb = round_trip(j);
    EXPECT_EQ(jb.kind, k);
    EXPECT_EQ(jb.channel, "a.b-c_9");
    EXPECT_EQ(jb.username, "guest-3");
  }
  ChatFleetEvent on;
  on.kind = Kind::kOnline;
  on.user_id = 9;
  on.username = "bob";
  EXPECT_EQ(round_trip(on).username, "bob");
  ChatFleetEvent off;
  off.kind = Kind::kOffline;
  off.user_id = 9;
  EXPECT_EQ(round_trip(off).user_id, 9u);
  ChatFleetEvent hello;
  hello.kind = Kind::kHello;
  EXPECT_EQ(round_trip(hello).kind, Kind::kHello);

  ChatFleetEvent state;
  state.kind = Kind::kState;
  state.users = {{1, "one", {"x", "y"}}, {2, "two", {}}};
  const ChatFleetEvent sb = round_trip(state);
  ASSERT_EQ(sb.users.size(), 2u);
  EXPECT_EQ(sb.users[0].channels, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(sb.users[1].username, "two");
  EXPECT_TRUE(sb.users[1].channels.empty());
}

TEST(FleetChatCodec, RefusesWhatDoesNotFitItsPrefix) {
  ChatFleetEvent e = message();
  e.text.assign(70'000, 'x');
  std::string bytes;
  EXPECT_FALSE(encode_chat_event(e, bytes));
  e = message();
  e.username.assign(300, 'n');
  EXPECT_FALSE(encode_chat_event(e, bytes));
}

TEST(FleetChatCodec, RefusesEveryTruncationAndTrailingBytes) {
  std::string bytes;
  ASSERT_TRUE(encode_chat_event(message(), bytes));
  ChatFleetEvent out;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_chat_event(std::string_view(bytes).substr(0, n), out)) << n;
  }
  EXPECT_FALSE(decode_chat_event(bytes + "x", out));
  EXPECT_TRUE(decode_chat_event(bytes, out));
}

TEST(FleetChatCodec, RefusesBadHeaderAndBadFields) {
  std::string good;
  ASSERT_TRUE(encode_chat_event(message(), good));
  ChatFleetEvent out;
  auto refused = [&](std::string bytes) { return !decode_chat_event(bytes, out); };
  std::string b = good;
  b[0] = 'x';  // magic
  EXPECT_TRUE(refused(b));
  b = good;
  b[1] = 2;  // a version this node does not speak
  EXPECT_TRUE(refused(b));
  b = good;
  b[2] = 99;  // no such kind
  EXPECT_TRUE(refused(b));
  b = good;
  b[2] = 0;
  EXPECT_TRUE(refused(b));

  ChatFleetEvent e = message();
  std::string bytes;
  e.channel = "no spaces";
  ASSERT_TRUE(encode_chat_event(e, bytes));
  EXPECT_TRUE(refused(bytes));
  e = message();
  e.channel.assign(33, 'c');
  ASSERT_TRUE(encode_chat_event(e, bytes));
  EXPECT_TRUE(refused(bytes));
  e = message();
  e.text = std::string("a\0b", 3);
  ASSERT_TRUE(encode_chat_event(e, bytes));
  EXPECT_TRUE(refused(bytes));
  e = message();
  e.text = "\xc3\x28";  // not UTF-8
  ASSERT_TRUE(encode_chat_event(e, bytes));
  EXPECT_TRUE(refused(bytes));
  e = message();
  e.user_id = 0;
  ASSERT_TRUE(encode_chat_event(e, bytes));
  EXPECT_TRUE(refused(bytes));
  e = message();
  e.username.clear();
  ASSERT_TRUE(encode_chat_event(e, bytes));
  EXPECT_TRUE(refused(bytes));

  // A state claiming more users than its bytes can hold.
  std::string state = {static_cast<char>(0xC7), 1, 7, '\xff', '\xff', '\xff', '\x7f'};
  EXPECT_TRUE(refused(state));
}

TEST(FleetChatDirectory, JoinsLeavesAndOfflineAcrossNodes) {
  FleetChatDirectory d;
  d.online("b", 7, "Bob");
  EXPECT_EQ(d.online_count(), 1u);
  EXPECT_TRUE(d.join("b", "crew", 7, "Bob"));
  EXPECT_FALSE(d.join("b", "crew", 7, "Bob"));
  EXPECT_TRUE(d.join("c", "crew", 8, "Carol"));  // no kOnline heard: the join says it
  EXPECT_TRUE(d.has_channel("crew"));
  EXPECT_EQ(d.channel_size("crew"), 2u);
  EXPECT_EQ(d.members("crew").size(), 2u);
  ASSERT_NE(d.node_of(8), nullptr);
  EXPECT_EQ(*d.node_of(8), "c");
  const auto bob = d.find_by_folded_name("bob");
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->node, "b");
  EXPECT_EQ(bob->user_id, 7u);

  EXPECT_TRUE(d.leave("c", "crew", 8));
  EXPECT_FALSE(d.leave("c", "crew", 8));
  EXPECT_EQ(d.channel_size("crew"), 1u);
  const auto gone = d.offline("b", 7);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].channel, "crew");
  EXPECT_EQ(gone[0].username, "Bob");
  EXPECT_FALSE(d.has_channel("crew"));
  EXPECT_EQ(d.node_of(7), nullptr);
  EXPECT_FALSE(d.find_by_folded_name("bob"));
  EXPECT_EQ(d.online_count(), 1u);  // Carol still has a session on c
}

TEST(FleetChatDirectory, StateReplacesWhatANodeHeld) {
  FleetChatDirectory d;
  d.join("b", "old", 1, "one");
  d.replace("b", {{2, "two", {"new"}}});
  EXPECT_FALSE(d.has_channel("old"));
  EXPECT_EQ(d.node_of(1), nullptr);
  EXPECT_EQ(d.channel_size("new"), 1u);
  EXPECT_EQ(d.online_count(), 1u);
}

TEST(FleetChatDirectory, ANodeGoneFromTheTableIsDroppedAfterTheGrace) {
  using namespace std::chrono_literals;
  FleetChatDirectory d;
  const auto t0 = FleetChatDirectory::Clock::time_point{} + 100s;
  d.heard("b", t0);
  d.join("b", "crew", 7, "Bob");
  d.heard("c", t0);
  d.join("c", "crew", 8, "Carol");
  // b is live; c is not listed, but was heard from 1 s ago: kept.
  EXPECT_TRUE(d.drop_stale({"a", "b"}, t0 + 1s, 2s).empty());
  EXPECT_EQ(d.nodes(), 2u);
  // A grace later c goes, with its membership.
  const auto gone = d.drop_stale({"a", "b"}, t0 + 2s, 2s);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].user_id, 8u);
  EXPECT_EQ(d.channel_size("crew"), 1u);
  EXPECT_EQ(d.node_of(8), nullptr);
  EXPECT_EQ(d.nodes(), 1u);
}

TEST(FleetChatDirectory, AUserOnTwoNodesStaysIndexedWhereLastReported) {
  FleetChatDirectory d;
  d.online("b", 7, "Bob");
  d.online("c", 7, "Bob");
  d.offline("b", 7);
  ASSERT_NE(d.node_of(7), nullptr);
  EXPECT_EQ(*d.node_of(7), "c");
  EXPECT_TRUE(d.find_by_folded_name("bob"));
}

}  // namespace
}  // namespace citadel
