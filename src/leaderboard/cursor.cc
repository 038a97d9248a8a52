#include "leaderboard/cursor.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, but
// they are still there, and only they let a saved state be copied without an
// allocation; OpenSSL's SHA-256 uses the CPU's SHA extensions where present
// (libsodium's is portable C, about four times slower a block).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
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
constexpr std::size_t kShaBlockBytes = 64;
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

static_assert(sizeof(SHA256_CTX) * 2 <= sizeof(CursorCodec::KeyedState),
              "cursor.h sizes KeyedState for two of OpenSSL's SHA-256 states (copied with memcpy)");
static_assert(std::is_trivially_copyable_v<SHA256_CTX>);

CursorCodec::CursorCodec(const CursorKey& key) {
  // Idempotent and thread-safe. It fails (-1) only when the platform has no
  // usable randomness source, which base64 never touches.
  if (sodium_init() < 0) {
    // Nothing here needs randomness: go on.
  }
  // HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || message)), K the key
  // padded with zeros to the 64-byte block (a 32-byte key needs no hashing).
  static_assert(kCursorKeyBytes <= kShaBlockBytes);
  uint8_t inner_pad[kShaBlockBytes];
  uint8_t outer_pad[kShaBlockBytes];
  for (std::size_t i = 0; i < kShaBlockBytes; ++i) {
    uint8_t k = i < key.size() ? key[i] : 0;
    inner_pad[i] = k ^ 0x36;
    outer_pad[i] = k ^ 0x5c;
  }
  SHA256_CTX inner;
  SHA256_CTX outer;
  SHA256_Init(&inner);
  SHA256_Update(&inner, inner_pad, sizeof inner_pad);
  SHA256_Update(&inner, kDomain.data(), kDomain.size());
  SHA256_Init(&outer);
  SHA256_Update(&outer, outer_pad, sizeof outer_pad);
  std::memcpy(keyed_.data(), &inner, sizeof inner);
  std::memcpy(keyed_.data() + sizeof inner, &outer, sizeof outer);
  sodium_memzero(inner_pad, sizeof inner_pad);
  sodium_memzero(outer_pad, sizeof outer_pad);
  sodium_memzero(&inner, sizeof inner);
  sodium_memzero(&outer, sizeof outer);
}

CursorCodec::~CursorCodec() {
  sodium_memzero(keyed_.data(), keyed_.size());
}

std::array<uint8_t, CursorCodec::kTagBytes> CursorCodec::tag(
    std::string_view board_id, std::span<const uint8_t, kPayloadBytes> payload) const {
  // Resume from the states saved at construction: the inner one has hashed
  // the key's inner pad and the domain, the outer one the key's outer pad.
  SHA256_CTX inner;
  SHA256_CTX outer;
  std::memcpy(&inner, keyed_.data(), sizeof inner);
  std::memcpy(&outer, keyed_.data() + sizeof inner, sizeof outer);
  // Board ids are at most kMaxBoardIdBytes (128), so one length byte is enough.
  uint8_t length = uint8_t(board_id.size());
  SHA256_Update(&inner, &length, 1);
  SHA256_Update(&inner, board_id.data(), board_id.size());
  SHA256_Update(&inner, payload.data(), payload.size());
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &inner);
  SHA256_Update(&outer, digest, sizeof digest);
  SHA256_Final(digest, &outer);
  std::array<uint8_t, kTagBytes> truncated;
  std::memcpy(truncated.data(), digest, kTagBytes);
  sodium_memzero(&inner, sizeof inner);
  sodium_memzero(&outer, sizeof outer);
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
