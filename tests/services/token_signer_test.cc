#include "services/auth/token_signer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

namespace citadel::services {
namespace {

TokenSigner::Secret secret(uint8_t fill) {
  TokenSigner::Secret s;
  s.fill(fill);
  return s;
}

TEST(TokenSigner, IssuedTokenVerifiesWithItsClaims) {
  TokenSigner signer(secret(1));
  const std::string token = signer.issue({42, 7, 2'000'000'000'000});
  TokenClaims claims;
  ASSERT_EQ(signer.verify(token, 1'000, claims), TokenError::kNone);
  EXPECT_EQ(claims.user_id, 42u);
  EXPECT_EQ(claims.session_id, 7u);
}

TEST(TokenSigner, TamperedForeignExpiredAndMalformedTokensAreRefused) {
  TokenSigner signer(secret(1));
  const std::string token = signer.issue({42, 7, 5'000});
  TokenClaims claims;
  std::string tampered = token;
  tampered.replace(3, 2, "43");
  EXPECT_EQ(signer.verify(tampered, 1'000, claims), TokenError::kBadSignature);
  EXPECT_EQ(TokenSigner(secret(2)).verify(token, 1'000, claims), TokenError::kBadSignature);
  EXPECT_EQ(signer.verify(token, 5'000, claims), TokenError::kExpired);
  EXPECT_EQ(signer.verify("", 0, claims), TokenError::kMalformed);
  EXPECT_EQ(signer.verify(std::string(300, 'a'), 0, claims), TokenError::kMalformed);
  EXPECT_EQ(signer.verify("no-dots-at-all", 0, claims), TokenError::kMalformed);
}

TEST(TokenSecret, CreatedOnceWithMode0600AndReadBackTheSame) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("citadel-secret-test-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  const auto first = load_or_create_secret(path.string());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_secret(path.string()), first);
  std::filesystem::resize_file(path, 5);
  EXPECT_THROW(load_or_create_secret(path.string()), std::runtime_error);
  std::filesystem::resize_file(path, 33);
  EXPECT_THROW(load_or_create_secret(path.string()), std::runtime_error) << "longer than a secret";
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace citadel::services
