// Client frames, checked by the server's own parser: whatever the client
// writes must come out of net::websocket::FrameParser as the same message.
#include "client/transport/ws_client_frames.h"

#include <gtest/gtest.h>

#include <set>
#include <variant>
#include <vector>

#include "net/websocket/frame_parser.h"
#include "protocol/wire.h"

namespace citadel::client::transport {
namespace {

namespace ws = net::websocket;
using Bytes = std::vector<uint8_t>;

struct Events final : ws::FrameEventHandler {
  bool on_frame_event(const ws::FrameEvent& event) override {
    if (const auto* m = std::get_if<ws::BinaryMessage>(&event)) {
      messages.emplace_back(m->bytes.begin(), m->bytes.end());
    } else if (const auto* p = std::get_if<ws::Ping>(&event)) {
      pings.emplace_back(p->payload.begin(), p->payload.end());
    } else if (const auto* c = std::get_if<ws::Close>(&event)) {
      close_code = c->code;
      close_reason = std::string(c->reason);
    } else if (const auto* f = std::get_if<ws::Fail>(&event)) {
      failure = std::string(f->reason);
    }
    return true;
  }
  std::vector<Bytes> messages, pings;
  uint16_t close_code = 0;
  std::string close_reason, failure;
};

Events parse(Bytes stream, std::size_t max_message = 70'000) {
  ws::FrameParser parser({.max_message_bytes = max_message});
  Events events;
  parser.feed(stream, events);
  return events;
}

Bytes payload_of(std::size_t n) {
  Bytes b;
  b.reserve(n);
  for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i * 7 + 3));
  return b;
}

TEST(WsClientFrames, CitadelFramesArriveWholeAtEveryLengthEncoding) {
  MaskKeys keys(42);
  // 8 + payload: 7-bit (<= 125), 16-bit (126 .. 65535) and 64-bit lengths.
  for (std::size_t n : {0u, 1u, 117u, 118u, 1024u, 65527u, 65528u, 65536u}) {
    Bytes wire;
    append_citadel_frame(wire, 0x0003, payload_of(n), keys.next());
    EXPECT_EQ(wire.size(), citadel_message_bytes(n)) << n;
    EXPECT_EQ(wire[1] & 0x80, 0x80) << "masked";
    Bytes expected;
    protocol::append_frame(expected, 0x0003, payload_of(n));
    const Events e = parse(wire);
    EXPECT_TRUE(e.failure.empty()) << n << ": " << e.failure;
    ASSERT_EQ(e.messages.size(), 1u) << n;
    EXPECT_EQ(e.messages[0], expected) << n;
  }
}

TEST(WsClientFrames, BackToBackFramesEachKeepTheirOwnKey) {
  MaskKeys keys(7);
  Bytes wire;
  for (int i = 0; i < 5; ++i) append_citadel_frame(wire, 0x0001, payload_of(i), keys.next());
  const Events e = parse(wire);
  ASSERT_EQ(e.messages.size(), 5u);
  EXPECT_EQ(e.messages[4].size(), 8u + 4u);
}

TEST(WsClientFrames, ControlFramesAndClose) {
  MaskKeys keys(1);
  Bytes wire;
  append_client_frame(wire, ws::opcode::kPing, payload_of(125), keys.next());
  append_client_close(wire, 1000, "bye", keys.next());
  const Events e = parse(wire);
  ASSERT_EQ(e.pings.size(), 1u);
  EXPECT_EQ(e.pings[0], payload_of(125));
  EXPECT_EQ(e.close_code, 1000);
  EXPECT_EQ(e.close_reason, "bye");

  Bytes empty_close;
  append_client_close(empty_close, ws::close_code::kNoStatus, "ignored", keys.next());
  EXPECT_EQ(empty_close.size(), 6u);  // header and key, no payload
  EXPECT_EQ(parse(empty_close).close_code, ws::close_code::kNoStatus);
}

TEST(WsClientFrames, KeysVary) {
  MaskKeys keys(3);
  std::set<MaskKey> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(keys.next());
  EXPECT_GT(seen.size(), 990u);
  MaskKeys a(5), b(5);
  EXPECT_EQ(a.next(), b.next());  // a seed gives a fixed sequence (tests)
}

}  // namespace
}  // namespace citadel::client::transport
