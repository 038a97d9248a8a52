// The client's reader of server frames: frames written by the server's own
// writer (net/websocket/frame_writer.h) come out as the same bytes, however
// the stream is split; protocol breaks fail with the close code to send.
#include "client/transport/ws_server_frames.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/websocket/frame_writer.h"

namespace citadel::client::transport {
namespace {

namespace ws = net::websocket;
using Bytes = std::vector<uint8_t>;

struct Seen final : WsServerFrameHandler {
  bool on_message_bytes(std::span<const uint8_t> bytes) override {
    data.insert(data.end(), bytes.begin(), bytes.end());
    ++pieces;
    return stop_after_data < 0 || pieces <= stop_after_data;
  }
  bool on_control(uint8_t opcode, std::span<const uint8_t> payload) override {
    controls.push_back({opcode, Bytes(payload.begin(), payload.end())});
    return true;
  }
  Bytes data;
  int pieces = 0;
  int stop_after_data = -1;
  std::vector<std::pair<uint8_t, Bytes>> controls;
};

Bytes server_binary(const Bytes& payload) {
  Bytes out(ws::kMaxServerHeaderBytes);
  out.resize(ws::write_binary_header(payload.size(), out));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

Bytes counting(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i);
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Seen feed_in_pieces(const Bytes& stream, std::size_t piece, WsServerFrames::State* end = nullptr) {
  WsServerFrames frames;
  Seen seen;
  WsServerFrames::State state = WsServerFrames::State::kOpen;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    const std::size_t n = std::min(piece, stream.size() - at);
    state = frames.feed(std::span<const uint8_t>(stream.data() + at, n), seen);
  }
  if (end != nullptr) *end = state;
  return seen;
}

TEST(WsServerFrames, MessagesOfEveryLengthEncodingSplitAnywhere) {
  const Bytes a = counting(10), b = counting(300), c = counting(70'000);
  const Bytes stream = concat({server_binary(a), server_binary(b), server_binary(c)});
  const Bytes expected = concat({a, b, c});
  for (std::size_t piece : {stream.size(), std::size_t{1}, std::size_t{3}, std::size_t{4096}}) {
    WsServerFrames::State end;
    const Seen seen = feed_in_pieces(stream, piece, &end);
    EXPECT_EQ(end, WsServerFrames::State::kOpen) << piece;
    EXPECT_EQ(seen.data, expected) << piece;
    EXPECT_TRUE(seen.controls.empty());
  }
}

TEST(WsServerFrames, WholeMessagesInOneFeedArriveAsOnePieceEach) {
  const Bytes stream = concat({server_binary(counting(72)), server_binary(counting(72))});
  WsServerFrames frames;
  Seen seen;
  frames.feed(stream, seen);
  EXPECT_EQ(seen.pieces, 2);
}

TEST(WsServerFrames, FragmentsAndControlFramesBetweenThem) {
  // Binary without FIN, a ping, the continuation with FIN.
  const Bytes first = {0x02, 0x02, 'a', 'b'};
  const Bytes ping = {0x89, 0x01, 'p'};
  const Bytes last = {0x80, 0x01, 'c'};
  WsServerFrames::State end;
  const Seen seen = feed_in_pieces(concat({first, ping, last}), 1, &end);
  EXPECT_EQ(end, WsServerFrames::State::kOpen);
  EXPECT_EQ(seen.data, (Bytes{'a', 'b', 'c'}));
  ASSERT_EQ(seen.controls.size(), 1u);
  EXPECT_EQ(seen.controls[0].first, ws::opcode::kPing);
  EXPECT_EQ(seen.controls[0].second, Bytes{'p'});
}

TEST(WsServerFrames, CloseEndsTheStream) {
  Bytes close(16);
  close.resize(ws::write_close_frame(1008, "bye", close));
  WsServerFrames frames;
  Seen seen;
  EXPECT_EQ(frames.feed(concat({close, server_binary(counting(3))}), seen),
            WsServerFrames::State::kClosed);
  ASSERT_EQ(seen.controls.size(), 1u);
  EXPECT_EQ(seen.controls[0].second, (Bytes{0x03, 0xF0, 'b', 'y', 'e'}));
  EXPECT_TRUE(seen.data.empty());  // nothing after the close
}

void expect_failure(const Bytes& stream, uint16_t code, const std::string& words) {
  WsServerFrames frames;
  Seen seen;
  EXPECT_EQ(frames.feed(stream, seen), WsServerFrames::State::kFailed) << words;
  EXPECT_EQ(frames.close_code(), code) << words;
  EXPECT_NE(frames.error().find(words), std::string::npos) << frames.error();
}

TEST(WsServerFrames, ProtocolBreaksFail) {
  expect_failure({0x82, 0x81, 1, 2, 3, 4, 'x'}, ws::close_code::kProtocolError, "masked");
  expect_failure({0xC2, 0x00}, ws::close_code::kProtocolError, "reserved bits");
  expect_failure({0x83, 0x00}, ws::close_code::kProtocolError, "reserved opcode");
  expect_failure({0x81, 0x01, 'x'}, ws::close_code::kUnsupportedData, "text");
  expect_failure({0x80, 0x00}, ws::close_code::kProtocolError, "continuation");
  expect_failure({0x02, 0x00, 0x82, 0x00}, ws::close_code::kProtocolError, "new message");
  expect_failure({0x09, 0x00}, ws::close_code::kProtocolError, "control");
  expect_failure({0x89, 126, 0, 126}, ws::close_code::kProtocolError, "control");
  expect_failure({0x88, 0x01, 0x03}, ws::close_code::kProtocolError, "one byte");
  expect_failure({0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}, ws::close_code::kProtocolError, "64-bit");
}

TEST(WsServerFrames, AHandlerCanStop) {
  WsServerFrames frames;
  Seen seen;
  seen.stop_after_data = 0;
  EXPECT_EQ(frames.feed(concat({server_binary(counting(2)), server_binary(counting(2))}), seen),
            WsServerFrames::State::kStopped);
  EXPECT_EQ(seen.pieces, 1);
}

}  // namespace
}  // namespace citadel::client::transport
