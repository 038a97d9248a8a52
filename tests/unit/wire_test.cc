// The frame encoders against the byte layout fixed by the wire contract
// (magic 0x4354, cmd, length, all big-endian).
#include "protocol/wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace citadel::protocol {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(Wire, WriteHeaderIsBigEndianMagicCmdLength) {
  uint8_t h[kHeaderBytes];
  write_header(h, 0x0102, 0x03040506);
  EXPECT_EQ(Bytes(h, h + kHeaderBytes), (Bytes{0x43, 0x54, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}));
}

TEST(Wire, LoadAndStoreRoundTripExtremes) {
  uint8_t b[4];
  for (uint32_t v : {0u, 1u, 0x7fffffffu, 0x80000000u, 0xffffffffu}) {
    store_be32(b, v);
    EXPECT_EQ(load_be32(b), v);
  }
  for (uint16_t v : {uint16_t{0}, uint16_t{0x00ff}, uint16_t{0xff00}, uint16_t{0xffff}}) {
    store_be16(b, v);
    EXPECT_EQ(load_be16(b), v);
  }
}

TEST(Wire, AppendFrameWithEmptyPayloadIsHeaderOnly) {
  Bytes out;
  append_frame(out, cmd::kPing, {});
  EXPECT_EQ(out, (Bytes{0x43, 0x54, 0x00, 0x01, 0, 0, 0, 0}));
}

TEST(Wire, AppendFrameAppendsAfterExistingBytes) {
  Bytes out{0xAA};
  const uint8_t payload[] = {'h', 'i'};
  append_frame(out, cmd::kEcho, payload);
  EXPECT_EQ(out, (Bytes{0xAA, 0x43, 0x54, 0x00, 0x03, 0, 0, 0, 2, 'h', 'i'}));
}

TEST(Wire, AppendFrameWorksOnStdString) {
  std::string out;
  const uint8_t payload[] = {'x'};
  append_frame(out, 0x0100, payload);
  ASSERT_EQ(out.size(), kHeaderBytes + 1);
  EXPECT_EQ(out.substr(0, 2), "CT");
  EXPECT_EQ(out.back(), 'x');
}

TEST(Wire, ErrorFrameCarriesCodeThenTextAndParsesBack) {
  Bytes out;
  append_error_frame(out, ErrorCode::kUnknownCommand, "unknown command 0x0100");
  ASSERT_GE(out.size(), kHeaderBytes + 2);
  EXPECT_EQ(load_be16(out.data()), kMagic);
  EXPECT_EQ(load_be16(out.data() + 2), cmd::kError);
  EXPECT_EQ(load_be32(out.data() + 4), out.size() - kHeaderBytes);

  uint16_t code = 0;
  std::string_view text;
  ASSERT_TRUE(parse_error_payload(std::span<const uint8_t>(out).subspan(kHeaderBytes), code, text));
  EXPECT_EQ(code, 3);
  EXPECT_EQ(text, "unknown command 0x0100");
}

TEST(Wire, ErrorPayloadShorterThanCodeIsRejected) {
  uint16_t code = 0;
  std::string_view text;
  const uint8_t one[] = {0x00};
  EXPECT_FALSE(parse_error_payload({}, code, text));
  EXPECT_FALSE(parse_error_payload(one, code, text));
  const uint8_t two[] = {0x00, 0x07};
  ASSERT_TRUE(parse_error_payload(two, code, text));
  EXPECT_EQ(code, 7);
  EXPECT_TRUE(text.empty());
}

TEST(Wire, ErrorCodeNumbersArePartOfTheProtocol) {
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBadMagic), 1);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kFrameTooLarge), 2);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kUnknownCommand), 3);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kServerFull), 4);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kTooManyFromAddress), 5);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kIdleTimeout), 6);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kShuttingDown), 7);
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBadPayload), 8);
  EXPECT_EQ(to_string(ErrorCode::kShuttingDown), "shutting_down");
}

}  // namespace
}  // namespace citadel::protocol
