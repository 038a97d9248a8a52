// The frame writer: server frames (unmasked, FIN) of every length encoding,
// close and pong frames, and a round trip through the parser.
#include "net/websocket/frame_writer.h"

#include <gtest/gtest.h>

#include <vector>

#include "client_frames.h"

namespace citadel::net::websocket::testing {
namespace {

Bytes header_for(uint64_t payload_bytes) {
  const BinaryHeader header = binary_header(payload_bytes);
  return Bytes(header.view().begin(), header.view().end());
}

TEST(FrameWriter, BinaryHeaderUsesTheShortestLengthEncoding) {
  EXPECT_EQ(header_for(0), (Bytes{0x82, 0x00}));
  EXPECT_EQ(header_for(125), (Bytes{0x82, 0x7D}));
  EXPECT_EQ(header_for(126), (Bytes{0x82, 0x7E, 0x00, 0x7E}));
  EXPECT_EQ(header_for(65535), (Bytes{0x82, 0x7E, 0xFF, 0xFF}));
  EXPECT_EQ(header_for(65536), (Bytes{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  EXPECT_EQ(header_for(65544), (Bytes{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x08}));
  EXPECT_EQ(header_for(uint64_t{1} << 40), (Bytes{0x82, 0x7F, 0, 0, 0x01, 0, 0, 0, 0, 0}));
  for (uint64_t n : {0ull, 125ull, 126ull, 65535ull, 65536ull}) {
    EXPECT_EQ(server_header_bytes(n), header_for(n).size()) << n;
  }
}

TEST(FrameWriter, WritesIntoCallerMemory) {
  std::array<uint8_t, kMaxServerHeaderBytes> out{};
  EXPECT_EQ(write_binary_header(300, out), 4u);
  EXPECT_EQ(out[0], 0x82);
  EXPECT_EQ(out[1], 126);
  EXPECT_EQ(out[2], 0x01);
  EXPECT_EQ(out[3], 0x2C);
}

TEST(FrameWriter, CloseFrameWithCodeAndReason) {
  Bytes out(close_frame_bytes(1002, "bad frame"));
  ASSERT_EQ(write_close_frame(1002, "bad frame", out), out.size());
  Bytes expected{0x88, 11, 0x03, 0xEA};
  for (char c : std::string_view("bad frame")) expected.push_back(static_cast<uint8_t>(c));
  EXPECT_EQ(out, expected);
}

TEST(FrameWriter, NoStatusEchoesAsAnEmptyClose) {
  Bytes out(close_frame_bytes(close_code::kNoStatus, "ignored"));
  ASSERT_EQ(write_close_frame(close_code::kNoStatus, "ignored", out), 2u);
  EXPECT_EQ(out, (Bytes{0x88, 0x00}));
}

TEST(FrameWriter, LongCloseReasonIsCutAtACharacterBoundary) {
  // 122 ASCII bytes and a 2-byte character: 124 bytes, over the 123 allowed;
  // cutting at 123 would split the character, so it is dropped whole.
  std::string reason(122, 'a');
  reason += "\xc3\xa9";
  EXPECT_EQ(fitted_close_reason(reason), std::string(122, 'a'));
  EXPECT_EQ(fitted_close_reason(std::string(200, 'b')).size(), kMaxCloseReasonBytes);
  Bytes out(close_frame_bytes(1000, reason));
  EXPECT_EQ(write_close_frame(1000, reason, out), 2u + 2 + 122);
  EXPECT_LE(out.size() - 2, kMaxControlPayloadBytes);
}

TEST(FrameWriter, PongCarriesThePingPayload) {
  const Bytes payload = bytes_of("are you there");
  Bytes out(pong_frame_bytes(payload));
  ASSERT_EQ(write_pong_frame(payload, out), out.size());
  Bytes expected{0x8A, static_cast<uint8_t>(payload.size())};
  expected.insert(expected.end(), payload.begin(), payload.end());
  EXPECT_EQ(out, expected);
  Bytes empty_pong(pong_frame_bytes({}));
  write_pong_frame({}, empty_pong);
  EXPECT_EQ(empty_pong, (Bytes{0x8A, 0x00}));
}

// A server frame with the mask bit and a zero key added is a client frame
// with the same payload: the parser must read back what the writer wrote.
Bytes as_client_frame(const Bytes& server_frame) {
  const std::size_t header = server_header_bytes(server_frame[1] == 126   ? 126
                                                 : server_frame[1] == 127 ? 65536
                                                                          : server_frame[1]);
  Bytes out(server_frame.begin(), server_frame.begin() + static_cast<std::ptrdiff_t>(header));
  out[1] |= kMaskBit;
  out.insert(out.end(), {0, 0, 0, 0});
  out.insert(out.end(), server_frame.begin() + static_cast<std::ptrdiff_t>(header),
             server_frame.end());
  return out;
}

TEST(FrameWriter, RoundTripsThroughTheParser) {
  for (std::size_t n : {0, 1, 125, 126, 65535, 65536}) {
    const Bytes payload = repeated(n, 3);
    Bytes frame = header_for(n);
    frame.insert(frame.end(), payload.begin(), payload.end());
    EXPECT_EQ(parse(as_client_frame(frame), 0, {.max_message_bytes = 1 << 20}),
              std::vector<Recorded>{message(payload)})
        << n;
  }
  Bytes close(close_frame_bytes(4000, "done"));
  write_close_frame(4000, "done", close);
  EXPECT_EQ(parse(as_client_frame(close)), std::vector<Recorded>{close_event(4000, "done")});
  Bytes pong_bytes(pong_frame_bytes(repeated(125)));
  write_pong_frame(repeated(125), pong_bytes);
  EXPECT_EQ(parse(as_client_frame(pong_bytes)), std::vector<Recorded>{pong_event(repeated(125))});
}

}  // namespace
}  // namespace citadel::net::websocket::testing
