#include "net/websocket/accept_key.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace citadel::net::websocket {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kKeyChars = 24;  // base64 of 16 bytes, padded
constexpr std::size_t kSha1Bytes = 20;
constexpr std::size_t kAcceptChars = 28;  // base64 of 20 bytes, padded

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

bool is_valid_client_key(std::string_view key) {
  if (key.size() != kKeyChars || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22)) {
    if (!is_base64_char(c)) return false;
  }
  return true;
}

std::string accept_key_for(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + kGuid.size());
  input.append(client_key).append(kGuid);

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) !=
          1 ||
      digest_size != kSha1Bytes) {
    std::fputs("websocket: OpenSSL could not compute SHA-1\n", stderr);
    std::abort();
  }
  // EVP_EncodeBlock writes the padded base64 and a terminating NUL.
  std::array<unsigned char, kAcceptChars + 1> encoded;
  const int chars = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded.data()),
                     static_cast<std::size_t>(chars));
}

}  // namespace citadel::net::websocket
