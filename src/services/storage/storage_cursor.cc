#include "services/storage/storage_cursor.h"

#include <sodium.h>

#include <array>
#include <string>

#include "store/object_validation.h"

namespace citadel::services {
namespace {

constexpr std::string_view kPrefix = "s1.";
constexpr std::size_t kMacBytes = 16;

std::string base64url(const unsigned char* data, std::size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> from_base64url(std::string_view text, std::size_t max_bytes) {
  std::string out(max_bytes, '\0');
  std::size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &size, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

}  // namespace

StorageCursor::StorageCursor(const TokenSigner::Secret& secret) {
  // A key of its own, so a cursor mac can never stand in for a token mac.
  constexpr std::string_view kContext = "citadel storage cursor v1";
  crypto_generichash(key_.data(), key_.size(),
                     reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size(),
                     secret.data(), secret.size());
}

std::string StorageCursor::mac_of(uint64_t owner_id, std::string_view collection,
                                  std::string_view key) const {
  // Lengths first, so no two (collection, key) pairs hash the same bytes.
  std::string message;
  message.reserve(24 + collection.size() + key.size());
  for (const uint64_t n : {owner_id, uint64_t{collection.size()}, uint64_t{key.size()}}) {
    for (int i = 0; i < 8; ++i) message.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  message.append(collection).append(key);
  std::array<unsigned char, kMacBytes> mac{};
  crypto_generichash(mac.data(), mac.size(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size(), key_.data(), key_.size());
  return base64url(mac.data(), mac.size());
}

std::string StorageCursor::encode(uint64_t owner_id, std::string_view collection,
                                  std::string_view last_key) const {
  std::string out(kPrefix);
  out += base64url(reinterpret_cast<const unsigned char*>(last_key.data()), last_key.size());
  out += '.';
  out += mac_of(owner_id, collection, last_key);
  return out;
}

std::optional<std::string> StorageCursor::decode(std::string_view cursor, uint64_t owner_id,
                                                 std::string_view collection) const {
  if (!cursor.starts_with(kPrefix)) return std::nullopt;
  cursor.remove_prefix(kPrefix.size());
  const auto dot = cursor.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto key = from_base64url(cursor.substr(0, dot), store::kMaxObjectNameBytes);
  if (!key || !store::valid_object_name(*key)) return std::nullopt;
  const std::string expected = mac_of(owner_id, collection, *key);
  const std::string_view mac = cursor.substr(dot + 1);
  if (mac.size() != expected.size() ||
      sodium_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return key;
}

}  // namespace citadel::services
