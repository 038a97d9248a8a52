// The reply order docs/protocol.md promises ("Reply order"), pipelined in
// one write so the server sees every request before answering any:
//   * replies decided on the connection's own loop (PONG, ECHO, ERROR) keep
//     request order among themselves and do not wait for slower ones;
//   * every ChatReply comes back in request order, although a join waits
//     for storage and a refusal is decided where the frame arrives.
#include <vector>

#include "chat_fixture.h"
#include "services/chat/reply_sequencer.h"

namespace citadel {
namespace {

test::Bytes concat(const std::vector<test::Bytes>& frames) {
  test::Bytes out;
  for (const auto& f : frames) out.insert(out.end(), f.begin(), f.end());
  return out;
}

class ReplyOrderTest : public ChatTest {
 protected:
  static test::Bytes frame(uint16_t c, const test::Bytes& payload) {
    return test::encode_frame(c, payload);
  }
  static test::Bytes chat_send(uint32_t rid, std::string_view channel, std::string_view text) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto c = fbb.CreateString(channel.data(), channel.size());
    const auto t = fbb.CreateString(text.data(), text.size());
    fbb.Finish(msg::CreateChatSend(fbb, rid, c, t));
    return frame(cmd::kChatSend, finish(fbb));
  }
  static test::Bytes chat_join(uint32_t rid, std::string_view channel, bool create) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto c = fbb.CreateString(channel.data(), channel.size());
    if (create) {
      fbb.Finish(msg::CreateChatCreate(fbb, rid, c));
    } else {
      fbb.Finish(msg::CreateChatJoin(fbb, rid, c));
    }
    return frame(create ? cmd::kChatCreate : cmd::kChatJoin, finish(fbb));
  }
  static test::Bytes chat_members(uint32_t rid, std::string_view channel) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateChatMembers(fbb, rid, fbb.CreateString(channel.data(), channel.size())));
    return frame(cmd::kChatMembers, finish(fbb));
  }
  static test::Bytes online_count(uint32_t rid) {
    flatbuffers::FlatBufferBuilder fbb;
    fbb.Finish(msg::CreateChatOnlineCount(fbb, rid));
    return frame(cmd::kChatOnlineCount, finish(fbb));
  }
};

TEST_F(ReplyOrderTest, ConnectionLoopRepliesKeepOrderAndDoNotWaitForALogin) {
  start();
  TestClient c = connect();
  ASSERT_TRUE(
      c.send_raw(concat({frame(cmd::kGuestLogin, guest("order-device-1", 7)),
                         test::encode_frame(cmd::kPing, "a"), test::encode_frame(cmd::kEcho, "b"),
                         test::encode_frame(0x7F00, ""), test::encode_frame(cmd::kPing, "c")})));
  std::vector<std::string> immediate;
  bool auth_seen = false;
  for (int i = 0; i < 5; ++i) {
    const auto r = c.read_frame(10s);
    ASSERT_EQ(r.status, ReadStatus::kFrame) << r.describe();
    const auto& f = r.frame;
    if (f.cmd == cmd::kAuthReply) {
      auth_seen = true;
      continue;
    }
    immediate.push_back(f.cmd == cmd::kError ? "error " + std::to_string(f.error_code())
                                             : std::to_string(f.cmd) + " " +
                                                   std::string(f.payload.begin(), f.payload.end()));
  }
  EXPECT_TRUE(auth_seen);
  EXPECT_EQ(immediate, (std::vector<std::string>{"2 a", "3 b", "error 3", "2 c"}));
}

TEST_F(ReplyOrderTest, EveryChatReplyComesBackInRequestOrder) {
  start();
  User a = login("order-device-2");
  // Joins wait for storage; the bad text and the too-long one are refused
  // where they arrive; the rest are answered by the chat service at once.
  ASSERT_TRUE(a.client.send_raw(concat({
      chat_join(1, "ordered", true),                // waits for history
      chat_send(2, "world", "hi"),                  // ready at once
      chat_send(3, "world", "bad \xC0\xAF utf-8"),  // refused on arrival
      chat_join(4, "no-such-channel", false),       // refused by the service
      chat_send(5, "world", std::string(600, 'x')),
      chat_join(6, "ordered", false),  // waits for history again
      chat_members(7, "ordered"),
      chat_send(8, "ordered", "in order"),
      online_count(9),
  })));
  std::vector<uint32_t> order;
  while (order.size() < 9) {
    const auto f = read_until(a.client, cmd::kChatReply, 10s);
    const auto* reply = as<msg::ChatReply>(f);
    ASSERT_NE(reply, nullptr);
    order.push_back(reply->request_id());
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(ReplySequencer, HoldsReadyRepliesBehindOneThatWaitsThenSendsInOrder) {
  services::ReplySequencer seq;
  std::vector<uint64_t> sent;  // connection ids stand for the replies
  auto send = [&](uint64_t id, net::SharedBytes) { sent.push_back(id); };
  seq.ready(1, nullptr, send);  // nothing waits: out at once
  const auto t2 = seq.reserve();
  seq.ready(3, nullptr, send);
  const auto t4 = seq.reserve();
  seq.ready(5, nullptr, send);
  EXPECT_EQ(sent, (std::vector<uint64_t>{1}));
  seq.fill(t4, 4, nullptr, send);  // still behind 2
  EXPECT_EQ(sent, (std::vector<uint64_t>{1}));
  seq.fill(t2, 2, nullptr, send);
  EXPECT_EQ(sent, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(seq.holding());
  // A flush gives up the order: ready ones go now, a late fill goes when it comes.
  const auto t6 = seq.reserve();
  seq.ready(7, nullptr, send);
  seq.flush(send);
  EXPECT_EQ(sent, (std::vector<uint64_t>{1, 2, 3, 4, 5, 7}));
  seq.fill(t6, 6, nullptr, send);
  EXPECT_EQ(sent, (std::vector<uint64_t>{1, 2, 3, 4, 5, 7, 6}));
  seq.ready(8, nullptr, send);
  EXPECT_EQ(sent.back(), 8u);
}

}  // namespace
}  // namespace citadel
