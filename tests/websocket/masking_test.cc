// apply_mask: the word-at-a-time XOR must match the byte-at-a-time definition
// at every length, key offset and alignment.
#include "net/websocket/masking.h"

#include <gtest/gtest.h>

#include <vector>

namespace citadel::net::websocket {
namespace {

TEST(Masking, MatchesTheDefinitionAtEveryOffsetAndAlignment) {
  const MaskKey key = {0xA1, 0x02, 0xC3, 0x74};
  std::vector<uint8_t> input(80);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<uint8_t>(i * 37 + 11);
  for (std::size_t align = 0; align < 8; ++align) {
    for (std::size_t n = 0; n + align <= input.size(); n += 3) {
      for (std::size_t offset = 0; offset < 6; ++offset) {
        std::vector<uint8_t> copied(n), in_place(input.begin() + align, input.begin() + align + n);
        apply_mask(input.data() + align, copied.data(), n, key, offset);
        apply_mask(in_place.data(), in_place.data(), n, key, offset);
        for (std::size_t i = 0; i < n; ++i) {
          const auto expected = static_cast<uint8_t>(input[align + i] ^ key[(offset + i) % 4]);
          ASSERT_EQ(copied[i], expected) << "align " << align << " n " << n << " offset " << offset;
          ASSERT_EQ(in_place[i], expected);
        }
      }
    }
  }
}

TEST(Masking, PieceByPieceEqualsWhole) {
  const MaskKey key = {1, 2, 3, 4};
  std::vector<uint8_t> data(100, 0x55), whole(100), pieces(100);
  apply_mask(data.data(), whole.data(), 100, key, 0);
  apply_mask(data.data(), pieces.data(), 33, key, 0);
  apply_mask(data.data() + 33, pieces.data() + 33, 67, key, 33);
  EXPECT_EQ(whole, pieces);
}

}  // namespace
}  // namespace citadel::net::websocket
