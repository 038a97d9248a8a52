// Self-signed certificates made in the test, so no test depends on files
// checked in or on the openssl command: an EC P-256 key and a certificate
// for "localhost" and 127.0.0.1, valid from an hour ago for a day.
#pragma once

#include <string>
#include <string_view>

namespace citadel::test {

struct TestCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

// `common_name` tells certificates apart (a reload test checks which one a
// new connection got).
TestCertificate make_test_certificate(std::string_view common_name);

// Writes `text` to `path` (replacing it). Throws on failure.
void write_text_file(const std::string& path, std::string_view text);

}  // namespace citadel::test
