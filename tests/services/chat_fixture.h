// Chat over real sockets: the ServiceTest fixture (a real Server with its
// Services) plus helpers that speak the chat messages.
#pragma once

#include "protocol/chat_generated.h"
#include "service_fixture.h"

namespace citadel {

class ChatTest : public ServiceTest {
 protected:
  struct User {
    TestClient client;
    uint64_t id = 0;
    std::string name;
  };
  User login(const std::string& device) {
    auto [client, reply] = guest_login(device);
    return {std::move(client), reply.user_id, reply.username};
  }

  // The table points into f: keep the frame alive while using it.
  template <class Table>
  static const Table* as(const test::Frame& f) {
    return protocol::verified_root<Table>(f.payload);
  }
  // Reads frames until one with `want` arrives (pushes of other kinds are skipped).
  static test::Frame read_until(TestClient& c, uint16_t want, std::chrono::milliseconds t = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto r = c.read_frame(t);
      if (r.status != ReadStatus::kFrame) break;
      if (r.frame.cmd == want) return r.frame;
    }
    ADD_FAILURE() << "no frame with cmd " << want;
    return {};
  }
  static msg::ChatResult result_of(const test::Frame& f) {
    const auto* m = as<msg::ChatReply>(f);
    return m ? m->result() : msg::ChatResult::InternalError;
  }

  static test::Bytes channel_op(uint16_t c, std::string_view channel) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto name = fbb.CreateString(channel.data(), channel.size());
    if (c == cmd::kChatCreate) fbb.Finish(msg::CreateChatCreate(fbb, 1, name));
    if (c == cmd::kChatJoin) fbb.Finish(msg::CreateChatJoin(fbb, 1, name));
    if (c == cmd::kChatLeave) fbb.Finish(msg::CreateChatLeave(fbb, 1, name));
    if (c == cmd::kChatMembers) fbb.Finish(msg::CreateChatMembers(fbb, 1, name));
    return finish(fbb);
  }
  static test::Bytes say(std::string_view channel, std::string_view text) {
    flatbuffers::FlatBufferBuilder fbb;
    const auto c = fbb.CreateString(channel.data(), channel.size());
    const auto t = fbb.CreateString(text.data(), text.size());
    fbb.Finish(msg::CreateChatSend(fbb, 9, c, t));
    return finish(fbb);
  }
  msg::ChatResult request(User& u, uint16_t c, const test::Bytes& payload) {
    EXPECT_TRUE(u.client.send_frame(c, payload));
    return result_of(read_until(u.client, cmd::kChatReply));
  }
};

}  // namespace citadel
