#include "leaderboard/cursor.h"

#include <sodium.h>

#include <cstring>
#include <type_traits>

namespace citadel::leaderboard {
namespace {

constexpr uint8_t kVersion = 1;
constexpr uint8_t kBeforeFlag = 1;
constexpr uint8_t kInclusiveFlag = 2;
constexpr std::string_view kDomain = "citadel-leaderboard-cursor-v1";
constexpr std::size_t kWireBytes = 50;
constexpr std::size_t kTextChars = 67;  // base64 of 50 bytes, unpadded
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

void put_u64(uint8_t* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(value >> (8 * i));
}

uint64_t get_u64(const uint8_t* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t(in[i]) << (8 * i);
  return value;
}

}  // namespace

static_assert(sizeof(crypto_auth_hmacsha256_state) == 208 &&
                  alignof(crypto_auth_hmacsha256_state) <= 16,
              "cursor.h sizes keyed_state_ for libsodium's HMAC state");
static_assert(std::is_trivially_copyable_v<crypto_auth_hmacsha256_state>);

CursorCodec::CursorCodec(const CursorKey& key) {
  // Idempotent and thread-safe. It fails (-1) only when the platform has no
  // usable randomness source, which HMAC and base64 never touch.
  if (sodium_init() < 0) {
    // Nothing below needs randomness: go on.
  }
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const uint8_t*>(kDomain.data()),
                                kDomain.size());
  std::memcpy(keyed_state_.data(), &state, sizeof state);
  sodium_memzero(&state, sizeof state);
}

std::array<uint8_t, CursorCodec::kTagBytes> CursorCodec::tag(
    std::string_view board_id, std::span<const uint8_t, kPayloadBytes> payload) const {
  // The same HMAC as init(key) + update(domain), from the state saved then.
  crypto_auth_hmacsha256_state state;
  std::memcpy(&state, keyed_state_.data(), sizeof state);
  // Board ids are at most kMaxBoardIdBytes (128), so one length byte is enough.
  uint8_t length = uint8_t(board_id.size());
  crypto_auth_hmacsha256_update(&state, &length, 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const uint8_t*>(board_id.data()),
                                board_id.size());
  crypto_auth_hmacsha256_update(&state, payload.data(), payload.size());
  uint8_t full[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, full);
  std::array<uint8_t, kTagBytes> truncated;
  std::memcpy(truncated.data(), full, kTagBytes);
  sodium_memzero(&state, sizeof state);
  return truncated;
}

std::string CursorCodec::encode(std::string_view board_id, const CursorPosition& position) const {
  std::array<uint8_t, kWireBytes> wire{};
  wire[0] = kVersion;
  wire[1] = uint8_t((position.direction == CursorPosition::Direction::kBefore ? kBeforeFlag : 0) |
                    (position.inclusive ? kInclusiveFlag : 0));
  put_u64(&wire[2], uint64_t(position.period_start_unix_ms));
  put_u64(&wire[10], uint64_t(position.score));
  put_u64(&wire[18], uint64_t(position.subscore));
  put_u64(&wire[26], position.sequence);
  auto mac = tag(board_id, std::span<const uint8_t, kPayloadBytes>(wire.data(), kPayloadBytes));
  std::memcpy(&wire[kPayloadBytes], mac.data(), kTagBytes);

  char text[kTextChars + 1];  // sodium writes a terminating NUL
  sodium_bin2base64(text, sizeof text, wire.data(), wire.size(), kVariant);
  return std::string(text, kTextChars);
}

Result<CursorPosition> CursorCodec::decode(std::string_view board_id, std::string_view text) const {
  if (text.size() != kTextChars) return {LeaderboardError::kBadCursor};
  std::array<uint8_t, kWireBytes> wire{};
  std::size_t decoded = 0;
  const char* end = nullptr;
  // Strict: no characters ignored, no padding, unused trailing bits zero,
  // and all of the text consumed.
  if (sodium_base642bin(wire.data(), wire.size(), text.data(), text.size(), nullptr, &decoded, &end,
                        kVariant) != 0 ||
      decoded != kWireBytes || end != text.data() + text.size()) {
    return {LeaderboardError::kBadCursor};
  }
  auto mac = tag(board_id, std::span<const uint8_t, kPayloadBytes>(wire.data(), kPayloadBytes));
  if (sodium_memcmp(mac.data(), &wire[kPayloadBytes], kTagBytes) != 0) {
    return {LeaderboardError::kBadCursor};
  }
  // Only now is the content ours; still check what this version allows.
  if (wire[0] != kVersion || (wire[1] & ~(kBeforeFlag | kInclusiveFlag)) != 0) {
    return {LeaderboardError::kBadCursor};
  }
  CursorPosition position;
  position.direction = (wire[1] & kBeforeFlag) ? CursorPosition::Direction::kBefore
                                               : CursorPosition::Direction::kAfter;
  position.inclusive = (wire[1] & kInclusiveFlag) != 0;
  position.period_start_unix_ms = int64_t(get_u64(&wire[2]));
  position.score = int64_t(get_u64(&wire[10]));
  position.subscore = int64_t(get_u64(&wire[18]));
  position.sequence = get_u64(&wire[26]);
  return {LeaderboardError::kOk, position};
}

}  // namespace citadel::leaderboard
