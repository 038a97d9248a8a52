// CursorCodec: the tag it signs with (from a keyed HMAC state saved at
// construction) is exactly HMAC-SHA-256 of the documented message under the
// key, computed here in one shot, and cursors round-trip and refuse tampering.
#include "leaderboard/cursor.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace citadel::leaderboard {
namespace {

CursorKey test_key(uint8_t seed) {
  CursorKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(seed + 7 * i);
  return key;
}

std::vector<uint8_t> wire_of(const std::string& text) {
  std::vector<uint8_t> wire(64);
  std::size_t length = 0;
  EXPECT_EQ(sodium_base642bin(wire.data(), wire.size(), text.data(), text.size(), nullptr, &length,
                              nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  wire.resize(length);
  return wire;
}

// cursor.h: bytes [34, 50) are the first 16 bytes of HMAC-SHA-256(key,
// "citadel-leaderboard-cursor-v1" || len(board id) || board id || bytes [0, 34)).
std::array<uint8_t, 16> reference_tag(const CursorKey& key, std::string_view board_id,
                                      const uint8_t* payload) {
  std::string message = "citadel-leaderboard-cursor-v1";
  message.push_back(char(board_id.size()));
  message.append(board_id);
  message.append(reinterpret_cast<const char*>(payload), 34);
  uint8_t full[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const uint8_t*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, full);
  std::array<uint8_t, 16> tag;
  std::memcpy(tag.data(), full, tag.size());
  return tag;
}

TEST(CursorCodec, TagIsHmacOfTheDocumentedMessage) {
  ASSERT_GE(sodium_init(), 0);
  for (uint8_t seed : {0, 1, 200}) {
    CursorKey key = test_key(seed);
    CursorCodec codec(key);
    for (const std::string& board :
         {std::string("b"), std::string("weekly"), std::string(128, 'x')}) {
      for (int i = 0; i < 20; ++i) {
        CursorPosition position{
            i % 2 ? CursorPosition::Direction::kBefore : CursorPosition::Direction::kAfter,
            i % 3 == 0,
            1'767'225'600'000 + i,
            -5 * i,
            INT64_MAX - i,
            uint64_t(i) * 1'000'003};
        std::string text = codec.encode(board, position);
        std::vector<uint8_t> wire = wire_of(text);
        ASSERT_EQ(wire.size(), 50u);
        std::array<uint8_t, 16> expected = reference_tag(key, board, wire.data());
        EXPECT_EQ(0, std::memcmp(expected.data(), wire.data() + 34, 16)) << board << " " << i;
        Result<CursorPosition> decoded = codec.decode(board, text);
        ASSERT_TRUE(decoded.ok());
        EXPECT_EQ(decoded.value, position);
      }
    }
  }
}

TEST(CursorCodec, RefusesOtherBoardsOtherKeysAndTampering) {
  CursorCodec codec(test_key(3));
  CursorPosition position{CursorPosition::Direction::kAfter, false, 10, 20, 30, 40};
  std::string text = codec.encode("board", position);
  EXPECT_EQ(codec.decode("other", text).error, LeaderboardError::kBadCursor);
  EXPECT_EQ(CursorCodec(test_key(4)).decode("board", text).error, LeaderboardError::kBadCursor);
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string altered = text;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(codec.decode("board", altered).error, LeaderboardError::kBadCursor) << i;
  }
  EXPECT_TRUE(codec.decode("board", text).ok());
}

}  // namespace
}  // namespace citadel::leaderboard
