// Session tokens: "v1.<user>.<session>.<expires_ms>.<mac>", where mac is
// HMAC-SHA256 (libsodium) over the fields before it, base64url. Stateless to
// check; the session registry still decides whether the session exists.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel::services {

struct TokenClaims {
  uint64_t user_id = 0;
  uint64_t session_id = 0;
  int64_t expires_unix_ms = 0;
};

enum class TokenError : uint8_t { kNone, kMalformed, kBadSignature, kExpired };

class TokenSigner {
 public:
  static constexpr std::size_t kSecretBytes = 32;
  using Secret = std::array<uint8_t, kSecretBytes>;

  explicit TokenSigner(const Secret& secret) : secret_(secret) {}

  std::string issue(const TokenClaims& claims) const;
  // Checks format, signature (constant time) and expiry against now.
  TokenError verify(std::string_view token, int64_t now_unix_ms, TokenClaims& claims) const;

 private:
  std::string mac_of(std::string_view signed_part) const;
  Secret secret_;
};

// Reads the secret from `path`, or creates the file with a new random secret
// and mode 0600 if it does not exist. Throws std::runtime_error naming the
// path if it cannot be read or written, or holds the wrong number of bytes.
TokenSigner::Secret load_or_create_secret(const std::string& path);

}  // namespace citadel::services
