// Page cursors: a position between two sort keys of one period of one
// board, signed so a client can hold it but not forge or alter it.
//
// Wire form (version 1), base64url without padding, 67 characters, of 50 bytes:
//   [0]      version = 1
//   [1]      flags: bit 0 direction (0 after, 1 before), bit 1 inclusive; others 0
//   [2, 10)  period start, Unix ms, int64 little-endian
//   [10, 18) score, int64 little-endian
//   [18, 26) subscore, int64 little-endian
//   [26, 34) sequence, uint64 little-endian
//   [34, 50) the first 16 bytes of HMAC-SHA-256 under the engine's cursor key of
//            "citadel-leaderboard-cursor-v1" || one byte: the board id's length ||
//            the board id || bytes [0, 34)
// The board id is signed but not carried, so a cursor presented to another
// board fails the check. Any other length, a non-canonical encoding, a wrong
// tag, version or flag is refused. A second implementation that shares the
// key produces and accepts the same cursors.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "leaderboard/leaderboard_types.h"

namespace citadel::leaderboard {

inline constexpr std::size_t kCursorKeyBytes = 32;
using CursorKey = std::array<uint8_t, kCursorKeyBytes>;

struct CursorPosition {
  enum class Direction : uint8_t {
    kAfter = 0,   // the page is the first records after the key
    kBefore = 1,  // the page is the last records before the key
  };
  Direction direction = Direction::kAfter;
  bool inclusive = false;  // whether a record with exactly this key is on the page
  int64_t period_start_unix_ms = 0;
  int64_t score = 0;
  int64_t subscore = 0;
  uint64_t sequence = 0;

  bool operator==(const CursorPosition&) const = default;
};

class CursorCodec {
 public:
  explicit CursorCodec(const CursorKey& key);
  ~CursorCodec();
  CursorCodec(const CursorCodec&) = default;
  CursorCodec& operator=(const CursorCodec&) = default;

  using KeyedState = std::array<uint8_t, 224>;

  std::string encode(std::string_view board_id, const CursorPosition& position) const;
  // kBadCursor for anything this codec did not encode for this board.
  Result<CursorPosition> decode(std::string_view board_id, std::string_view text) const;

 private:
  static constexpr std::size_t kPayloadBytes = 34;
  static constexpr std::size_t kTagBytes = 16;

  std::array<uint8_t, kTagBytes> tag(std::string_view board_id,
                                     std::span<const uint8_t, kPayloadBytes> payload) const;

  // HMAC-SHA-256's two SHA-256 states after the key's inner pad block and
  // the domain (inner) and after its outer pad block (outer): each tag copies
  // them and hashes only what differs, three blocks instead of five (an
  // around-me page signs two cursors). Opaque bytes so this header needs no
  // OpenSSL; cursor.cc checks the size.
  KeyedState keyed_{};
};

}  // namespace citadel::leaderboard
