#include "services/auth/token_signer.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "net/unique_fd.h"

namespace citadel::services {

namespace {

std::string base64url(const uint8_t* data, std::size_t n) {
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the encoder's terminating NUL
  return out;
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string TokenSigner::mac_of(std::string_view signed_part) const {
  std::array<uint8_t, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const uint8_t*>(signed_part.data()),
                         signed_part.size(), secret_.data());
  return base64url(mac.data(), mac.size());
}

std::string TokenSigner::issue(const TokenClaims& c) const {
  std::string signed_part = "v1." + std::to_string(c.user_id) + "." + std::to_string(c.session_id) +
                            "." + std::to_string(c.expires_unix_ms);
  return signed_part + "." + mac_of(signed_part);
}

TokenError TokenSigner::verify(std::string_view token, int64_t now_unix_ms,
                               TokenClaims& claims) const {
  if (token.size() > 256) return TokenError::kMalformed;
  const auto last_dot = token.rfind('.');
  if (last_dot == std::string_view::npos) return TokenError::kMalformed;
  const std::string_view signed_part = token.substr(0, last_dot);
  const std::string_view mac = token.substr(last_dot + 1);
  const std::string expected = mac_of(signed_part);
  if (mac.size() != expected.size() ||
      sodium_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return TokenError::kBadSignature;
  }
  // Signed by us, so the fields are ours; parse them anyway with care.
  std::array<std::string_view, 4> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto dot = signed_part.find('.', start);
    const bool last = i + 1 == fields.size();
    if (last != (dot == std::string_view::npos)) return TokenError::kMalformed;
    fields[i] = signed_part.substr(start, last ? std::string_view::npos : dot - start);
    start = dot + 1;
  }
  TokenClaims parsed;
  if (fields[0] != "v1" || !parse_number(fields[1], parsed.user_id) ||
      !parse_number(fields[2], parsed.session_id) ||
      !parse_number(fields[3], parsed.expires_unix_ms)) {
    return TokenError::kMalformed;
  }
  if (parsed.expires_unix_ms <= now_unix_ms) return TokenError::kExpired;
  claims = parsed;
  return TokenError::kNone;
}

namespace {
// Returns true and fills `secret` if the file exists; throws if it exists but
// is unreadable or the wrong size.
bool read_secret(const std::string& path, TokenSigner::Secret& secret) {
  net::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    throw std::runtime_error(path + ": cannot read token secret");
  }
  // One byte more than a secret, to tell a longer file from an exact one.
  std::array<uint8_t, TokenSigner::kSecretBytes + 1> buffer{};
  const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n != static_cast<ssize_t>(secret.size())) {
    throw std::runtime_error(path + ": token secret must be exactly 32 bytes");
  }
  std::copy_n(buffer.begin(), secret.size(), secret.begin());
  sodium_memzero(buffer.data(), buffer.size());
  return true;
}
}  // namespace

TokenSigner::Secret load_or_create_secret(const std::string& path) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  TokenSigner::Secret secret{};
  if (read_secret(path, secret)) return secret;
  randombytes_buf(secret.data(), secret.size());
  // Written to a private temporary file, then linked into place: a reader
  // never sees a half-written secret, and if two processes start at once the
  // loser of link() reads the winner's secret.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    net::UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out.valid() ||
        ::write(out.get(), secret.data(), secret.size()) != static_cast<ssize_t>(secret.size())) {
      ::unlink(tmp.c_str());
      throw std::runtime_error(path + ": cannot create token secret (need a writable directory)");
    }
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST && read_secret(path, secret)) return secret;
    throw std::runtime_error(path + ": cannot create token secret");
  }
  return secret;
}

}  // namespace citadel::services
